"""v1 storages: ``/storages/`` (configuration only when asked for) and storage sessions."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._query import drf_page, select
from synapse_sdk.clients.testing._routes.v1._common import field_errors, get_row, public
from synapse_sdk.clients.testing._server import Request, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    def list_storages(r: Request) -> Any:
        return drf_page(
            r,
            select(state, 'storages', r),
            lambda s: {k: v for k, v in public(s).items() if k != 'configuration'},
        )

    router.add('GET', '/storages/', list_storages)

    def get_storage(r: Request) -> Any:
        storage = public(get_row(state, 'storages', r.params['id']))
        if r.q('with_configuration') != 'true':
            storage.pop('configuration', None)
        return storage

    router.add('GET', '/storages/{id}/', get_storage)

    def storage_session(r: Request) -> Any:
        storage = get_row(state, 'storages', r.params['id'])
        purpose = (r.json() or {}).get('purpose', 'read')
        if purpose not in ('read', 'write'):
            raise field_errors({'purpose': f'"{purpose}" is not a valid choice.'})
        return {
            'provider': storage['provider'],
            'configuration': storage['configuration'],
            'expires_at': None,
            'contract_version': 1,
        }

    router.add('POST', '/storages/{id}/session/', storage_session)
