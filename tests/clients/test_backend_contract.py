"""The v2 models, the client methods (v1 and v2) and the fake backend's routes all agree with one description
of the backend: specs/backend.openapi.yaml.

- the document is valid OpenAPI 3.1 (openapi-spec-validator, an independent validator);
- the fake serves exactly the documented routes (every path and method, both ways);
- every v2 response model has exactly the documented fields, requires none the document leaves optional and
  accepts every type the document allows;
- every public method of ``BackendClient`` and of every ``BackendV2Client`` resource is called against the
  fake: each request it makes must be a documented operation, with documented query parameters and a body
  valid against the documented request schema, and each JSON answer of the fake must be valid against the
  documented response schema (v2 answers strictly: no field the document does not name).
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.backend_v2 import BackendV2Client
from synapse_sdk.clients.backend_v2 import models as v2_models
from synapse_sdk.clients.backend_v2.resources import Resource
from synapse_sdk.clients.testing import FakeBackend

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / 'specs' / 'backend.openapi.yaml'
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding='utf-8'))
METHODS = ('get', 'put', 'post', 'patch', 'delete')

# Routes of the fake that are not the backend's: the object store that presigned upload URLs point at, and the
# original files that records' file URLs point at (`FakeBackend.add_media`).
FAKE_ONLY = {('PUT', '/_storage/{}'), ('GET', '/media/files/{}/{}')}
# Requests the clients make that are not to the backend API: files behind URLs the backend handed out.
NOT_API = re.compile(r'^/(?:_storage|media)/')


# -- the document ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any]
    path_parameters: tuple[dict[str, Any], ...]

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile('^' + re.sub(r'\\\{\w+\\\}', '[^/]+', re.escape(self.template)) + '$')

    def parameters(self) -> list[dict[str, Any]]:
        return [resolve(p) for p in (*self.path_parameters, *self.spec.get('parameters', []))]


def resolve(node: Any) -> Any:
    while isinstance(node, dict) and '$ref' in node:
        target: Any = SPEC
        for part in node['$ref'].removeprefix('#/').split('/'):
            target = target[part]
        node = target
    return node


def operations() -> list[Operation]:
    found = []
    for template, item in SPEC['paths'].items():
        for method in METHODS:
            if method in item:
                found.append(
                    Operation(method.upper(), template, item[method], tuple(item.get('parameters', [])))
                )
    # Literal paths first, so /v2/tasks/bulk-fetch/ is not taken for /v2/tasks/{id}/.
    return sorted(found, key=lambda o: o.template.count('{'))


def find_operation(method: str, path: str) -> Operation | None:
    return next((o for o in operations() if o.method == method and o.regex.match(path)), None)


def normalised(template: str) -> str:
    return re.sub(r'\{\w+\}', '{}', template)


def _strict(node: Any) -> Any:
    """A copy in which objects that list their properties allow no others (for v2 answers)."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if 'properties' in node and 'additionalProperties' not in node and 'allOf' not in node:
            node['additionalProperties'] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def validator(schema: dict[str, Any], *, strict: bool) -> Draft202012Validator:
    components = SPEC['components']
    if strict:
        schema, components = (
            _strict(schema),
            {
                **components,
                'schemas': {
                    name: _strict(s) if not name.startswith(('V1', 'DRF')) else s
                    for name, s in components['schemas'].items()
                },
            },
        )
    return Draft202012Validator({**schema, 'components': components}, format_checker=FormatChecker())


def errors_of(instance: Any, schema: dict[str, Any], *, strict: bool) -> list[str]:
    return [
        f'{"/".join(map(str, e.absolute_path)) or "<root>"}: {e.message}'
        for e in validator(schema, strict=strict).iter_errors(instance)
    ]


def test_document_is_valid_openapi() -> None:
    validate_openapi(copy.deepcopy(SPEC))
    assert len(operations()) > 90
    ids = [o.spec['operationId'] for o in operations()]
    assert len(ids) == len(set(ids))


