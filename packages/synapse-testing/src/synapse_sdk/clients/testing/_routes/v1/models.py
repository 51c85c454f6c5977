"""v1 models: ``/models/`` list, detail and create (the file from a finished chunked upload)."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._routes.v1._common import detail, field_errors, get_row, listing, public
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/models/', 'models')
    detail(router, state, '/models/{id}/', 'models')

    def create_model(r: Request) -> Any:
        body = r.data()
        if not body.get('name'):
            raise field_errors({'name': 'This field is required.'})
        if body.get('chunked_upload') is not None:
            upload = get_row(state, 'chunked_uploads', body['chunked_upload'])
            if not upload.get('completed_at'):
                raise field_errors({'chunked_upload': 'upload is not complete'})
            body['file'] = f'{r.base_url}/media/models/{upload["id"]}/{upload["filename"]}'
        return Response(201, public(state.add('models', **body)))

    router.add('POST', '/models/', create_model)
