"""v1 (DRF-style) routes of the fake backend."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from synapse_sdk.clients._sse import format_sse
from synapse_sdk.clients.testing._query import drf_page, select
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Response, Router, StreamResponse
from synapse_sdk.clients.testing._state import FakeState, now_iso

JOB_FIELDS = {'status', 'progress_record', 'metrics_record', 'console_logs', 'result', 'meta'}
JOB_STATUSES = {'PENDING', 'RUNNING', 'STOPPED', 'SUCCEEDED', 'FAILED'}


def _get(state: FakeState, table: str, key: Any) -> dict[str, Any]:
    rows = state.table(table)
    row = rows.get(key)
    if row is None and isinstance(key, str) and key.isdigit():
        row = rows.get(int(key))
    if row is None:
        raise HTTPFailure(404, {'detail': 'Not found.'})
    return row


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith('_') and not isinstance(v, bytes)}


def _field_errors(errors: dict[str, str]) -> HTTPFailure:
    return HTTPFailure(400, {k: [v] for k, v in errors.items()})


def register_v1(router: Router, state: FakeState) -> None:
    def listing(path: str, table: str, extra: Any = None) -> None:
        router.add(
            'GET', path, lambda r: drf_page(r, select(state, table, r, extra(r) if extra else None), _public)
        )

    def detail(path: str, table: str) -> None:
        router.add('GET', path, lambda r: _public(_get(state, table, r.params['id'])))

    # -- projects / tasks / assignments ---------------------------------------------------------
    listing('/projects/', 'projects')
    detail('/projects/{id}/', 'projects')
    for suffix in ('', 'data/', 'files/'):
        listing(f'/sdk/tasks/{suffix}', 'tasks')
        listing(f'/sdk/assignments/{suffix}', 'assignments')
    detail('/tasks/{id}/', 'tasks')
    detail('/assignments/{id}/', 'assignments')
    listing('/task_tags/', 'task_tags')
    detail('/task_tags/{id}/', 'task_tags')

    def create_tasks(r: Request) -> Any:
        body = r.json()
        items = body if isinstance(body, list) else [body]
        created = []
        for item in items:
            if not isinstance(item, dict) or 'project' not in item or not isinstance(item.get('data'), list):
                raise _field_errors({'data': 'expected {"project": id, "data": [{"data_unit": id}, ...]}'})
            _get(state, 'projects', item['project'])
            for entry in item['data']:
                created.append(_public(state.add('tasks', project=item['project'], **entry)))
        state.touch()
        return Response(201, {'created_count': len(created), 'results': created})

    router.add('POST', '/tasks/', create_tasks)

    def annotate(r: Request) -> Any:
        task = _get(state, 'tasks', r.params['id'])
        schema = r.q('schema')
        data = r.json()
        if schema == 'dm_schema_v1' and not isinstance(data, dict):
            raise _field_errors({'data': 'dm_schema_v1 requires a JSON object'})
        with state.lock:
            task['data'] = data
        return _public(task)

    router.add('PUT', '/tasks/{id}/annotate_task_data/', annotate)

    def set_tags(table: str) -> Any:
        def handler(r: Request) -> Any:
            body = r.json() or {}
            action = body.get('action', 'add')
            if action not in ('add', 'remove'):
                raise _field_errors({'action': f'"{action}" is not a valid choice.'})
            with state.lock:
                for object_id in body.get('ids', []):
                    row = _get(state, table, object_id)
                    tags = set(row.get('tags', []))
                    tags = (
                        tags | set(body.get('tags', []))
                        if action == 'add'
                        else tags - set(body.get('tags', []))
                    )
                    row['tags'] = sorted(tags)
            state.touch()
            return {'updated': len(body.get('ids', []))}

        return handler

    router.add('POST', '/tasks/set_tags/', set_tags('tasks'))
    router.add('POST', '/assignments/set_tags/', set_tags('assignments'))

    # -- data collections / files / units -------------------------------------------------------
    listing('/data_collections/', 'data_collections')
    detail('/data_collections/{id}/', 'data_collections')

    content_range = re.compile(r'bytes (\d+)-(\d+)/(\d+)')

    def chunk_put(r: Request) -> Any:
        fields, files = r.form()
        if 'file' not in files:
            raise _field_errors({'file': 'No file was submitted.'})
        chunk = files['file'][1]
        found = content_range.fullmatch(r.headers.get('Content-Range') or '')
        if not found:
            raise HTTPFailure(400, {'detail': 'Error in request headers: Content-Range'})
        start, end, total = (int(g) for g in found.groups())
        if end - start + 1 != len(chunk):
            raise HTTPFailure(400, {'detail': "File size doesn't match headers"})
        with state.lock:
            if 'id' in r.params:
                upload = _get(state, 'chunked_uploads', r.params['id'])
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
                upload = _get(state, 'chunked_uploads', r.params['id'])
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
            _public(_get(state, 'chunked_uploads', r.params['id']))
            | {'url': f'{r.base_url}/chunked_upload/{r.params["id"]}/'}
        ),
    )

    def create_data_file(r: Request) -> Any:
        body = r.json()
        if isinstance(body, dict) and 'chunked_upload' in body:
            upload = _get(state, 'chunked_uploads', body['chunked_upload'])
            if not upload.get('completed_at'):
                raise _field_errors({'chunked_upload': 'upload is not complete'})
            content, name = upload['content'], upload['filename']
        else:
            _, files = r.form()
            if 'file' not in files:
                raise _field_errors({'file': 'No file was submitted.'})
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
        return Response(201, _public(row))

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

    listing('/data_units/', 'data_units')
    detail('/data_units/{id}/', 'data_units')

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
            _get(state, 'data_collections', item['data_collection'])
            created.append(_public(state.add('data_units', **item)))
        state.touch()
        return Response(201, {'results': created} if isinstance(body, list) else created[0])

    router.add('POST', '/data_units/', create_data_units)

    def delete_data_unit(r: Request) -> Any:
        unit = _get(state, 'data_units', r.params['id'])
        with state.lock:
            del state.data_units[unit['id']]
        state.touch()
        return Response(204)

    router.add('DELETE', '/data_units/{id}/', delete_data_unit)

    # -- ML -------------------------------------------------------------------------------------
    listing('/models/', 'models')
    detail('/models/{id}/', 'models')

    def create_model(r: Request) -> Any:
        body = r.data()
        if not body.get('name'):
            raise _field_errors({'name': 'This field is required.'})
        if body.get('chunked_upload') is not None:
            upload = _get(state, 'chunked_uploads', body['chunked_upload'])
            if not upload.get('completed_at'):
                raise _field_errors({'chunked_upload': 'upload is not complete'})
            body['file'] = f'{r.base_url}/media/models/{upload["id"]}/{upload["filename"]}'
        return Response(201, _public(state.add('models', **body)))

    router.add('POST', '/models/', create_model)
    listing('/ground_truths/', 'ground_truths')
    listing('/sdk/ground_truth_events/', 'ground_truth_events')
    listing('/sdk/ground_truth_events/data/', 'ground_truth_events')
    listing('/sdk/ground_truth_events/files/', 'ground_truth_events')
    listing('/ground_truth_dataset_versions/', 'ground_truth_versions')
    detail('/ground_truth_dataset_versions/{id}/', 'ground_truth_versions')

    # -- jobs and logs --------------------------------------------------------------------------
    listing('/jobs/', 'jobs')
    detail('/jobs/{id}/', 'jobs')

    def update_job(r: Request) -> Any:
        job = _get(state, 'jobs', r.params['id'])
        body = r.json()
        if not isinstance(body, dict):
            raise HTTPFailure(400, {'detail': 'expected a JSON object'})
        unknown = set(body) - JOB_FIELDS
        if unknown:
            raise _field_errors({k: 'unknown field' for k in sorted(unknown)})
        if 'status' in body and body['status'] not in JOB_STATUSES:
            raise _field_errors({'status': f'"{body["status"]}" is not a valid choice.'})
        with state.lock:
            job.update(body)
            job.setdefault('_updates', []).append(body)
        return _public(job)

    router.add('PATCH', '/jobs/{id}/', update_job)
    router.add('GET', '/jobs/{id}/console_logs/', lambda r: {'logs': _console_lines(state, r.params['id'])})

    def tail(r: Request) -> Any:
        job = _get(state, 'jobs', r.params['id'])
        lines = _console_lines(state, r.params['id'])

        def frames() -> Any:
            yield format_sse(None, {'type': 'connected', 'job_id': job['id']})
            yield b': heartbeat\n\n'
            for line in lines:
                yield format_sse(None, {'type': 'log', 'data': line})
            yield format_sse(None, {'type': 'complete', 'message': f'job {job["status"]}'})

        return StreamResponse(frames())

    router.add('GET', '/jobs/{id}/tail_console_logs/', tail)

    def create_logs(r: Request) -> Any:
        body = r.json()
        items = body if isinstance(body, list) else [body]
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise HTTPFailure(400, {str(index): ['expected an object']})
        with state.lock:
            for item in items:
                state.job_logs.append({'id': len(state.job_logs) + 1, 'created': now_iso(), **item})
        return Response(201, {'created': len(items)})

    router.add('POST', '/logs/', create_logs)
    router.add('GET', '/logs/', lambda r: drf_page(r, [e for e in state.job_logs if _log_match(e, r)]))
    listing('/serve_applications/', 'serve_applications')
    router.add(
        'POST',
        '/serve_applications/',
        lambda r: Response(201, _public(state.add('serve_applications', **(r.json() or {})))),
    )

    # -- plugins, releases, storages, agents, login ---------------------------------------------
    listing('/plugins/', 'plugins')

    def plugin_by_key(key: str) -> dict[str, Any]:
        for plugin in state.plugins.values():
            if str(plugin['id']) == key or plugin.get('code') == key:
                return plugin
        raise HTTPFailure(404, {'detail': 'Not found.'})

    router.add('GET', '/plugins/{id}/', lambda r: _public(plugin_by_key(r.params['id'])))
    router.add('POST', '/plugins/', lambda r: Response(201, _public(state.add('plugins', **r.data()))))

    def update_plugin(r: Request) -> Any:
        plugin = plugin_by_key(r.params['id'])
        with state.lock:
            plugin.update(r.data())
        return _public(plugin)

    router.add('PUT', '/plugins/{id}/', update_plugin)

    def run_plugin(r: Request) -> Any:
        plugin = plugin_by_key(r.params['id'])
        body = r.json() or {}
        job = state.add_job(
            action=body.get('action') or 'run',
            params=body.get('params') or {},
            plugin=plugin['code'],
            meta={
                'agent': body.get('agent'),
                'version': body.get('version'),
                'language': body.get('language'),
            },
        )
        return Response(201, _public(job))

    router.add('POST', '/plugins/{id}/run/', run_plugin)

    def release_by_lookup(lookup: str) -> dict[str, Any]:
        for release in state.plugin_releases.values():
            code = release.get('plugin')
            if str(release['id']) == lookup or f'{code}@{release.get("version")}' == lookup:
                return release
        raise HTTPFailure(404, {'detail': 'Not found.'})

    def get_release(r: Request) -> Any:
        release = _public(release_by_lookup(r.params['id']))
        if r.q('expand') == 'plugin':
            plugin = next((p for p in state.plugins.values() if p.get('code') == release.get('plugin')), None)
            release['plugin'] = _public(plugin) if plugin else {'code': release.get('plugin')}
        return release

    router.add('GET', '/plugin_releases/{id}/', get_release)
    listing('/plugin_releases/', 'plugin_releases')

    def create_release(r: Request) -> Any:
        body = r.data()
        _, files = r.form()
        if not body.get('plugin') or not body.get('version'):
            raise _field_errors(
                {'plugin' if not body.get('plugin') else 'version': 'This field is required.'}
            )
        for release in state.plugin_releases.values():
            if release.get('plugin') == body['plugin'] and release.get('version') == body['version']:
                raise _field_errors({'version': f'release {body["plugin"]}@{body["version"]} already exists'})
        if isinstance(body.get('debug'), str):
            body['debug'] = body['debug'] == 'true'
        if 'file' in files:
            name, content = files['file']
            body['file'] = f'{r.base_url}/media/plugin_releases/{uuid.uuid4().hex}/{name}'
            body['_archive'] = content
        return Response(201, _public(state.add('plugin_releases', **body)))

    router.add('POST', '/plugin_releases/', create_release)

    def list_storages(r: Request) -> Any:
        return drf_page(
            r,
            select(state, 'storages', r),
            lambda s: {k: v for k, v in _public(s).items() if k != 'configuration'},
        )

    router.add('GET', '/storages/', list_storages)

    def get_storage(r: Request) -> Any:
        storage = _public(_get(state, 'storages', r.params['id']))
        if r.q('with_configuration') != 'true':
            storage.pop('configuration', None)
        return storage

    router.add('GET', '/storages/{id}/', get_storage)

    def storage_session(r: Request) -> Any:
        storage = _get(state, 'storages', r.params['id'])
        purpose = (r.json() or {}).get('purpose', 'read')
        if purpose not in ('read', 'write'):
            raise _field_errors({'purpose': f'"{purpose}" is not a valid choice.'})
        return {
            'provider': storage['provider'],
            'configuration': storage['configuration'],
            'expires_at': None,
            'contract_version': 1,
        }

    router.add('POST', '/storages/{id}/session/', storage_session)
    router.add('GET', '/agents/', lambda r: drf_page(r, select(state, 'agents', r), _public))

    def connect_agent(r: Request) -> Any:
        agent = next((a for a in state.agents.values() if a.get('token') == r.params['token']), None)
        if agent is None:
            raise HTTPFailure(404, {'detail': 'Not found.'})
        return {'id': agent['id'], 'status': 'connected'}

    router.add('POST', '/agents/{token}/connect/', connect_agent)

    def login(r: Request) -> Any:
        body = r.json() or {}
        expected = state.logins.get(body.get('email', ''))
        if expected is None or expected != body.get('password'):
            raise HTTPFailure(400, {'non_field_errors': ['Unable to log in with provided credentials.']})
        token = hashlib.sha1(f'{body["email"]}:{uuid.uuid4()}'.encode(), usedforsecurity=False).hexdigest()
        state.user_tokens.add(token)
        return {'token': token}

    router.add('POST', '/users/login/', login, public=True)


def _console_lines(state: FakeState, job_id: str) -> list[str]:
    """The job's ``console_logs`` (a string or a list of lines) as lines."""
    text = _get(state, 'jobs', job_id).get('console_logs') or ''
    return text.splitlines() if isinstance(text, str) else [str(line) for line in text]


def _log_match(entry: dict[str, Any], r: Request) -> bool:
    job = r.q('job')
    return job is None or str(entry.get('job')) == job
