"""The real clients, storage providers and converters satisfy what synapse-core declares it calls.

`synapse_sdk.plugins.protocols` lists, as Protocols, every method core's category actions, dataset step
and job logger call on values from other distributions. mypy checks the same conformance statically
(tests/typing/test_core_protocols.py); this test checks it at run time on the real classes, signature by
signature: each declared method exists, takes every parameter core may pass (by the same name and kind,
or through ``**kwargs``), and requires nothing core does not pass. A renamed client method or keyword
fails here, not in a plugin run.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from synapse_sdk.plugins import protocols as p


def _members(protocol: type) -> dict[str, Any]:
    """The public methods and properties a Protocol declares (its own and its Protocol bases')."""
    out: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if not getattr(klass, '_is_protocol', False) or klass.__module__ == 'typing':
            continue
        for name, value in vars(klass).items():
            if not name.startswith('_') and (inspect.isfunction(value) or isinstance(value, property)):
                out[name] = value
    return out


def _check_callable(where: str, declared: Any, real: Any) -> list[str]:
    problems = []
    want = inspect.signature(declared)
    have = inspect.signature(real)
    want_params = [q for q in want.parameters.values() if q.name != 'self']
    have_params = {q.name: q for q in have.parameters.values() if q.name != 'self'}
    var_kw = any(q.kind is q.VAR_KEYWORD for q in have_params.values())
    var_pos = any(q.kind is q.VAR_POSITIONAL for q in have_params.values())
    for q in want_params:
        if q.kind in (q.VAR_KEYWORD, q.VAR_POSITIONAL):
            kind = q.kind
            if not any(h.kind is kind for h in have_params.values()):
                problems.append(f'{where}: takes no {q}')
            continue
        h = have_params.get(q.name)
        if h is None:
            if q.kind is q.KEYWORD_ONLY and var_kw:
                continue
            if q.kind is q.POSITIONAL_ONLY and var_pos:
                continue
            problems.append(f'{where}: has no parameter {q.name!r}')
            continue
        if q.kind is q.POSITIONAL_OR_KEYWORD and h.kind is not q.POSITIONAL_OR_KEYWORD:
            problems.append(f'{where}: {q.name!r} is {h.kind.description}, core passes it either way')
        if q.kind is q.KEYWORD_ONLY and h.kind not in (h.KEYWORD_ONLY, h.POSITIONAL_OR_KEYWORD):
            problems.append(f'{where}: {q.name!r} cannot be passed by keyword')
        if q.default is not q.empty and h.default is h.empty:
            problems.append(f'{where}: {q.name!r} is required, core may leave it out')
    declared_names = {q.name for q in want_params}
    for h in have_params.values():
        required = h.default is h.empty and h.kind not in (h.VAR_POSITIONAL, h.VAR_KEYWORD)
        if required and h.name not in declared_names:
            problems.append(f'{where}: requires {h.name!r}, which core never passes')
    return problems


def _conformance(protocol: type, real: type) -> list[str]:
    problems = []
    for name, declared in _members(protocol).items():
        attr = inspect.getattr_static(real, name, None)
        if attr is None:
            problems.append(f'{real.__name__}.{name}: missing (declared by {protocol.__name__})')
            continue
        if isinstance(declared, property):
            continue  # resources: checked through their own Protocols below
        problems += _check_callable(f'{real.__name__}.{name}', declared, getattr(real, name))
    return problems


def _v1() -> type:
    from synapse_sdk.clients.backend import BackendClient

    return BackendClient


def _v2_pairs() -> list[tuple[type, type]]:
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.clients.backend_v2 import resources as r
    from synapse_sdk.clients.backend_v2.pagination import CursorPage

    return [
        (p.BackendV2ClientProtocol, BackendV2Client),
        (p.V2TasksProtocol, r.TasksResource),
        (p.V2AssignmentsProtocol, r.AssignmentsResource),
        (p.V2GroundTruthEventsProtocol, r.GroundTruthEventsResource),
        (p.V2DataUnitsProtocol, r.DataUnitsResource),
        (p.V2PluginExportsProtocol, r.PluginExportsResource),
        (p.V2AsyncJobsProtocol, r.AsyncJobsResource),
        (p.V2PageProtocol, CursorPage),
    ]


def test_v1_client_has_every_method_core_calls_with_compatible_signatures() -> None:
    members = _members(p.BackendClientProtocol)
    # The job logger's two methods come with it (BackendClientProtocol extends JobLogTransport).
    assert {'create_logs', 'update_job', 'list_tasks', 'create_model'} <= set(members)
    assert _conformance(p.BackendClientProtocol, _v1()) == []


@pytest.mark.parametrize('protocol, real', _v2_pairs(), ids=lambda x: getattr(x, '__name__', str(x)))
def test_v2_client_and_resources_have_what_core_calls(protocol: type, real: type) -> None:
    assert _conformance(protocol, real) == []


def test_v2_client_resources_are_the_declared_ones() -> None:
    from synapse_sdk.clients.backend_v2 import BackendV2Client

    client = BackendV2Client('http://127.0.0.1:9', access_token='syn_x')
    assert isinstance(client, p.BackendV2ClientProtocol)
    for name, protocol in (
        ('tasks', p.V2TasksProtocol),
        ('assignments', p.V2AssignmentsProtocol),
        ('ground_truth_events', p.V2GroundTruthEventsProtocol),
        ('data_units', p.V2DataUnitsProtocol),
        ('plugin_exports', p.V2PluginExportsProtocol),
        ('async_jobs', p.V2AsyncJobsProtocol),
    ):
        resource = getattr(client, name)
        assert _conformance(protocol, type(resource)) == [], name
        if name in ('tasks', 'assignments', 'ground_truth_events'):
            assert isinstance(resource.base, str) and resource.base.startswith('/v2/')


@pytest.mark.parametrize('provider', ['local', 's3', 'gcs', 'sftp', 'http'])
def test_every_storage_provider_has_what_the_upload_action_calls(provider: str) -> None:
    from synapse_sdk.utils.storage.registry import resolve_provider

    assert _conformance(p.UploadStorageProtocol, resolve_provider(provider)) == []


def test_converters_have_what_the_dataset_step_calls(tmp_path) -> None:
    from synapse_sdk.utils.converters import get_converter
    from synapse_sdk.utils.converters.base import BaseConverter

    assert _check_callable('get_converter', p.ConverterFactory.__call__, get_converter) == []
    assert _conformance(p.DatasetConverterProtocol, BaseConverter) == []
    for source, target in (('dm_v2', 'yolo'), ('dm_v1', 'coco'), ('yolo', 'dm_v2')):
        converter = get_converter(source, target, root_dir=tmp_path, progress=None)
        assert isinstance(converter, p.DatasetConverterProtocol)
        assert _conformance(p.DatasetConverterProtocol, type(converter)) == []


def test_the_check_fails_on_a_drifted_client() -> None:
    """The conformance check is not vacuous: a renamed keyword and a missing method are reported."""

    class Drifted:
        def annotate_task_data(self, task_id: int, payload: Any, *, schema: str | None = None) -> Any: ...

        def get_model(self, model_id: int, *, params: Any, extra: int) -> dict[str, Any]: ...

    problems = _conformance(p.BackendClientProtocol, Drifted)
    assert "Drifted.annotate_task_data: has no parameter 'data'" in problems
    assert "Drifted.get_model: 'params' is required, core may leave it out" in problems
    assert "Drifted.get_model: requires 'extra', which core never passes" in problems
    assert 'Drifted.list_tasks: missing (declared by BackendClientProtocol)' in problems
