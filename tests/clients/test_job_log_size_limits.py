"""One big log entry never sinks the others (issue 15, point 4).

The core's job logger sends through the real `BackendClient` to two servers with a request body limit:
the fake backend with ``max_request_bytes`` and, independent of it, a small stdlib server that answers
413 from the ``Content-Length`` header alone, as nginx does over ``client_max_body_size``. Ordinary
entries are batched with 1 MiB entries; every ordinary entry must arrive, exactly once and in order, and
each big entry must arrive cut, with a visible marker giving its original size.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import synapse_tests_misbehaving as misbehaving  # registered by tests/conftest.py

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.testing import FakeBackend
from synapse_sdk.loggers.job import DEFAULT_MAX_REQUEST_BYTES, BackendJobLogger

MiB = 1024 * 1024
SHORT = 100
BIG_EVERY = 10
MARKER = re.compile(r' \[\.\.\. truncated: this log entry was (\d+) bytes\]$')


def _flood(logger: BackendJobLogger, big: int = MiB) -> None:
    """100 short messages; after every 10th, an entry carrying `big` characters."""
    for i in range(SHORT):
        logger.info(f'short {i}', index=i)
        if i % BIG_EVERY == 0:
            logger.log('info', 'dump', {'blob': 'x' * big, 'after': i})


def _check_delivery(entries: list[dict], big: int = MiB) -> list[str]:
    """Every short message once, in order; every big entry present. Returns the big entries' blobs."""
    indices = [e['data']['index'] for e in entries if e['event'] == 'log']
    assert indices == list(range(SHORT))
    dumps = [e for e in entries if e['event'] == 'dump']
    assert [e['data']['after'] for e in dumps] == list(range(0, SHORT, BIG_EVERY))
    return [e['data']['blob'] for e in dumps]


def _check_cut(blob: str, big: int) -> None:
    found = MARKER.search(blob)
    assert found, blob[-120:]
    assert int(found.group(1)) > big  # the entry's original size, JSON included
    body = blob[: found.start()]
    assert body and set(body) == {'x'} and len(body) < big


@pytest.mark.integration
def test_fake_backend_with_a_body_limit_gets_every_ordinary_entry() -> None:
    limit = 64 * 1024
    with FakeBackend(max_request_bytes=limit) as backend:
        job = backend.state.add_job()
        logger = BackendJobLogger(backend.client(), job['id'], background=False)
        _flood(logger)
        logger.finish()
        for blob in _check_delivery(backend.state.logs_for(job['id'])):
            _check_cut(blob, MiB)
        posts = backend.requests_to('^/logs/$', 'POST')
    refused = [len(r.body) for r in posts if len(r.body) > limit]
    assert refused and all(size <= DEFAULT_MAX_REQUEST_BYTES for size in map(len, (r.body for r in posts)))
    stats = logger.stats
    assert stats['too_large'] == len(refused)
    assert (stats['dropped'], stats['queued'], stats['failures']) == (0, 0, 0)
    assert stats['truncated'] == SHORT // BIG_EVERY
    assert logger.request_cap <= limit


@pytest.mark.integration
def test_batches_are_capped_in_bytes_even_when_the_backend_takes_anything() -> None:
    with FakeBackend() as backend:
        job = backend.state.add_job()
        logger = BackendJobLogger(backend.client(), job['id'], background=False)
        _flood(logger, big=300 * 1024)  # fits in a request, but not four of them together
        logger.finish()
        blobs = _check_delivery(backend.state.logs_for(job['id']))
        sizes = [len(r.body) for r in backend.requests_to('^/logs/$', 'POST')]
    assert blobs == ['x' * 300 * 1024] * (SHORT // BIG_EVERY)  # none was cut
    assert max(sizes) <= DEFAULT_MAX_REQUEST_BYTES
    assert len(sizes) >= 4  # ~3 MB of entries could not travel together
    assert logger.stats['truncated'] == logger.stats['too_large'] == 0

    with FakeBackend() as backend:
        job = backend.state.add_job()
        logger = BackendJobLogger(backend.client(), job['id'], background=False)
        _flood(logger, big=2 * MiB)  # over the cap alone: cut before it is sent
        logger.finish()
        for blob in _check_delivery(backend.state.logs_for(job['id'])):
            _check_cut(blob, 2 * MiB)
        assert max(len(r.body) for r in backend.requests_to('^/logs/$')) <= DEFAULT_MAX_REQUEST_BYTES
    assert logger.stats['too_large'] == 0


@pytest.mark.integration
def test_a_proxy_answering_413_before_reading_the_body(tmp_path: Path) -> None:
    """An independent server: 413 from the headers alone, the body drained, the connection closed."""
    image = tmp_path / 'plot.png'
    image.write_bytes(b'\x89PNG\r\n\x1a\n' + bytes(range(256)) * 1200)  # ~300 KB, 400 KB in base64
    with misbehaving.body_limit_server(limit=200 * 1024) as sink:
        client = BackendClient(sink.url, 'syn_x')
        logger = BackendJobLogger(client, 'job-413', background=False)
        logger.log('info', 'first', {'before': 'the file'})
        logger.log('info', 'visualization', {'epoch': 1}, file=str(image))
        _flood(logger)
        logger.finish()
        accepted = list(sink.accepted)
        bodies = list(sink.bodies)
    for blob in _check_delivery(accepted):
        _check_cut(blob, MiB)
    statuses = [status for _, status in bodies]
    assert statuses.count(413) == logger.stats['too_large'] >= 1
    assert all(size <= 200 * 1024 for size, status in bodies if status == 201)
    # The file entry was refused once whole; its message arrived without the file, saying why.
    (shown,) = [e for e in accepted if e['event'] == 'visualization']
    assert 'file' not in shown and 'HTTP 413' in shown['data']['file_not_sent']
    assert [e['event'] for e in accepted[:2]] == ['first', 'visualization']  # order kept
    assert (logger.stats['dropped'], logger.stats['queued']) == (0, 0)


@pytest.mark.integration
def test_a_file_that_fits_is_still_sent_inline() -> None:
    with misbehaving.body_limit_server(limit=200 * 1024) as sink:
        logger = BackendJobLogger(BackendClient(sink.url, 'syn_x'), 'job-f', background=False)
        path = Path(__file__)
        logger.log('info', 'source', {}, file=str(path))
        logger.finish()
        (entry,) = sink.accepted
    assert base64.b64decode(entry['file'].split(',', 1)[1]) == path.read_bytes()
