"""BackendClient as the core's JobLogTransport: batched entries, coalesced updates, lost entries counted."""

from __future__ import annotations

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.exceptions import LogDeliveryError, ValidationError
from synapse_sdk.clients.testing import FakeBackend

transport = pytest.importorskip('synapse_sdk.loggers.transport')
job_logger = pytest.importorskip('synapse_sdk.loggers.job')


def test_backend_client_satisfies_the_protocol() -> None:
    assert isinstance(BackendClient('https://x.example', 'syn_x'), transport.JobLogTransport)


def test_batches_and_coalesced_updates_reach_the_job(backend: FakeBackend) -> None:
    job = backend.state.add_job()
    logger = job_logger.BackendJobLogger(backend.client(), job['id'], batch_size=50, background=False)
    for i in range(120):
        logger.info(f'line {i}', index=i)
        logger.set_progress(i + 1, 120)
    logger.finish()
    logs = backend.state.logs_for(job['id'])
    assert [entry['data']['index'] for entry in logs if 'index' in entry.get('data', {})] == list(range(120))
    assert len(backend.requests_to('^/logs/$', 'POST')) <= 4
    stored = backend.state.jobs[job['id']]
    assert stored['progress_record']
    assert logger.stats['dropped'] == 0


def test_lost_entries_are_counted_by_the_core_logger(backend: FakeBackend) -> None:
    job = backend.state.add_job()
    client = backend.client()
    client._http.sleep = lambda s: None
    backend.inject('^/logs/$', status=503, times=None)
    logger = job_logger.BackendJobLogger(client, job['id'], batch_size=10, max_attempts=2, background=False)
    for i in range(25):
        logger.info(f'line {i}')
    logger.finish()
    assert backend.state.logs_for(job['id']) == []
    assert logger.stats['dropped'] == 25 and logger.stats['logs_sent'] == 0


def test_create_logs_reports_how_many_entries_were_lost(backend: FakeBackend) -> None:
    client = backend.client()
    client._http.sleep = lambda s: None
    backend.inject('^/logs/$', status=502, times=None)
    with pytest.raises(LogDeliveryError) as caught:
        client.create_logs([{'job': 'j', 'event': 'e', 'data': {}}] * 7)
    assert caught.value.lost_entries == 7 and caught.value.status_code == 502
    assert caught.value.request_id == backend.state.requests[-1].request_id
    with pytest.raises(LogDeliveryError) as caught:
        client.create_logs([{'event': 'e', 'level': 'loud'}])
    assert isinstance(caught.value.__cause__, ValidationError) and 'level' in str(caught.value)
