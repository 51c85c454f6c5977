"""v2 routes of the fake backend: ``{data, meta}`` envelopes, URL cursors, bulk endpoints, SSE progress."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from synapse_sdk.clients._sse import format_sse
from synapse_sdk.clients.testing._query import cursor_page, drf_page, select
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Response, Router, StreamResponse
from synapse_sdk.clients.testing._state import FakeState, now_iso

BULK_LIMIT = 200
Render = Callable[[dict[str, Any]], dict[str, Any]]


def envelope(
    request: Request, data: Any, status: int = 200, pagination: dict[str, Any] | None = None
) -> Response:
    meta: dict[str, Any] = {'request_id': request.request_id}
    if pagination is not None:
        meta['pagination'] = pagination
    return Response(status, {'data': data, 'meta': meta})


def v2_error(
    request: Request, status: int, code: str, message: str, details: list[dict[str, str]] | None = None
) -> HTTPFailure:
    return HTTPFailure(
        status,
        {
            'error': {'code': code, 'message': message, 'details': details},
            'meta': {'request_id': request.request_id},
        },
    )


def _get(state: FakeState, table: str, key: Any, request: Request) -> dict[str, Any]:
    rows = state.table(table)
    row = rows.get(key)
    if row is None and isinstance(key, str) and key.isdigit():
        row = rows.get(int(key))
    if row is None:
        raise v2_error(request, 404, 'not_found', 'Not found.')
    return row


def _require(request: Request, body: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise v2_error(request, 400, 'VALIDATION_ERROR', 'Expected a JSON object.')
    missing = [f for f in fields if body.get(f) in (None, '')]
    if missing:
        raise v2_error(
            request,
            400,
            'VALIDATION_ERROR',
            'Invalid input.',
            [{'field': f, 'message': 'This field is required.'} for f in missing],
        )
    return body


# -- renderers (OpenAPI field names) ------------------------------------------------------------------
def project_list(p: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': p['id'],
        'title': p['title'],
        'category': p['category'],
        'category_display': p['category'].title(),
        'created': p['created'],
        'is_archived': p['is_archived'],
        'task_count': p.get('_task_count', 0),
    }


def task_list(t: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': t['id'],
        'project_id': t['project'],
        'data_unit_id': t['data_unit'],
        'is_discarded': t['is_discarded'],
        'has_data': t['data'] is not None,
        'created': t['created'],
    }


def task_detail(t: dict[str, Any]) -> dict[str, Any]:
    return {
        **task_list(t),
        'workshop_id': t.get('workshop'),
        'meta': t.get('meta'),
        'data': t.get('data'),
        'schema': t.get('schema', 'dm_schema_v1'),
    }


def assignment_list(a: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': a['id'],
        'user_id': a.get('user'),
        'task_id': a['task'],
        'status_label': a['status_label'],
        'status_review': a['status_review'],
        'is_confirmed': a['is_confirmed'],
        'is_discarded': a['is_discarded'],
        'created': a['created'],
    }


def assignment_detail(a: dict[str, Any]) -> dict[str, Any]:
    return {
        **assignment_list(a),
        'reviewer_id': a.get('reviewer'),
        'data': a.get('data'),
        'tags': a.get('tags', []),
    }


def gt_list(g: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': g['id'],
        'ground_truth_dataset_id': g['ground_truth_dataset'],
        'data_unit_id': g['data_unit'],
        'category': g['category'],
    }


def gt_detail(g: dict[str, Any]) -> dict[str, Any]:
    return {
        **gt_list(g),
        'project_id': g.get('project'),
        'data': g.get('data') or {},
        'classes': g.get('classes', []),
    }


def gt_event_list(e: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(e.get('data') or {})
    return {
        'id': e['id'],
        'pgh_id': e['pgh_id'],
        'pgh_obj_id': e['pgh_obj_id'],
        'pgh_label': e['pgh_label'],
        'data_unit_id': e['data_unit'],
        'ground_truth_dataset_id': e['ground_truth_dataset'],
        'data_size': len(data),
        'data_digest': None,
        'data_content_type': 'application/json',
    }


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


def async_job(j: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in j.items() if not k.startswith('_')}


def register_v2(router: Router, state: FakeState) -> None:
    def listing(path: str, table: str, render: Render) -> None:
        def handler(r: Request) -> Response:
            items, pagination = cursor_page(r, select(state, table, r), render)
            return envelope(r, items, pagination=pagination)

        router.add('GET', path, handler)

    def detail(path: str, table: str, render: Render, key: str = 'id') -> None:
        router.add('GET', path, lambda r: envelope(r, render(_get(state, table, r.params[key], r))))

    router.add('GET', '/v2/users/me/', lambda r: envelope(r, state.users[1]))
    listing('/v2/tenants/', 'tenants', dict)
    detail('/v2/tenants/{code}/', 'tenants', dict, key='code')

    def token_view(t):
        return {
            'id': t['id'],
            'description': t.get('description', ''),
            'last_used': t.get('last_used'),
        }

    listing('/v2/tokens/', 'tokens', token_view)
    detail('/v2/tokens/{id}/', 'tokens', token_view)

    def create_token(r: Request) -> Response:
        body = r.json() or {}
        plaintext = f'syn_{secrets.token_hex(16)}'
        row = state.add('tokens', description=body.get('description') or '', last_used=None, _token=plaintext)
        state.access_tokens.add(plaintext)
        return envelope(r, {**token_view(row), 'token': plaintext}, status=201)

    router.add('POST', '/v2/tokens/', create_token)

    def delete_token(r: Request) -> Response:
        row = _get(state, 'tokens', r.params['id'], r)
        with state.lock:
            state.access_tokens.discard(row.get('_token'))
            del state.tokens[row['id']]
        return Response(204)

    router.add('DELETE', '/v2/tokens/{id}/', delete_token)

    # -- projects -------------------------------------------------------------------------------
    def project_detail(p: dict[str, Any]) -> dict[str, Any]:
        return {
            **project_list(p),
            'tenant_id': 1,
            'data_collection_id': p.get('data_collection'),
            'description': p.get('description', ''),
            'configuration': p.get('configuration', {}),
            'settings': p.get('settings', {}),
            'caution': '',
            'access_level': p.get('access_level', 'private'),
            'count_max_assignments_per_task': 1,
            'can_discard': True,
            'enable_workforce': False,
            'task_count': sum(1 for t in state.tasks.values() if t['project'] == p['id']),
        }

    listing('/v2/projects/', 'projects', project_list)
    detail('/v2/projects/{id}/', 'projects', project_detail)

    def create_project(r: Request) -> Response:
        body = _require(r, r.json(), ('title', 'category'))
        return envelope(r, project_detail(state.add('projects', **body)), status=201)

    router.add('POST', '/v2/projects/', create_project)

    def patch_project(r: Request) -> Response:
        project = _get(state, 'projects', r.params['id'], r)
        with state.lock:
            project.update(r.json() or {})
        return envelope(r, project_detail(project))

    router.add('PATCH', '/v2/projects/{id}/', patch_project)

    # -- tasks / assignments --------------------------------------------------------------------
    listing('/v2/tasks/', 'tasks', task_list)
    detail('/v2/tasks/{id}/', 'tasks', task_detail)

    def create_task(r: Request) -> Response:
        body = _require(r, r.json(), ('project', 'data_unit'))
        _get(state, 'projects', body['project'], r)
        return envelope(r, task_detail(state.add('tasks', **body)), status=201)

    router.add('POST', '/v2/tasks/', create_task)

    def bulk(table: str, key: str, render: Render) -> Callable[[Request], Response]:
        def handler(r: Request) -> Response:
            body = r.json()
            ids = body.get(key) if isinstance(body, dict) else None
            if not isinstance(ids, list) or not ids:
                raise v2_error(
                    r,
                    422,
                    'VALIDATION_ERROR',
                    f'{key} must be a non-empty list',
                    [{'field': key, 'message': 'This list may not be empty.'}],
                )
            if len(ids) > BULK_LIMIT:
                raise v2_error(r, 400, 'ids_limit_exceeded', f'at most {BULK_LIMIT} ids per request')
            mode = r.q('response_mode', 'inline')
            if mode not in ('inline', 'presigned'):
                raise v2_error(r, 400, 'VALIDATION_ERROR', 'response_mode must be inline or presigned')
            rows = state.table(table)
            lookup = rows if key == 'ids' else {row['pgh_id']: row for row in rows.values()}
            out = []
            for object_id in ids:
                row = lookup.get(object_id)
                if row is None:
                    continue
                item = render(row)
                if mode == 'presigned' and isinstance(item.get('data'), str):
                    item['data'] = {
                        'mode': 'presigned',
                        'presigned_url': f'{r.base_url}/media/bulk/{table}/{row["id"]}.json',
                        'size': len(item['data']),
                        'data_digest': None,
                    }
                out.append(item)
            return envelope(r, out)

        return handler

    def bulk_task(t: dict[str, Any]) -> dict[str, Any]:
        return {
            'id': t['id'],
            'project_id': t['project'],
            'data_unit_id': t['data_unit'],
            'data': json.dumps(t.get('data')),
            'files_manifest': t.get('files') or {},
        }

    def bulk_assignment(a: dict[str, Any]) -> dict[str, Any]:
        task = state.tasks.get(a['task'], {})
        return {
            'id': a['id'],
            'project_id': a.get('project'),
            'data_unit_id': task.get('data_unit'),
            'data': json.dumps(a.get('data')),
            'files_manifest': a.get('files') or {},
        }

    def bulk_gt(g: dict[str, Any]) -> dict[str, Any]:
        return {
            **gt_list(g),
            'project_id': g.get('project'),
            'data': json.dumps(g.get('data') or {}),
            'classes': g.get('classes', []),
        }

    def bulk_gt_event(e: dict[str, Any]) -> dict[str, Any]:
        return {
            **gt_event_list(e),
            'data': e.get('data') or {},
            'files': e.get('files') or {},
            'files_manifest': e.get('files_manifest') or {},
        }

    router.add('POST', '/v2/tasks/bulk-fetch/', bulk('tasks', 'ids', bulk_task))
    router.add('POST', '/v2/assignments/bulk-fetch/', bulk('assignments', 'ids', bulk_assignment))
    router.add('POST', '/v2/ground-truths/bulk-data/', bulk('ground_truths', 'ids', bulk_gt))
    router.add(
        'POST', '/v2/ground-truth-events/bulk-data/', bulk('ground_truth_events', 'pgh_ids', bulk_gt_event)
    )

    def bulk_create_tasks(r: Request) -> Response:
        body = _require(r, r.json(), ('project', 'data_unit_ids'))
        _get(state, 'projects', body['project'], r)
        existing = {t['data_unit'] for t in state.tasks.values() if t['project'] == body['project']}
        created = 0
        for unit in body['data_unit_ids']:
            if unit not in existing:
                state.add('tasks', project=body['project'], data_unit=unit)
                existing.add(unit)
                created += 1
        state.touch()
        return envelope(
            r, {'created_count': created, 'skipped_count': len(body['data_unit_ids']) - created}, status=201
        )

    router.add('POST', '/v2/tasks/bulk-create/', bulk_create_tasks)

    def annotate(r: Request) -> Response:
        task = _get(state, 'tasks', r.params['id'], r)
        body = r.json() or {}
        if body.get('action', 'save') not in ('save', 'submit'):
            raise v2_error(r, 400, 'VALIDATION_ERROR', 'action must be save or submit')
        with state.lock:
            task['data'] = body.get('data')
            task['schema'] = r.q('schema') or task.get('schema', 'dm_schema_v1')
        return envelope(r, {'id': task['id'], 'action': body.get('action', 'save')})

    router.add('PUT', '/v2/tasks/{id}/annotate-task-data/', annotate)
    listing('/v2/assignments/', 'assignments', assignment_list)
    detail('/v2/assignments/{id}/', 'assignments', assignment_detail)

    def set_assignment_data(r: Request) -> Response:
        assignment = _get(state, 'assignments', r.params['id'], r)
        body = r.json()
        if not isinstance(body, dict) or 'data' not in body or set(body) - {'data'}:
            raise v2_error(r, 400, 'VALIDATION_ERROR', 'body must be {"data": ...} only')
        if r.q('dry_run') != 'true':
            with state.lock:
                assignment['data'] = body['data']
        return envelope(r, assignment_detail(assignment))

    router.add('PUT', '/v2/assignments/{id}/data/', set_assignment_data)

    # -- ground truths, collections -------------------------------------------------------------
    listing('/v2/ground-truths/', 'ground_truths', gt_list)
    detail('/v2/ground-truths/{id}/', 'ground_truths', gt_detail)
    listing('/v2/ground-truth-events/', 'ground_truth_events', gt_event_list)
    router.add(
        'GET',
        '/v2/ground-truth-events/{id}/',
        lambda r: envelope(
            r,
            bulk_gt_event(
                next(
                    (e for e in state.ground_truth_events.values() if str(e['pgh_id']) == r.params['id']),
                    None,
                )
                or _get(state, 'ground_truth_events', -1, r)
            ),
        ),
    )
    listing('/v2/data-collections/', 'data_collections', collection_list)
    detail('/v2/data-collections/{id}/', 'data_collections', collection_detail)

    def create_collection(r: Request) -> Response:
        body = _require(r, r.json(), ('name', 'category'))
        return envelope(r, collection_detail(state.add('data_collections', **body)), status=201)

    router.add('POST', '/v2/data-collections/', create_collection)

    # -- presigned upload (v2 data collections) and data units ----------------------------------
    uploads = state.uploads

    def upload_urls(r: Request) -> Response:
        collection = _get(state, 'data_collections', r.params['id'], r)
        body = _require(r, r.json(), ('files',))
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
        collection = _get(state, 'data_collections', r.params['id'], r)
        body = _require(r, r.json(), ('files',))
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
            if content is not None:
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

    def unit_view(u: dict[str, Any]) -> dict[str, Any]:
        return {
            'id': u['id'],
            'data_collection_id': u['data_collection'],
            'checksum': u['checksum'],
            'created': u['created'],
            'group_id': None,
            'meta': u.get('meta', {}),
        }

    listing('/v2/data-units/', 'data_units', unit_view)
    detail('/v2/data-units/{id}/', 'data_units', unit_view)

    def bulk_create_units(r: Request) -> Response:
        body = _require(r, r.json(), ('data_collection', 'units'))
        collection = _get(state, 'data_collections', body['data_collection'], r)
        known = {f['checksum'] for f in state.data_files.values()}
        results, created_count = [], 0
        for index, unit in enumerate(body['units']):
            files = unit.get('files') if isinstance(unit, dict) else None
            if not isinstance(files, dict) or not files:
                raise v2_error(
                    r,
                    400,
                    'VALIDATION_ERROR',
                    'Invalid input.',
                    [{'field': f'units.{index}.files', 'message': 'at least one file is required'}],
                )
            missing = [spec for spec, f in files.items() if f.get('checksum') not in known]
            if missing:
                raise v2_error(
                    r,
                    400,
                    'VALIDATION_ERROR',
                    'Unknown file checksum.',
                    [
                        {'field': f'units.{index}.files.{spec}', 'message': 'no data file with this checksum'}
                        for spec in missing
                    ],
                )
            digest = hashlib.sha1(
                json.dumps(sorted((k, v['checksum']) for k, v in files.items())).encode(),
                usedforsecurity=False,
            ).hexdigest()
            existing = next(
                (
                    u
                    for u in state.data_units.values()
                    if u['data_collection'] == collection['id'] and u['checksum'] == digest
                ),
                None,
            )
            if existing is None and r.q('dry_run') != 'true':
                existing = state.add(
                    'data_units',
                    data_collection=collection['id'],
                    files=files,
                    checksum=digest,
                    meta=unit.get('meta') or {},
                    groups=unit.get('groups') or [],
                )
                created_count += 1
                results.append({'data_unit_id': existing['id'], 'checksum': digest, 'created': True})
            else:
                results.append(
                    {
                        'data_unit_id': existing['id'] if existing else None,
                        'checksum': digest,
                        'created': False,
                    }
                )
        state.touch()
        return envelope(
            r,
            {
                'results': results,
                'created_count': created_count,
                'reused_count': len(results) - created_count,
            },
            status=201,
        )

    router.add('POST', '/v2/data-units/bulk-create/', bulk_create_units)

    def delete_unit(r: Request) -> Response:
        unit = _get(state, 'data_units', r.params['id'], r)
        with state.lock:
            del state.data_units[unit['id']]
        state.touch()
        return Response(204)

    router.add('DELETE', '/v2/data-units/{id}/', delete_unit)

    # -- plugin exports and async jobs ----------------------------------------------------------
    def create_export(r: Request) -> Response:
        body = _require(r, r.json(), ('storage_id', 'path'))
        _get(state, 'storages', body['storage_id'], r)
        if body.get('project_id') is not None:
            _get(state, 'projects', body['project_id'], r)
        targets = body.get('targets') or ['task']
        bad = set(targets) - {'task', 'assignment', 'ground_truth'}
        if bad:
            raise v2_error(
                r,
                400,
                'VALIDATION_ERROR',
                'invalid targets',
                [{'field': 'targets', 'message': f'{sorted(bad)}'}],
            )
        if r.q('dry_run') == 'true':
            return envelope(
                r, {'job_id': None, 'status': 'DRY_RUN', 'targets': targets, 'total_count': None}, status=202
            )
        job = state.add_async_job(
            category='plugin_export', type='plugin_export', ray_job_id=body.get('ray_job_id'), _request=body
        )
        return envelope(
            r,
            {
                'job_id': job['id'],
                'status': 'PENDING',
                'total_count': None,
                'targets': targets,
                'ray_job_id': body.get('ray_job_id'),
            },
            status=202,
        )

    router.add('POST', '/v2/plugin_exports/', create_export)
    router.add('GET', '/v2/async_jobs/', lambda r: drf_page(r, select(state, 'async_jobs', r), async_job))
    detail('/v2/async_jobs/{id}/', 'async_jobs', async_job)

    def cancel(r: Request) -> Response:
        job = _get(state, 'async_jobs', r.params['id'], r)
        with state.lock:
            if job['status'] in ('PENDING', 'PROCESSING'):
                job['status'] = 'CANCELLED'
                job['finished'] = now_iso()
        return envelope(r, async_job(job))

    router.add('POST', '/v2/async_jobs/{id}/cancel/', cancel)

    def progress(r: Request) -> StreamResponse:
        job = _get(state, 'async_jobs', r.params['id'], r)

        def frames() -> Any:
            yield format_sse('connected', {})
            with state.lock:
                delivered = job['_delivered']
                snapshot = dict(job['progress'] or {})
            if delivered and snapshot:
                # Reconnect: replay the latest progress so the client catches up.
                yield format_sse('async_job.progress', {**snapshot, 'status': job['status']})
            finished = delivered >= len(job['_events']) and job['status'] == 'COMPLETED'
            if finished or job['status'] in ('FAILED', 'CANCELLED'):
                # The job is over (or was cancelled): synthesize its terminal event.
                if job['status'] == 'COMPLETED':
                    yield format_sse('async_job.completed', {'status': 'COMPLETED', 'data': job.get('data')})
                else:
                    yield format_sse(
                        'error', {'status': job['status'], 'message': f'async job {job["status"].lower()}'}
                    )
                return
            for event in job['_events'][delivered:]:
                name = event.get('event', 'message')
                data = {k: v for k, v in event.items() if k != 'event'}
                if name == 'heartbeat':
                    yield format_sse('heartbeat', {})
                else:
                    with state.lock:
                        _apply_event(job, name, data)
                    yield format_sse(name, data)
                with state.lock:
                    job['_delivered'] += 1

        return StreamResponse(frames())

    router.add('GET', '/v2/async_jobs/{id}/progress/', progress)


def _apply_event(job: dict[str, Any], name: str, data: dict[str, Any]) -> None:
    if name == 'async_job.progress':
        job['status'] = data.get('status', 'PROCESSING')
        job['started'] = job['started'] or now_iso()
        job['progress'] = {k: data.get(k) for k in ('total_count', 'processed_count', 'percent')}
    elif name == 'async_job.completed':
        job['status'] = data.get('status', 'COMPLETED')
        job['data'] = data.get('data')
        job['finished'] = job['succeeded'] = now_iso()
    elif name == 'error':
        job['status'] = data.get('status', 'FAILED')
        job['finished'] = job['failed'] = now_iso()
