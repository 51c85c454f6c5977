"""An interrupted export resumes and ends with exactly the output of an uninterrupted one.

Interruptions are real: Ctrl-C (``KeyboardInterrupt`` raised where the export reports progress),
a backend outage that outlasts the client's retry budget (the fake backend answering 503), and a
worker killed with SIGKILL (the export runs in a subprocess against the same fake backend). Each
is tried at several points; the resumed output must equal, byte for byte, an uninterrupted run's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synapse_sdk.clients._http import RetryPolicy
from synapse_sdk.clients.exceptions import ClientConnectionError, ServerError
from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams, ExportResumeError
from synapse_sdk.plugins.actions.export import action as export_action
from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action

FAST_RETRY = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.02)
ITEMS = 1030  # 6 batches of 200 (v2), 2 pages of 1000 (v1)


class Export(BaseExportAction[ExportParams]):
    action_name = 'export'


class Converted(Export):
    """An export that looks into each record (the parsed path rather than the copied one)."""

    def convert_item(self, record):
        return {'id': record['id'], 'labels': record['data']['labels']}


@pytest.fixture
def project(fake_backend):
    state = fake_backend.state
    project = state.add_project(title='Resume')
    for i in range(ITEMS):
        state.add('assignments', task=0, project=project['id'], data={'labels': [i, f'é{i}'], 'n': i})
    return project


@pytest.fixture(autouse=True)
def every_batch_checkpointed(monkeypatch):
    """Checkpoint after every batch, so an interruption at batch k has k batches to keep."""
    monkeypatch.setattr(export_action, 'CHECKPOINT_SECONDS', 0.0)
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)


def params(project, path, **extra):
    return {'target': 'assignment', 'filter': {'project': project['id']}, 'path': str(path), **extra}


def make_clients(fake_backend, make_ctx, *, v1=False):
    env = {'SYNAPSE_FORCE_V1_EXPORT': '1'} if v1 else {}
    return make_ctx(
        client=fake_backend.client(retry=FAST_RETRY),
        v2_client=fake_backend.v2_client(retry=FAST_RETRY),
        env=env,
    )


def interrupt_after(action_cls, items, exc_factory):
    """`action_cls` raising ``exc_factory()`` once `items` records have been written."""

    class Interrupted(action_cls):
        def set_progress(self, current, total, step=None):
            super().set_progress(current, total, step)
            if items <= current < total:
                raise exc_factory()

    Interrupted.__name__ = Interrupted.__qualname__ = action_cls.__name__  # same fingerprint as action_cls
    return Interrupted


def staging(path: Path) -> Path:
    return path.parent / f'.{path.name}.export-partial'


@pytest.mark.parametrize('v1', [False, True], ids=['v2', 'v1'])
@pytest.mark.parametrize('action_cls', [Export, Converted], ids=['copied', 'converted'])
@pytest.mark.parametrize('stop_at', [200, 600, 1000])
def test_ctrl_c_then_resume_equals_uninterrupted(
    fake_backend, project, make_ctx, tmp_path, v1, action_cls, stop_at
):
    reference = tmp_path / 'reference'
    expected = run_action(action_cls, params(project, reference), make_clients(fake_backend, make_ctx, v1=v1))
    assert expected['exported'] == ITEMS and expected['api'] == ('v1' if v1 else 'v2')

    out = tmp_path / 'out'
    interrupted = interrupt_after(action_cls, stop_at, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        run_action(interrupted, params(project, out), make_clients(fake_backend, make_ctx, v1=v1))
    assert not out.exists() and staging(out).is_dir()  # nothing published, the partial state kept
    journal = json.loads((staging(out) / 'journal.json').read_text())
    assert 0 < journal['items'] < ITEMS

    fetched_before = len(fake_backend.state.requests)
    result = run_action(action_cls, params(project, out), make_clients(fake_backend, make_ctx, v1=v1))
    assert result['resumed'] is True and result['exported'] == ITEMS
    assert (out / 'records.jsonl').read_bytes() == (reference / 'records.jsonl').read_bytes()
    assert not staging(out).exists()
    if not v1:  # the resumed run fetched only what was missing: no listing, only the remaining batches
        resumed = fake_backend.state.requests[fetched_before:]
        assert not [r for r in resumed if r.path == '/v2/assignments/']
        bulk = [r for r in resumed if r.path == '/v2/assignments/bulk-fetch/']
        assert len(bulk) == -(-(ITEMS - journal['items']) // 200)


def output_files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


@pytest.mark.parametrize(
    ('layout', 'v1'),
    [('jsonl', False), ('jsonl', True), ('files', False)],
    ids=['jsonl-v2', 'jsonl-v1', 'files-v2'],
)
def test_records_written_after_the_last_checkpoint_are_not_written_twice(
    fake_backend, project, make_ctx, tmp_path, monkeypatch, v1, layout
):
    """Checkpoints are at most one per second: a Ctrl-C soon after the start finds records written that no
    checkpoint counts. The resumed run must drop them and write them once (the earlier release appended them a
    second time: 1,630 lines for 1,030 items)."""
    monkeypatch.setattr(export_action, 'CHECKPOINT_SECONDS', 3600.0)  # none but the first and the last
    reference = tmp_path / 'reference'
    run_action(Export, params(project, reference, layout=layout), make_clients(fake_backend, make_ctx, v1=v1))
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run_action(
            interrupt_after(Export, 600, KeyboardInterrupt),
            params(project, out, layout=layout),
            make_clients(fake_backend, make_ctx, v1=v1),
        )
    assert json.loads((staging(out) / 'journal.json').read_text())['items'] == 0
    assert any((staging(out) / 'output').iterdir())  # records were written, uncounted

    result = run_action(
        Export, params(project, out, layout=layout), make_clients(fake_backend, make_ctx, v1=v1)
    )
    assert result['resumed'] is True and result['exported'] == ITEMS
    assert output_files(out) == output_files(reference)
    if layout == 'jsonl':
        assert len((out / 'records.jsonl').read_bytes().splitlines()) == ITEMS


@pytest.mark.parametrize('stop_at', [200])
def test_the_files_layout_resumes_to_the_same_files(fake_backend, project, make_ctx, tmp_path, stop_at):
    reference = tmp_path / 'reference'
    run_action(Export, params(project, reference, layout='files'), make_clients(fake_backend, make_ctx))
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run_action(
            interrupt_after(Export, stop_at, KeyboardInterrupt),
            params(project, out, layout='files'),
            make_clients(fake_backend, make_ctx),
        )
    result = run_action(Export, params(project, out, layout='files'), make_clients(fake_backend, make_ctx))
    assert result['resumed'] is True and len(output_files(out)) == ITEMS
    assert output_files(out) == output_files(reference)


@pytest.mark.parametrize(
    ('fault', 'error'),
    [({'status': 503}, ServerError), ({'drop': 'before'}, ClientConnectionError)],
    ids=['503', 'connection-drop'],
)
def test_backend_outage_past_the_retry_budget_then_resume(
    fake_backend, project, make_ctx, tmp_path, fault, error
):
    reference = tmp_path / 'reference'
    run_action(Export, params(project, reference), make_clients(fake_backend, make_ctx))
    out = tmp_path / 'out'
    # The first two bulk requests go through (a fault without status or drop only counts), then the backend
    # is down for good.
    fake_backend.inject(r'^/v2/assignments/bulk-fetch/$', times=2)
    fake_backend.inject(r'^/v2/assignments/bulk-fetch/$', times=None, **fault)
    with pytest.raises(ActionExecutionError) as info:
        run_action(Export, params(project, out), make_clients(fake_backend, make_ctx))
    assert isinstance(info.value.__cause__, error)
    assert staging(out).is_dir() and not out.exists()

    fake_backend.clear_faults()  # the backend is back
    result = run_action(Export, params(project, out), make_clients(fake_backend, make_ctx))
    assert result['resumed'] is True
    assert (out / 'records.jsonl').read_bytes() == (reference / 'records.jsonl').read_bytes()


@pytest.mark.parametrize('batches_before_kill', [1, 4])
def test_killed_worker_then_resume(
    fake_backend, project, make_ctx, tmp_path, kill_export, batches_before_kill
):
    reference = tmp_path / 'reference'
    run_action(Export, params(project, reference), make_clients(fake_backend, make_ctx))
    out = tmp_path / 'out'
    kill_export(params(project, out), batches=batches_before_kill)

    result = run_action(Export, params(project, out), make_clients(fake_backend, make_ctx))
    assert result['resumed'] is True and result['exported'] == ITEMS
    assert (out / 'records.jsonl').read_bytes() == (reference / 'records.jsonl').read_bytes()


def test_partial_export_of_other_params_is_not_mixed_in(fake_backend, project, make_ctx, tmp_path):
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run_action(
            interrupt_after(Export, 400, KeyboardInterrupt),
            params(project, out),
            make_clients(fake_backend, make_ctx),
        )
    other = params(project, out, filter={'project': project['id'], 'status_label': 'completed'})
    with pytest.raises(ActionExecutionError) as info:
        run_action(Export, other, make_clients(fake_backend, make_ctx))
    assert isinstance(info.value.__cause__, ExportResumeError) and 'resume=false' in str(info.value)
    assert staging(out).is_dir()  # the other export's state is untouched

    result = run_action(Export, {**other, 'resume': False}, make_clients(fake_backend, make_ctx))
    assert result['resumed'] is False and result['exported'] == ITEMS and not staging(out).exists()


def test_a_bad_record_rolls_back_instead_of_keeping_state(fake_backend, project, make_ctx, tmp_path):
    class Breaks(Export):
        def convert_item(self, record):
            if record['data']['n'] == 700:
                raise ValueError('bad record')
            return record

    with pytest.raises(ActionExecutionError, match='bad record'):
        run_action(Breaks, params(project, tmp_path / 'out'), make_clients(fake_backend, make_ctx))
    assert list(tmp_path.iterdir()) == []


def test_two_runs_on_one_path_do_not_share_the_staging_directory(fake_backend, project, make_ctx, tmp_path):
    from synapse_sdk.plugins.actions.export.journal import ExportJournal

    out = tmp_path / 'out'
    holder = ExportJournal.open(out, {'other': 'run'})
    try:
        with pytest.raises(ActionExecutionError) as info:
            run_action(Export, params(project, out), make_clients(fake_backend, make_ctx))
        assert 'another export is writing' in str(info.value)
    finally:
        holder.discard()