# -- the fake's routes -----------------------------------------------------------------------------------
def test_fake_serves_exactly_the_documented_routes() -> None:
    fake = FakeBackend()
    served = set()
    for method, regex, _handler, _public in fake.router.routes:
        template = re.sub(r'\(\?P<\w+>\[\^/\]\+\)', '{}', regex.pattern)[1:-1]
        if not template.startswith('/agent/'):  # the agent API: another server, not this document
            served.add((method, template))
    documented = {(o.method, normalised(o.template)) for o in operations()}
    assert served - FAKE_ONLY - documented == set(), 'the fake serves routes the document does not describe'
    assert documented - served == set(), 'documented routes the fake does not serve'


# -- v2 models against the component schemas -------------------------------------------------------------
def json_types(schema: Any, definitions: dict[str, Any]) -> set[str]:
    """The JSON types a schema accepts (coarse: formats aside), following $ref, anyOf, oneOf and allOf."""
    everything = {'null', 'boolean', 'integer', 'number', 'string', 'array', 'object'}
    if not isinstance(schema, dict):
        return everything
    if '$ref' in schema:
        ref = schema['$ref']
        target = resolve(schema) if ref.startswith('#/components/') else definitions[ref.rsplit('/', 1)[1]]
        return json_types(target, definitions)
    for union in ('anyOf', 'oneOf'):
        if union in schema:
            return set().union(*(json_types(s, definitions) for s in schema[union]))
    if 'allOf' in schema:
        return set.intersection(*(json_types(s, definitions) for s in schema['allOf']))
    if 'const' in schema and 'type' not in schema:
        return {'null'} if schema['const'] is None else everything
    declared = schema.get('type')
    if declared is None:
        return everything
    types = {declared} if isinstance(declared, str) else set(declared)
    return types | ({'integer'} if 'number' in types else set())


def model_schemas() -> Iterator[tuple[str, type, dict[str, Any]]]:
    for name in v2_models.__all__:
        model = getattr(v2_models, name)
        if name in SPEC['components']['schemas']:
            yield name, model, resolve(SPEC['components']['schemas'][name])


def test_every_v2_model_is_documented() -> None:
    undocumented = set(v2_models.__all__) - set(SPEC['components']['schemas']) - {'V2Model'}
    assert not undocumented


@pytest.mark.parametrize(
    ('name', 'model', 'documented'), list(model_schemas()), ids=lambda v: v if isinstance(v, str) else ''
)
def test_v2_model_agrees_with_the_document(name: str, model: type, documented: dict[str, Any]) -> None:
    ours = model.model_json_schema(by_alias=True, mode='validation')
    definitions = ours.get('$defs', {})
    assert set(ours['properties']) == set(documented['properties']), f'{name}: fields differ'
    too_strict = set(ours.get('required', [])) - set(documented.get('required', []))
    assert not too_strict, f'{name} requires fields the document leaves optional: {too_strict}'
    for field, spec in documented['properties'].items():
        allowed = json_types(spec, definitions)
        accepted = json_types(ours['properties'][field], definitions)
        assert allowed <= accepted, (
            f'{name}.{field}: the document allows {allowed - accepted}, the model rejects it'
        )
        if ours['properties'][field].get('format') == 'date-time' or any(
            s.get('format') == 'date-time' for s in ours['properties'][field].get('anyOf', [])
        ):
            assert 'date-time' in json.dumps(spec), (
                f'{name}.{field}: the model parses a date-time, the document does not say so'
            )


# -- the clients' methods, called against the fake -------------------------------------------------------
@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    content_type: str
    status: int
    response: Any
    response_type: str


@pytest.fixture
def exchanges(monkeypatch: pytest.MonkeyPatch) -> list[Exchange]:
    """Every request the clients send through ``requests`` and the fake's answer."""
    seen: list[Exchange] = []
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = original(self, request, **kwargs)
        url = urlsplit(request.url or '')
        content_type = request.headers.get('Content-Type', '')
        body: Any = request.body
        if body and 'json' in content_type:
            body = json.loads(body)
        response_type = response.headers.get('Content-Type', '')
        answer = None
        if 'json' in response_type and not kwargs.get('stream') and response.content:
            answer = response.json()
        seen.append(
            Exchange(
                request.method or '',
                url.path,
                parse_qs(url.query, keep_blank_values=True),
                body,
                content_type,
                response.status_code,
                answer,
                response_type,
            )
        )
        return response

    monkeypatch.setattr(requests.Session, 'send', send)
    return seen


