"""v1 resumable chunked upload: ``/chunked_upload/`` (``Content-Range`` chunks, then an MD5 to finish)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from synapse_sdk.clients.testing._routes.v1._common import field_errors, get_row, public
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Router
from synapse_sdk.clients.testing._state import FakeState, now_iso

_CONTENT_RANGE = re.compile(r'bytes (\d+)-(\d+)/(\d+)')


def register(router: Router, state: FakeState) -> None:
    def chunk_put(r: Request) -> Any:
        fields, files = r.form()
        if 'file' not in files:
            raise field_errors({'file': 'No file was submitted.'})
        chunk = files['file'][1]
        found = _CONTENT_RANGE.fullmatch(r.headers.get('Content-Range') or '')
        if not found:
            raise HTTPFailure(400, {'detail': 'Error in request headers: Content-Range'})
        start, end, total = (int(g) for g in found.groups())
        if end - start + 1 != len(chunk):
            raise HTTPFailure(400, {'detail': "File size doesn't match headers"})
        with state.lock:
            if 'id' in r.params:
                upload = get_row(state, 'chunked_uploads', r.params['id'])
            else:
                upload = state.add('chunked_uploads', filename=fields.get('filename', 'file'), total=total)
            if upload.get('completed_at'):
                raise HTTPFailure(400, {'detail': 'Upload has already been marked as complete'})
            if start > upload['offset']:
                raise HTTPFailure(400, {'detail': 'Offsets do not match', 'offset': upload['offset']})
            content = upload['content'][:start] + chunk
            upload['content'] = content
            upload['offset'] = len(content)
            upload['total'] = total
        return {
            'id': upload['id'],
            'url': f'{r.base_url}/chunked_upload/{upload["id"]}/',
            'offset': upload['offset'],
            'filename': upload['filename'],
        }

    router.add('PUT', '/chunked_upload/', chunk_put)
    router.add('PUT', '/chunked_upload/{id}/', chunk_put)

    def chunk_finalize(r: Request) -> Any:
        body = r.json() or {}
        with state.lock:
            if 'id' in r.params:
                upload = get_row(state, 'chunked_uploads', r.params['id'])
            else:
                upload = state.add('chunked_uploads', filename='file', total=0)
            digest = hashlib.md5(upload['content'], usedforsecurity=False).hexdigest()
            if body.get('md5') != digest:
                raise HTTPFailure(400, {'detail': 'md5 checksum does not match'})
            if upload.get('total') not in (None, upload['offset']):
                raise HTTPFailure(
                    400, {'detail': f'upload incomplete: {upload["offset"]} of {upload["total"]} bytes'}
                )
            upload.update(completed_at=now_iso(), status=2, md5=digest)
        return {
            'id': upload['id'],
            'checksum': digest,
            'size': upload['offset'],
            'completed_at': upload['completed_at'],
            'status': 2,
            'file': f'{r.base_url}/media/chunked/{upload["id"]}/{upload["filename"]}',
        }

    router.add('POST', '/chunked_upload/', chunk_finalize)
    router.add('POST', '/chunked_upload/{id}/', chunk_finalize)
    router.add(
        'GET',
        '/chunked_upload/{id}/',
        lambda r: (
            public(get_row(state, 'chunked_uploads', r.params['id']))
            | {'url': f'{r.base_url}/chunked_upload/{r.params["id"]}/'}
        ),
    )
