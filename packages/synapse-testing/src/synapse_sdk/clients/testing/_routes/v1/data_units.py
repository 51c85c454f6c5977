"""v1 data units: ``/data_units/`` list, detail, create (one or a list) and delete."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._routes.v1._common import detail, get_row, listing, public
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/data_units/', 'data_units')
    detail(router, state, '/data_units/{id}/', 'data_units')

    def create_data_units(r: Request) -> Any:
        body = r.json()
        items = body if isinstance(body, list) else [body]
        created = []
        for index, item in enumerate(items):
            if (
                not isinstance(item, dict)
                or 'data_collection' not in item
                or not isinstance(item.get('files'), dict)
            ):
                raise HTTPFailure(400, {str(index): ['expected {data_collection, files, meta?, groups?}']})
            get_row(state, 'data_collections', item['data_collection'])
            created.append(public(state.add('data_units', **item)))
        state.touch()
        return Response(201, {'results': created} if isinstance(body, list) else created[0])

    router.add('POST', '/data_units/', create_data_units)

    def delete_data_unit(r: Request) -> Any:
        unit = get_row(state, 'data_units', r.params['id'])
        with state.lock:
            del state.data_units[unit['id']]
        state.touch()
        return Response(204)

    router.add('DELETE', '/data_units/{id}/', delete_data_unit)