def check(exchanges: list[Exchange]) -> list[str]:
    """What in the exchanges the document does not describe."""
    problems = []
    for x in exchanges:
        if NOT_API.match(x.path):
            continue
        where = f'{x.method} {x.path}'
        operation = find_operation(x.method, x.path)
        if operation is None:
            problems.append(f'{where}: no such operation in the document')
            continue
        declared = {p['name'] for p in operation.parameters() if p['in'] == 'query'}
        unknown = set(x.query) - declared
        if unknown:
            problems.append(f'{where}: undocumented query parameters {sorted(unknown)}')
        body_spec = operation.spec.get('requestBody', {}).get('content', {})
        if x.body and 'json' in x.content_type:
            if 'application/json' not in body_spec:
                problems.append(f'{where}: sends JSON, the document takes none')
            else:
                problems += [
                    f'{where} request {e}'
                    for e in errors_of(x.body, body_spec['application/json']['schema'], strict=False)
                ]
        elif (
            x.body
            and x.content_type.startswith('multipart/form-data')
            and 'multipart/form-data' not in body_spec
        ):
            problems.append(f'{where}: sends multipart/form-data, the document does not take it')
        if x.status >= 400:
            problems.append(f'{where}: the fake answered {x.status}: {x.response}')
            continue
        documented = operation.spec['responses'].get(str(x.status))
        if documented is None:
            problems.append(f'{where}: status {x.status} is not documented')
            continue
        content = resolve(documented).get('content', {})
        if x.response is not None:
            if 'application/json' not in content:
                problems.append(f'{where}: answers JSON, the document says {list(content)}')
                continue
            strict = x.path.startswith('/v2/')
            problems += [
                f'{where} response {e}'
                for e in errors_of(x.response, content['application/json']['schema'], strict=strict)
            ]
        elif 'text/event-stream' in x.response_type and 'text/event-stream' not in content:
            problems.append(f'{where}: streams events, the document says {list(content)}')
    return problems


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A fake backend with one of everything the calls below need."""
    with FakeBackend() as backend:
        s = backend.state
        project = s.add_project(title='Contract')
        collection = s.add_data_collection(name='Images')
        tasks = s.add_tasks(project['id'], 3, data={'annotations': {}})
        assignment = s.add_assignment(tasks[0]['id'], user=1, reviewer=1)
        unit = s.add_data_unit(data_collection=collection['id'])
        s.add('task_tags', name='checked', project=project['id'])
        s.add_storage(
            name='bucket', category='internal', provider='s3', configuration={'bucket': 'b'}, is_default=True
        )
        plugin = s.add_plugin(code='demo', name='Demo')
        s.add_plugin_release(plugin='demo', version='1.0.0')
        job = s.add_job(console_logs='one\ntwo')
        s.add_agent(name='agent', token='a' * 40)
        s.add_model(name='model', file=f'{backend.url}/media/models/1/model.bin')
        s.add('ground_truth_versions', version='v1', ground_truth_dataset=1)
        truth = s.add_ground_truth(
            ground_truth_dataset=1, data_unit=unit['id'], category='train', project=project['id']
        )
        event = s.add_ground_truth_event(
            pgh_id=10,
            pgh_obj_id=truth['id'],
            pgh_label='insert',
            data_unit=unit['id'],
            ground_truth_dataset=1,
            data={'a': 1},
        )
        s.add('tokens', description='ci', last_used=None, _token='syn_other')
        async_job = s.add_async_job(category='plugin_export', type='plugin_export')
        s.add('serve_applications', job=job['id'], status='RUNNING')
        s.job_logs.append({'id': 1, 'job': job['id'], 'message': 'hello', 'level': 'info'})
        s.logins['ada@example.com'] = 'pw'
        upload_file = tmp_path / 'model.bin'
        upload_file.write_bytes(b'weights' * 100)
        archive = tmp_path / 'plugin.zip'
        archive.write_bytes(b'PK archive')
        yield {
            'backend': backend,
            'project': project,
            'collection': collection,
            'tasks': tasks,
            'assignment': assignment,
            'unit': unit,
            'plugin': plugin,
            'job': job,
            'truth': truth,
            'event': event,
            'async_job': async_job,
            'file': upload_file,
            'archive': archive,
            'tmp': tmp_path,
        }


V2Call = Callable[[BackendV2Client, dict[str, Any]], Any]


def _upload(client: BackendV2Client, w: dict[str, Any]) -> Any:
    content = b'hello'
    target = client.data_collections.upload_urls(
        w['collection']['id'], {'files': [{'filename': 'a.txt', 'size': 5}]}
    )
    requests.put(str(target.files[0].presigned_url), data=content, timeout=5)
    sha1 = hashlib.sha1(content, usedforsecurity=False).hexdigest()
    files = [{'file_key': target.files[0].file_key, 'checksum': sha1, 'size': 5}]
    return client.data_collections.finalize_upload(w['collection']['id'], {'files': files})


V2_CALLS: dict[str, V2Call] = {
    'users.me': lambda c, w: c.users.me(),
    'tenants.list': lambda c, w: list(c.tenants.list(per_page=1, list_all=True)),
    'tenants.retrieve': lambda c, w: c.tenants.retrieve('acme'),
    'tokens.list': lambda c, w: c.tokens.list(per_page=5),
    'tokens.retrieve': lambda c, w: c.tokens.retrieve(1),
    'tokens.create': lambda c, w: c.tokens.create('contract'),
    'tokens.destroy': lambda c, w: c.tokens.destroy(1),
    'projects.list': lambda c, w: list(
        c.projects.list(category='image', data_collection=None, list_all=True)
    ),
    'projects.retrieve': lambda c, w: c.projects.retrieve(w['project']['id']),
    'projects.create': lambda c, w: c.projects.create({'title': 'New', 'category': 'image'}),
    'projects.partial_update': lambda c, w: c.projects.partial_update(
        w['project']['id'], {'description': 'd'}
    ),
    'tasks.list': lambda c, w: list(c.tasks.list(project=w['project']['id'], per_page=2, list_all=True)),
    'tasks.retrieve': lambda c, w: c.tasks.retrieve(w['tasks'][0]['id']),
    'tasks.create': lambda c, w: c.tasks.create(
        {'project': w['project']['id'], 'data_unit': w['unit']['id']}
    ),
    'tasks.bulk_fetch': lambda c, w: c.tasks.bulk_fetch([t['id'] for t in w['tasks']]),
    'tasks.bulk_create': lambda c, w: c.tasks.bulk_create(
        project=w['project']['id'], data_unit_ids=[w['unit']['id']]
    ),
    'tasks.annotate_task_data': lambda c, w: c.tasks.annotate_task_data(
        w['tasks'][0]['id'], data={'a': 1}, schema='any'
    ),
    'assignments.list': lambda c, w: list(
        c.assignments.list(
            project=w['project']['id'],
            task=w['tasks'][0]['id'],
            status_label='stand_by',
            status_review='stand_by',
            is_confirmed=False,
            is_discarded=False,
            list_all=True,
        )
    ),
    'assignments.retrieve': lambda c, w: c.assignments.retrieve(w['assignment']['id']),
    'assignments.bulk_fetch': lambda c, w: c.assignments.bulk_fetch(
        [w['assignment']['id']], response_mode='presigned'
    ),
    'assignments.set_data': lambda c, w: c.assignments.set_data(
        w['assignment']['id'], {'a': 1}, dry_run=True
    ),
    'ground_truths.list': lambda c, w: list(c.ground_truths.list(ground_truth_dataset=1, list_all=True)),
    'ground_truths.retrieve': lambda c, w: c.ground_truths.retrieve(w['truth']['id']),
    'ground_truths.bulk_data': lambda c, w: c.ground_truths.bulk_data(
        [w['truth']['id']], project=w['project']['id']
    ),
    'ground_truth_events.list': lambda c, w: list(
        c.ground_truth_events.list(
            ground_truth_dataset=1, ground_truth_dataset_version=None, project=None, list_all=True
        )
    ),
    'ground_truth_events.retrieve': lambda c, w: c.ground_truth_events.retrieve(w['event']['pgh_id']),
    'ground_truth_events.bulk_data': lambda c, w: c.ground_truth_events.bulk_data([w['event']['pgh_id']]),
    'data_collections.list': lambda c, w: list(c.data_collections.list(category='image', list_all=True)),
    'data_collections.retrieve': lambda c, w: c.data_collections.retrieve(w['collection']['id']),
    'data_collections.create': lambda c, w: c.data_collections.create({'name': 'More', 'category': 'image'}),
    'data_collections.upload_urls': _upload,
    'data_collections.finalize_upload': _upload,
    'data_units.list': lambda c, w: list(
        c.data_units.list(data_collection=w['collection']['id'], list_all=True)
    ),
    'data_units.retrieve': lambda c, w: c.data_units.retrieve(w['unit']['id']),
    'data_units.destroy': lambda c, w: c.data_units.destroy(w['unit']['id']),
    'data_units.bulk_create': lambda c, w: (
        _upload(c, w),
        c.data_units.bulk_create(
            data_collection=w['collection']['id'],
            units=[
                {'files': {'image': {'checksum': hashlib.sha1(b'hello', usedforsecurity=False).hexdigest()}}}
            ],
        ),
    ),
    'plugin_exports.create': lambda c, w: c.plugin_exports.create(
        storage_id=1,
        path='exports/x',
        targets=['task'],
        project_id=w['project']['id'],
        ray_job_id='raysubmit_1',
        chunk_size=100,
        filters={'project': w['project']['id']},
    ),
    'async_jobs.list': lambda c, w: c.async_jobs.list(page=1, page_size=10),
    'async_jobs.retrieve': lambda c, w: c.async_jobs.retrieve(w['async_job']['id']),
    'async_jobs.cancel': lambda c, w: c.async_jobs.cancel(w['async_job']['id']),
    'async_jobs.stream_progress': lambda c, w: list(c.async_jobs.stream_progress(w['async_job']['id'])),
}


def v2_methods() -> set[str]:
    """``resource.method`` for every public method of every resource on a ``BackendV2Client``."""
    client = BackendV2Client('http://127.0.0.1:1', access_token='x')
    found = set()
    for attribute in dir(client):
        resource = getattr(type(client), attribute, None)
        if isinstance(resource, property) or attribute.startswith('_'):
            continue
        value = getattr(client, attribute, None)
        if isinstance(value, Resource):
            for name, _member in inspect.getmembers(type(value), inspect.isfunction):
                if not name.startswith('_'):
                    found.add(f'{attribute}.{name}')
    return found


def test_every_v2_resource_method_is_exercised() -> None:
    assert v2_methods() == set(V2_CALLS), 'resource methods and the calls of this test differ'


@pytest.mark.parametrize('name', sorted(V2_CALLS))
def test_v2_resource_method_agrees_with_the_document(
    name: str, world: dict[str, Any], exchanges: list[Exchange]
) -> None:
    V2_CALLS[name](world['backend'].v2_client(), world)
    ours = [x for x in exchanges if not NOT_API.match(x.path)]
    assert ours, f'{name} sent no request'
    assert check(exchanges) == []


V1Call = Callable[[BackendClient, dict[str, Any]], Any]


def _listing(items: Any) -> list[Any]:
    """``list_all=True`` answers ``(iterator, count)``: drain it so every page is requested."""
    return list(items[0]) if isinstance(items, tuple) else items


V1_CALLS: dict[str, V1Call] = {
    'list_projects': lambda c, w: _listing(c.list_projects(list_all=True, page_size=1)),
    'get_project': lambda c, w: c.get_project(w['project']['id']),
    'get_task': lambda c, w: c.get_task(w['tasks'][0]['id'], params={'expand': 'data_unit'}),
    'list_tasks': lambda c, w: _listing(
        c.list_tasks({'project': w['project']['id']}, list_all=True, page_size=2)
    ),
    'list_tasks_data': lambda c, w: c.list_tasks_data({'project': w['project']['id'], 'fields': ['data']}),
    'list_tasks_files': lambda c, w: c.list_tasks_files({'project': w['project']['id']}),
    'create_tasks': lambda c, w: c.create_tasks(
        {'project': w['project']['id'], 'data': [{'data_unit': w['unit']['id']}]}
    ),
    'annotate_task_data': lambda c, w: c.annotate_task_data(
        w['tasks'][0]['id'], {'annotations': {}}, schema='dm_schema_v1'
    ),
    'get_task_tag': lambda c, w: c.get_task_tag(1),
    'list_task_tags': lambda c, w: _listing(c.list_task_tags({'project': w['project']['id']}, list_all=True)),
    'set_tags_tasks': lambda c, w: c.set_tags_tasks({'ids': [w['tasks'][0]['id']], 'tags': [1]}),
    'get_assignment': lambda c, w: c.get_assignment(w['assignment']['id']),
    'list_assignments': lambda c, w: _listing(
        c.list_assignments({'project': w['project']['id']}, list_all=True)
    ),
    'list_assignments_data': lambda c, w: c.list_assignments_data({'task': w['tasks'][0]['id']}),
    'list_assignments_files': lambda c, w: c.list_assignments_files({'project': w['project']['id']}),
    'get_assignments': lambda c, w: _listing(c.get_assignments({'project': w['project']['id']})),
    'set_tags_assignments': lambda c, w: c.set_tags_assignments(
        {'ids': [w['assignment']['id']], 'tags': [1], 'action': 'remove'}
    ),
    'list_data_collections': lambda c, w: _listing(c.list_data_collections(list_all=True)),
    'get_data_collection': lambda c, w: c.get_data_collection(w['collection']['id']),
    'create_chunked_upload': lambda c, w: c.create_chunked_upload(w['file'], chunk_size=256),
    'get_chunked_upload': lambda c, w: c.get_chunked_upload(c.create_chunked_upload(w['file'])['id']),
    'create_data_file': lambda c, w: (
        c.create_data_file(w['file']),
        c.create_data_file(w['file'], use_chunked_upload=True),
    ),
    'verify_data_files_checksums': lambda c, w: c.verify_data_files_checksums(['0' * 40]),
    'get_data_unit': lambda c, w: c.get_data_unit(w['unit']['id'], params={'fields': ['files']}),
    'list_data_units': lambda c, w: _listing(
        c.list_data_units({'data_collection': w['collection']['id']}, list_all=True)
    ),
    'delete_data_unit': lambda c, w: c.delete_data_unit(w['unit']['id']),
    'create_data_units': lambda c, w: (
        c.create_data_units(
            {'data_collection': w['collection']['id'], 'files': {'image': {'checksum': 'c'}}}
        ),
        c.create_data_units(
            [
                {
                    'data_collection': w['collection']['id'],
                    'files': {'image': {'checksum': 'd'}},
                    'groups': ['g'],
                }
            ]
        ),
    ),
    'upload_data_file': lambda c, w: c.upload_data_file(
        {'files': {'image': w['file']}, 'groups': 'g'}, w['collection']['id']
    ),
    'list_plugins': lambda c, w: _listing(c.list_plugins(list_all=True)),
    'get_plugin': lambda c, w: c.get_plugin('demo'),
    'create_plugin': lambda c, w: c.create_plugin({'code': 'other', 'name': 'Other', 'category': 'export'}),
    'update_plugin': lambda c, w: c.update_plugin('demo', {'name': 'Renamed'}),
    'run_plugin': lambda c, w: c.run_plugin(
        'demo', {'action': 'export', 'params': {'a': 1}, 'agent': 1, 'version': '1.0.0'}
    ),
    'list_plugin_releases': lambda c, w: c.list_plugin_releases('demo'),
    'get_plugin_release': lambda c, w: c.get_plugin_release('demo@1.0.0', params={'expand': 'plugin'}),
    'create_plugin_release': lambda c, w: (
        c.create_plugin_release({'plugin': 'demo', 'version': '1.1.0', 'config': {'a': 1}}),
        c.create_plugin_release({'plugin': 'demo', 'version': '1.2.0'}, file=w['archive']),
    ),
    'get_storage': lambda c, w: c.get_storage(1),
    'list_storages': lambda c, w: c.list_storages({'category': 'internal'}),
    'get_default_storage': lambda c, w: c.get_default_storage(),
    'list_agents': lambda c, w: c.list_agents(),
    'health_check_agent': lambda c, w: c.health_check_agent('a' * 40),
    'get_job': lambda c, w: c.get_job(w['job']['id']),
    'list_jobs': lambda c, w: _listing(c.list_jobs({'status': 'PENDING'}, list_all=True)),
    'update_job': lambda c, w: c.update_job(
        w['job']['id'], {'status': 'RUNNING', 'progress_record': {'a': 1}}
    ),
    'list_job_console_logs': lambda c, w: c.list_job_console_logs(w['job']['id']),
    'tail_job_console_logs': lambda c, w: list(c.tail_job_console_logs(w['job']['id'])),
    'list_job_logs': lambda c, w: _listing(c.list_job_logs(w['job']['id'], list_all=True)),
    'create_logs': lambda c, w: c.create_logs([{'message': 'hi', 'level': 'info', 'job': w['job']['id']}]),
    'create_serve_application': lambda c, w: c.create_serve_application(
        {'job': w['job']['id'], 'status': 'RUNNING'}
    ),
    'list_serve_applications': lambda c, w: _listing(
        c.list_serve_applications({'job': w['job']['id']}, list_all=True)
    ),
    'list_models': lambda c, w: _listing(c.list_models(list_all=True)),
    'get_model': lambda c, w: c.get_model(1),
    'create_model': lambda c, w: c.create_model(
        {'name': 'm', 'plugin': 'demo', 'version': '1.0.0'}, file=w['file']
    ),
    'list_ground_truths': lambda c, w: _listing(
        c.list_ground_truths({'ground_truth_dataset': 1}, list_all=True)
    ),
    'list_ground_truth_events': lambda c, w: _listing(
        c.list_ground_truth_events({'ground_truth_dataset_versions': 1}, list_all=True)
    ),
    'list_ground_truth_events_data': lambda c, w: c.list_ground_truth_events_data({'category': 'train'}),
    'get_ground_truth_version': lambda c, w: c.get_ground_truth_version(1),
    'list_ground_truth_versions': lambda c, w: _listing(c.list_ground_truth_versions(list_all=True)),
}


def v1_methods() -> set[str]:
    from synapse_sdk.clients._base import BaseClient

    inherited = {name for name, _ in inspect.getmembers(BaseClient)}
    return {
        name
        for name, _member in inspect.getmembers(BackendClient, inspect.isfunction)
        if not name.startswith('_') and name not in inherited
    }


def test_every_v1_method_is_exercised() -> None:
    assert v1_methods() == set(V1_CALLS), 'BackendClient methods and the calls of this test differ'


@pytest.mark.parametrize('name', sorted(V1_CALLS))
def test_v1_method_agrees_with_the_document(
    name: str, world: dict[str, Any], exchanges: list[Exchange]
) -> None:
    V1_CALLS[name](world['backend'].client(url_host='internal'), world)
    ours = [x for x in exchanges if not NOT_API.match(x.path)]
    assert ours, f'{name} sent no request'
    assert check(exchanges) == []


def test_login_agrees_with_the_document(world: dict[str, Any], exchanges: list[Exchange]) -> None:
    world['backend'].v2_client().login(email='ada@example.com', password='pw')
    assert [x.path for x in exchanges] == ['/users/login/']
    assert check(exchanges) == []


def test_check_finds_what_the_document_does_not_describe(
    world: dict[str, Any], exchanges: list[Exchange]
) -> None:
    """The checker is not blind: undocumented routes, parameters, body fields and answer fields are reported."""
    client = world['backend'].v2_client()
    client.request('GET', '/v2/tasks/', params={'colour': 'red'})
    client.request('POST', '/v2/tasks/', json={'project': world['project']['id'], 'data_unit': 1, 'extra': 1})
    problems = check(exchanges)
    assert any('undocumented query parameters' in p and 'colour' in p for p in problems), problems
    assert any('request' in p and 'extra' in p for p in problems), problems
    fake = copy.deepcopy(exchanges[0])
    fake.response['data'][0]['surprise'] = 1
    assert any('surprise' in p for p in check([fake])), 'an undocumented answer field passed'
    fake.path, fake.method = '/v2/nowhere/', 'GET'
    assert check([fake]) == ['GET /v2/nowhere/: no such operation in the document']


# -- documented list filters, honoured by the fake -------------------------------------------------------
NOT_FILTERS = frozenset(
    {'page', 'page_size', 'cursor', 'per_page', 'url_host', 'expand', 'fields', 'sort', 'ordering', 'search'}
)


def list_operations() -> list[Operation]:
    return [
        o
        for o in operations()
        if o.method == 'GET'
        and '{' not in o.template
        and any(p['name'] in ('page', 'cursor') for p in o.parameters())
    ]


def _count(answer: Any) -> int:
    return len(answer['data'] if 'data' in answer else answer['results'])


def test_the_fake_honours_every_documented_filter(world: dict[str, Any]) -> None:
    """A documented filter the fake ignored would make tests pass that the backend would fail: asking for a
    value no row has must leave nothing, and ``true`` plus ``false`` must split the list."""
    session = requests.Session()
    backend = world['backend']
    session.headers.update({'SYNAPSE-ACCESS-TOKEN': backend.access_token})
    ignored, checked, empty = [], 0, []
    for operation in list_operations():
        url = backend.url + operation.template
        everything = _count(session.get(url, timeout=10).json())
        if not everything:
            empty.append(operation.template)
            continue
        for parameter in operation.parameters():
            name = parameter['name']
            if parameter['in'] != 'query' or name in NOT_FILTERS:
                continue
            kind = parameter['schema'].get('type')
            if kind == 'boolean':
                split = sum(
                    _count(session.get(url, params={name: v}, timeout=10).json()) for v in ('true', 'false')
                )
                honoured = split == everything
            else:
                value = '999999' if kind == 'integer' else 'no-such-value'
                honoured = _count(session.get(url, params={name: value}, timeout=10).json()) == 0
            checked += 1
            if not honoured:
                ignored.append(f'GET {operation.template} ?{name}')
    assert empty == [], f'lists the world leaves empty (nothing checked there): {empty}'
    assert checked > 40
    assert ignored == [], 'documented filters the fake ignores: ' + ', '.join(ignored)


# -- v1 request models against the documented request bodies --------------------------------------------
V1_REQUEST_MODELS = {
    'UpdateJobRequest': 'V1JobUpdateRequest',
    'SetTagsRequest': 'V1SetTagsRequest',
    'TaskCreateRequest': 'V1TaskCreateRequest',
    'DataUnitCreateRequest': 'V1DataUnitCreateRequest',
    'ModelCreateRequest': 'V1ModelCreateRequest',
    'PluginReleaseCreateRequest': 'V1PluginReleaseCreateRequest',
    'PluginRunRequest': 'V1PluginRunRequest',
    'ServeApplicationCreateRequest': 'V1ServeApplicationCreateRequest',
}


def test_every_v1_request_model_is_documented() -> None:
    from pydantic import BaseModel

    from synapse_sdk.clients.backend import _models

    ours = {
        name
        for name, value in vars(_models).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == _models.__name__
        and not name.startswith('_')
    }
    assert ours == set(V1_REQUEST_MODELS)


@pytest.mark.parametrize(('model_name', 'schema_name'), sorted(V1_REQUEST_MODELS.items()))
def test_v1_request_model_agrees_with_the_document(model_name: str, schema_name: str) -> None:
    """What the client validates before sending is what the document takes: same fields, same required ones,
    and no type the document would refuse (``None`` aside: the client drops it before sending)."""
    from synapse_sdk.clients.backend import _models

    ours = getattr(_models, model_name).model_json_schema(mode='serialization')
    documented = resolve(SPEC['components']['schemas'][schema_name])
    definitions = ours.get('$defs', {})
    assert set(ours['properties']) == set(documented['properties'])
    assert set(ours.get('required', [])) == set(documented.get('required', []))
    assert documented.get('additionalProperties') is False, (
        'the client refuses unknown fields; so does the document'
    )
    for field, spec in documented['properties'].items():
        sent = json_types(ours['properties'][field], definitions) - {'null'}
        accepted = json_types(spec, definitions)
        assert sent <= accepted, (
            f'{model_name}.{field}: the client may send {sent - accepted}, the document refuses it'
        )
