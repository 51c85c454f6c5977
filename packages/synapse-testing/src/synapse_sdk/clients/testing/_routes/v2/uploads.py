"""v2 presigned upload into a data collection: ``upload-urls``, the fake's own object store, ``finalize-upload``.

``upload-urls`` hands out URLs on the fake itself (``PUT /_storage/<key>``, unauthenticated, answering
with an ``ETag``), multipart above ``state.multipart_threshold``; ``finalize-upload`` checks SHA-1 and
part ETags and creates the data files. ``state.uploads`` holds what was PUT.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import envelope, get_row, require, v2_error
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState, now_iso


def register(router: Router, state: FakeState) -> None:
    uploads = state.uploads

    def upload_urls(r: Request) -> Response:
        collection = get_row(state, 'data_collections', r.params['id'], r)
        body = require(r, r.json(), ('files',))
        if not isinstance(body['files'], list):
            raise v2_error(r, 400, 'VALIDATION_ERROR', 'files must be a list')
        out = []
        for index, item in enumerate(body['files']):
            if (
                not isinstance(item, dict)
                or not item.get('filename')
                or not isinstance(item.get('size'), int)
            ):
                raise v2_error(
                    r,
                    400,
                    'VALIDATION_ERROR',
                    'Invalid input.',
                    [{'field': f'files.{index}', 'message': 'filename and integer size are required'}],
                )
            key = f'up_{secrets.token_hex(8)}_{item["filename"]}'.replace('/', '_')
            target = f'{r.base_url}/_storage/{key}'
            entry: dict[str, Any] = {
                'filename': item['filename'],
                'file_key': key,
                'presigned_url': None,
                'multipart': None,
            }
            threshold = state.multipart_threshold
            part_size = state.multipart_part_size
            if item['size'] > threshold:
                upload_id = secrets.token_hex(6)
                count = -(-item['size'] // part_size)
                entry['multipart'] = {
                    'upload_id': upload_id,
                    'part_size': part_size,
                    'parts': [
                        {'part_number': n, 'presigned_url': f'{target}?partNumber={n}&uploadId={upload_id}'}
                        for n in range(1, count + 1)
                    ],
                }
            else:
                entry['presigned_url'] = target
            if r.q('dry_run') != 'true':
                uploads[key] = {
                    'collection': collection['id'],
                    'size': item['size'],
                    'content': None,
                    'parts': {},
                    'filename': item['filename'],
                }
            out.append(entry)
        return envelope(r, {'files': out, 'expires_at': now_iso()})

    router.add('POST', '/v2/data-collections/{id}/upload-urls/', upload_urls)

    def storage_put(r: Request) -> Response:
        upload = uploads.get(r.params['key'])
        if upload is None:
            return Response(
                404,
                '<Error><Code>NoSuchUpload</Code><Message>unknown key</Message></Error>',
                content_type='application/xml',
            )
        etag = '"' + hashlib.md5(r.body, usedforsecurity=False).hexdigest() + '"'
        part = r.q('partNumber')
        with state.lock:
            if part is None:
                upload['content'] = r.body
            else:
                upload['parts'][int(part)] = (r.body, etag)
        return Response(200, b'', {'ETag': etag}, content_type='application/octet-stream')

    router.add('PUT', '/_storage/{key}', storage_put, public=True)

    def finalize_upload(r: Request) -> Response:
        collection = get_row(state, 'data_collections', r.params['id'], r)
        body = require(r, r.json(), ('files',))
        results, created_count, failed = [], 0, 0
        for item in body['files']:
            key, checksum = item.get('file_key'), item.get('checksum')
            upload = uploads.get(key)
            result = {
                'file_key': key,
                'checksum': checksum,
                'data_file_id': None,
                'success': False,
                'created': False,
                'error': None,
            }
            content = None
            if upload is None or upload['collection'] != collection['id']:
                result['error'] = 'unknown file_key'
            elif item.get('multipart'):
                parts = upload['parts']
                wanted = item['multipart'].get('parts', [])
                if any(parts.get(p['part_number'], (None, None))[1] != p.get('etag') for p in wanted):
                    result['error'] = 'part etag mismatch'
                else:
                    content = b''.join(
                        parts[p['part_number']][0] for p in sorted(wanted, key=lambda p: p['part_number'])
                    )
            elif upload['content'] is None:
                result['error'] = 'file was not uploaded'
            else:
                content = upload['content']
            if content is not None and upload is not None:  # (content is only set for a known upload)
                actual = hashlib.sha1(content, usedforsecurity=False).hexdigest()
                if actual != checksum:
                    result['error'] = f'checksum mismatch (server computed {actual})'
                elif len(content) != item.get('size', len(content)):
                    result['error'] = 'size mismatch'
                elif r.q('dry_run') == 'true':
                    result['success'] = True
                else:
                    existing = next((f for f in state.data_files.values() if f['checksum'] == actual), None)
                    row = existing or state.add(
                        'data_files',
                        checksum=actual,
                        size=len(content),
                        filename=upload['filename'],
                        _content=content,
                        file=f'{r.base_url}/media/data_files/{actual}/{upload["filename"]}',
                    )
                    result.update(data_file_id=row['id'], success=True, created=existing is None)
                    created_count += existing is None
            failed += not result['success']
            results.append(result)
        return envelope(r, {'results': results, 'created_count': created_count, 'failed_count': failed})

    router.add('POST', '/v2/data-collections/{id}/finalize-upload/', finalize_upload)
