"""v2 data collections: ``/v2/data-collections/`` list, detail and create."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import detail, envelope, listing, require
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def collection_list(c: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': c['id'],
        'name': c['name'],
        'category': c['category'],
        'category_display': c['category'].title(),
        'access_level': c['access_level'],
        'is_archived': c['is_archived'],
        'created': c['created'],
        'count_projects': c.get('count_projects', 0),
    }


def collection_detail(c: dict[str, Any]) -> dict[str, Any]:
    return {
        **collection_list(c),
        'tenant_id': 1,
        'description': c.get('description', ''),
        'meta': c.get('meta', {}),
        'caution': c.get('caution', ''),
        'file_specifications': c.get('file_specifications', []),
    }


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/v2/data-collections/', 'data_collections', collection_list)
    detail(router, state, '/v2/data-collections/{id}/', 'data_collections', collection_detail)

    def create_collection(r: Request) -> Response:
        body = require(r, r.json(), ('name', 'category'))
        return envelope(r, collection_detail(state.add('data_collections', **body)), status=201)

    router.add('POST', '/v2/data-collections/', create_collection)
