"""v1 data files: ``/data_files/`` (multipart or from a finished chunked upload) and checksum checks."""

from __future__ import annotations

import hashlib
from typing import Any

from synapse_sdk.clients.testing._routes.v1._common import field_errors, get_row, public
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    def create_data_file(r: Request) -> Any:
        body = r.json()
        if isinstance(body, dict) and 'chunked_upload' in body:
            upload = get_row(state, 'chunked_uploads', body['chunked_upload'])
            if not upload.get('completed_at'):
                raise field_errors({'chunked_upload': 'upload is not complete'})
            content, name = upload['content'], upload['filename']
        else:
            _, files = r.form()
            if 'file' not in files:
                raise field_errors({'file': 'No file was submitted.'})
            name, content = files['file']
        checksum = hashlib.sha1(content, usedforsecurity=False).hexdigest()
        row = state.add(
            'data_files',
            checksum=checksum,
            size=len(content),
            filename=name,
            file=f'{r.base_url}/media/data_files/{checksum}/{name}',
            _content=content,
        )
        return Response(201, public(row))

    router.add('POST', '/data_files/', create_data_file)
    router.add(
        'POST',
        '/data_files/verify_checksums/',
        lambda r: {
            'checksums': {
                c: any(f['checksum'] == c for f in state.data_files.values())
                for c in (r.json() or {}).get('checksums', [])
            }
        },
    )
