"""Exports with ``save_original_file``: files downloaded concurrently from the fake backend, retried like the
clients retry, verified, and a download that cannot succeed is a reported problem, never a silent gap."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from pathlib import Path

import pytest
import synapse_tests_misbehaving as misbehaving  # registered by tests/conftest.py

from synapse_sdk.clients._http import RetryPolicy
from synapse_sdk.clients.downloads import FileDownloadError
from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams
from synapse_sdk.plugins.actions.export import action as export_action
from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02)
ITEMS = 260  # two bulk batches


class Export(BaseExportAction[ExportParams]):
    action_name = 'export'


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)
    monkeypatch.setattr(export_action, 'CHECKPOINT_SECONDS', 0.0)


@pytest.fixture
def project(fake_backend):
    state = fake_backend.state
    project = state.add_project(title='Files')
    for i in range(ITEMS):
        image = fake_backend.add_media(size=1_000 + i, name=f'img_{i}.jpg')
        files = {'image_1': {**image, 'is_primary': True}}
        if i % 50 == 0:  # a second file on some items, no checksum given: size only
            extra = fake_backend.add_media(content=f'meta {i}'.encode(), name=f'meta_{i}.txt')
            files['meta_1'] = {'url': extra['url'], 'size': extra['size']}
        state.add('assignments', task=0, project=project['id'], data={'n': i}, files=files)
    return project


def ctx_for(fake_backend, make_ctx, *, v1=False):
    env = {'SYNAPSE_FORCE_V1_EXPORT': '1'} if v1 else {}
    return make_ctx(
        client=fake_backend.client(retry=FAST_RETRY),
        v2_client=fake_backend.v2_client(retry=FAST_RETRY),
        env=env,
    )


def params(project, path, **extra):
    return {
        'target': 'assignment',
        'filter': {'project': project['id']},
        'path': str(path),
        'save_original_file': True,
        'file_concurrency': 6,
        **extra,
    }


def expected_files(fake_backend, project) -> dict[str, bytes]:
    """What every record's files should hold, fetched independently of the SDK (the fake's own bytes)."""
    from synapse_sdk.clients.testing._media import media_bytes

    out = {}
    for row in fake_backend.state.assignments.values():
        for spec, entry in row['files'].items():
            key = entry['url'].split('/media/files/', 1)[1].split('/', 1)[0]
            suffix = Path(entry['url']).suffix
            out[f'{row["id"]}_{spec}{suffix}'] = media_bytes(fake_backend.state.media[key])
    return out


def saved_files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / 'original_files').iterdir())}


@pytest.mark.parametrize('v1', [False, True], ids=['v2', 'v1'])
def test_every_file_is_downloaded_verified_and_named_by_its_record(
    fake_backend, project, make_ctx, tmp_path, v1
):
    out = tmp_path / 'out'
    result = run_action(Export, params(project, out), ctx_for(fake_backend, make_ctx, v1=v1))
    expected = expected_files(fake_backend, project)
    assert (
        result['files_downloaded'] == len(expected) == ITEMS + ITEMS // 50 + 1 and result['files_failed'] == 0
    )
    assert saved_files(out) == expected
    assert not (out / 'download_errors.jsonl').exists()
    media = fake_backend.requests_to(r'^/media/files/')
    assert len(media) == len(expected)
    # File origins never get the backend's credentials, even when they share its host.
    assert not [r for r in media if r.header('SYNAPSE-ACCESS-TOKEN') or r.header('Synapse-Access-Token')]


def test_transient_failures_are_retried(fake_backend, project, make_ctx, tmp_path):
    fake_backend.inject(r'^/media/', status=503, times=3)
    fake_backend.inject(r'^/media/', drop='partial', times=3)  # bodies cut short midway
    fake_backend.inject(r'^/media/', drop='before', times=2)
    out = tmp_path / 'out'
    result = run_action(Export, params(project, out), ctx_for(fake_backend, make_ctx))
    assert result['files_failed'] == 0 and saved_files(out) == expected_files(fake_backend, project)
    assert len(fake_backend.requests_to(r'^/media/files/')) == len(expected_files(fake_backend, project)) + 8


def corrupt_one(fake_backend) -> dict:
    """Give one record a file whose checksum can never match."""
    row = fake_backend.state.assignments[17]
    row['files']['image_1'] = {**row['files']['image_1'], 'checksum': hashlib.sha1(b'other').hexdigest()}
    return row


def test_a_file_that_cannot_be_had_is_reported_with_file_errors_report(
    fake_backend, project, make_ctx, tmp_path
):
    bad = corrupt_one(fake_backend)
    missing = fake_backend.state.assignments[40]
    fake_backend.inject(
        missing['files']['image_1']['url'].split(fake_backend.url, 1)[1], status=404, times=None
    )
    out = tmp_path / 'out'
    result = run_action(Export, params(project, out, file_errors='report'), ctx_for(fake_backend, make_ctx))
    assert result['exported'] == ITEMS and result['files_failed'] == 2
    errors = [json.loads(line) for line in (out / 'download_errors.jsonl').read_text().splitlines()]
    assert {(e['item'], e['spec']) for e in errors} == {(bad['id'], 'image_1'), (missing['id'], 'image_1')}
    by_item = {e['item']: e for e in errors}
    assert 'does not match' in by_item[bad['id']]['error'] and by_item[bad['id']]['attempts'] == 3
    assert by_item[missing['id']]['status'] == 404
    assert result['download_errors'] == errors  # the first ones are in the result too
    assert not (out / 'original_files' / f'{bad["id"]}_image_1.jpg').exists()  # never a wrong file in place
    assert not list((out / 'original_files').glob('*.partial'))
    saved = saved_files(out)
    assert len(saved) == result['files_downloaded'] == len(expected_files(fake_backend, project)) - 2


def test_a_failed_download_stops_the_export_which_then_resumes(fake_backend, project, make_ctx, tmp_path):
    reference = tmp_path / 'reference'
    run_action(Export, params(project, reference), ctx_for(fake_backend, make_ctx))
    missing = fake_backend.state.assignments[230]  # in the second batch
    fake_backend.inject(
        missing['files']['image_1']['url'].split(fake_backend.url, 1)[1], status=500, times=None
    )
    out = tmp_path / 'out'
    with pytest.raises(ActionExecutionError) as info:
        run_action(Export, params(project, out), ctx_for(fake_backend, make_ctx))
    error = info.value.__cause__
    assert isinstance(error, FileDownloadError) and error.status_code == 500
    assert '/media/files/' in str(error) and not out.exists()

    fake_backend.clear_faults()
    result = run_action(Export, params(project, out), ctx_for(fake_backend, make_ctx))
    assert result['resumed'] is True and result['files_failed'] == 0
    assert saved_files(out) == saved_files(reference)
    assert (out / 'records.jsonl').read_bytes() == (reference / 'records.jsonl').read_bytes()


def test_a_failure_reported_before_an_interruption_is_listed_once(
    fake_backend, project, make_ctx, tmp_path, monkeypatch
):
    """A file that failed in the batches an interrupted run wrote after its last checkpoint fails again when the
    resumed run redoes them: it is listed once, not once per run."""
    monkeypatch.setattr(export_action, 'CHECKPOINT_SECONDS', 3600.0)
    missing = fake_backend.state.assignments[30]  # in the first batch
    fake_backend.inject(
        missing['files']['image_1']['url'].split(fake_backend.url, 1)[1], status=404, times=None
    )

    class Interrupted(Export):
        def set_progress(self, current, total, step=None):
            super().set_progress(current, total, step)
            if 200 <= current < total:
                raise KeyboardInterrupt

    Interrupted.__name__ = Interrupted.__qualname__ = 'Export'
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run_action(Interrupted, params(project, out, file_errors='report'), ctx_for(fake_backend, make_ctx))
    result = run_action(Export, params(project, out, file_errors='report'), ctx_for(fake_backend, make_ctx))
    assert result['resumed'] is True and result['files_failed'] == 1
    errors = [json.loads(line) for line in (out / 'download_errors.jsonl').read_text().splitlines()]
    assert [(e['item'], e['status']) for e in errors] == [(missing['id'], 404)]
    assert (
        len(saved_files(out)) == result['files_downloaded'] == len(expected_files(fake_backend, project)) - 1
    )


def test_downloads_run_file_concurrency_at_a_time(fake_backend, make_ctx, tmp_path):
    """The files are on another origin: a stdlib server that answers requests in groups of three (each waits
    for the third of its group, at most two seconds) and counts those in flight. With ``file_concurrency=3``
    every group fills at once, and never more than three requests are in flight."""
    concurrency, count = 3, 12
    lock = threading.Condition()
    arrived = [0]
    in_flight = [0]
    seen: list[int] = []

    def serve(h):
        with lock:
            group_end = (arrived[0] // concurrency + 1) * concurrency
            arrived[0] += 1
            in_flight[0] += 1
            seen.append(in_flight[0])
            lock.notify_all()
            lock.wait_for(lambda: arrived[0] >= group_end, timeout=2)
            # Counted out before the answer leaves: the client's next request can only follow the answer.
            in_flight[0] -= 1
        misbehaving.send(h, 200, b'x' * 100, Content_Type='application/octet-stream')

    state = fake_backend.state
    project = state.add_project(title='Elsewhere')
    with misbehaving.http_server() as files:
        for i in range(count):
            files.routes[f'/f/{i}.bin'] = serve
            entry = {'url': f'{files.url}/f/{i}.bin', 'size': 100}
            state.add('assignments', task=0, project=project['id'], data={'n': i}, files={'file_1': entry})
        out = tmp_path / 'out'
        result = run_action(
            Export,
            params(project, out, file_concurrency=concurrency),
            ctx_for(fake_backend, make_ctx),
        )
    assert result['files_downloaded'] == count and len(seen) == count
    assert max(seen) == concurrency, seen
    assert len(list((out / 'original_files').iterdir())) == count


def test_no_file_name_is_interned(fake_backend, project, make_ctx, tmp_path, monkeypatch):
    """Up to Python 3.11 `pathlib` interns every path component. A Path per downloaded file put every file
    name into the interpreter's interned-string table, which is rebuilt (a new 1-2 MB table, often in a
    download thread's allocator arena, which keeps it) every few tens of thousands of names: most of the
    peak-memory growth of an export with original files (#18). No file name may reach ``sys.intern``."""
    interned: list[str] = []
    intern = sys.intern

    def spy(text: str) -> str:
        interned.append(text)
        return intern(text)

    out = tmp_path / 'out'
    with monkeypatch.context() as patch:
        patch.setattr(sys, 'intern', spy)
        Path(tmp_path, 'spy-check.bin')
        if sys.version_info < (3, 12):  # the spy sees what pathlib interns (later versions intern nothing)
            assert 'spy-check.bin' in interned
        result = run_action(Export, params(project, out), ctx_for(fake_backend, make_ctx))
    names = set(saved_files(out))
    assert len(names) == result['files_downloaded'] == len(expected_files(fake_backend, project))
    assert not [text for text in interned if any(name in text for name in names)]
