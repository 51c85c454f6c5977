"""The real clients, storage providers and converters are what core's Protocols say, for the checker.

mypy checks each assignment below structurally (method by method, signature by signature) when it checks
this file (`tools/typecheck.py typing`); pytest runs it too, so every value is a real object, built the
way core builds it. The run-time counterpart, with a drifted class to show it can fail, is
tests/core/test_consumed_protocols.py.
"""

from __future__ import annotations

from pathlib import Path

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.backend_v2 import BackendV2Client
from synapse_sdk.clients.testing import FakeBackend
from synapse_sdk.loggers.transport import JobLogTransport
from synapse_sdk.plugins import RuntimeContext
from synapse_sdk.plugins.protocols import (
    BackendClientProtocol,
    BackendV2ClientProtocol,
    ConverterFactory,
    DatasetConverterProtocol,
    UploadStorageProtocol,
    V2AssignmentsProtocol,
    V2AsyncJobsProtocol,
    V2DataUnitsProtocol,
    V2GroundTruthEventsProtocol,
    V2PageProtocol,
    V2PluginExportsProtocol,
    V2TasksProtocol,
)
from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.storage.providers.local import LocalStorage


def test_clients_fit_the_context_fields(tmp_path: Path) -> None:
    with FakeBackend() as backend:
        v1: BackendClient = backend.client()
        v2: BackendV2Client = backend.v2_client()
        as_core_sees_v1: BackendClientProtocol = v1
        as_logger_sees_v1: JobLogTransport = v1
        as_core_sees_v2: BackendV2ClientProtocol = v2
        tasks: V2TasksProtocol = v2.tasks
        assignments: V2AssignmentsProtocol = v2.assignments
        events: V2GroundTruthEventsProtocol = v2.ground_truth_events
        units: V2DataUnitsProtocol = v2.data_units
        exports: V2PluginExportsProtocol = v2.plugin_exports
        jobs: V2AsyncJobsProtocol = v2.async_jobs
        page: V2PageProtocol = v2.page('/v2/tasks/', {}, None)
        assert list(page.results) == []
        assert {tasks.base, assignments.base, events.base} == {
            '/v2/tasks/',
            '/v2/assignments/',
            '/v2/ground-truth-events/',
        }
        assert units is v2.data_units and exports is v2.plugin_exports and jobs is v2.async_jobs

        from synapse_sdk.loggers.console import ConsoleLogger

        ctx = RuntimeContext(logger=ConsoleLogger(), client=v1, v2_client=v2)
        assert ctx.client is as_core_sees_v1 and ctx.v2_client is as_core_sees_v2
        assert as_logger_sees_v1 is v1


def test_storage_and_converters_fit_what_core_calls(tmp_path: Path) -> None:
    storage: UploadStorageProtocol = LocalStorage(tmp_path)
    source = tmp_path / 'a.txt'
    source.write_text('x')
    key = storage.upload(source, 'k/a.txt')
    assert storage.exists('k/a.txt') and key
    storage.delete('k/a.txt')
    assert not storage.exists('k/a.txt')

    factory: ConverterFactory = get_converter
    converter: DatasetConverterProtocol = factory('dm_v2', 'yolo', root_dir=tmp_path, progress=None)
    assert isinstance(converter, DatasetConverterProtocol)
