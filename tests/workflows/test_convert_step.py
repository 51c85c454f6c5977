"""ConvertDatasetStep with the real converters: output, progress through the step context, rollback."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from synapse_sdk.plugins.steps import (
    BaseStep,
    BaseStepContext,
    ConvertDatasetStep,
    Orchestrator,
    StepFailedError,
    StepResult,
)

pytest.importorskip('synapse_sdk.utils.converters')


@dataclass
class DatasetContext(BaseStepContext):
    dataset_path: Path | None = None


@pytest.fixture
def dm_dataset(tmp_path, dm):
    import json

    root = tmp_path / 'dm'
    for split, count in (('train', 3), ('valid', 2)):
        for i in range(count):
            dm.png(root / split / 'original_files' / f'{split}_{i}.png')
            (root / split / 'json').mkdir(parents=True, exist_ok=True)
            (root / split / 'json' / f'{split}_{i}.json').write_text(json.dumps(dm.document()))
    return root


class Boom(BaseStep[DatasetContext]):
    def execute(self, context):
        raise RuntimeError('training crashed')


def test_converts_with_progress_and_updates_the_context(dm_dataset, runtime):
    context = DatasetContext(runtime, dataset_path=dm_dataset)
    outcome = Orchestrator([ConvertDatasetStep('yolo', 'dm_v1')], context).execute()
    output = dm_dataset.with_name('dm_yolo')
    assert context.dataset_path == output and output.is_dir()
    assert sorted(p.name for p in output.rglob('*.txt'))[:2] == ['train_0.txt', 'train_1.txt']
    assert outcome.results['convert_dataset'].data['source_path'] == str(dm_dataset)
    step_progress = [(c, t) for c, t, s in runtime.progress if s == 'convert_dataset']
    fractions = [c / t for c, t in step_progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {t for _, t in step_progress[:-1]} == {10}  # 5 items, read pass + write pass


def test_rollback_removes_output_and_restores_the_path(dm_dataset, runtime, tmp_path):
    context = DatasetContext(runtime, dataset_path=dm_dataset)
    out = tmp_path / 'converted'
    with pytest.raises(StepFailedError, match="'boom'") as info:
        Orchestrator([ConvertDatasetStep('coco', 'dm_v1', output_dir=out), Boom()], context).execute()
    assert info.value.rolled_back == ['convert_dataset']
    assert not out.exists() and context.dataset_path == dm_dataset


def test_skips_same_format_and_explains_bad_input(runtime, tmp_path):
    context = DatasetContext(runtime, dataset_path=tmp_path)
    outcome = Orchestrator([ConvertDatasetStep('dm_v2', 'dm_v2')], context).execute()
    assert outcome.steps_skipped == ['convert_dataset']
    with pytest.raises(StepFailedError, match=r'context\.dataset_path is empty'):
        Orchestrator([ConvertDatasetStep('yolo')], DatasetContext(runtime)).execute()
    with pytest.raises(StepFailedError, match='does not exist'):
        Orchestrator(
            [ConvertDatasetStep('yolo')], DatasetContext(runtime, dataset_path=tmp_path / 'nope')
        ).execute()


def test_missing_converters_name_the_package(dm_dataset, runtime, monkeypatch):
    monkeypatch.setitem(sys.modules, 'synapse_sdk.utils.converters', None)
    with pytest.raises(StepFailedError) as info:
        Orchestrator(
            [ConvertDatasetStep('yolo', 'dm_v1')], DatasetContext(runtime, dataset_path=dm_dataset)
        ).execute()
    cause = info.value.__cause__
    assert isinstance(cause, ImportError) and 'pip install synapse-converters' in str(cause)


class Custom(BaseStep[DatasetContext]):
    def execute(self, context):
        return StepResult()


def test_converter_errors_fail_the_step_without_output(tmp_path, runtime):
    bad = tmp_path / 'bad'
    (bad / 'json').mkdir(parents=True)
    (bad / 'original_files').mkdir()
    (bad / 'json' / 'x.json').write_text('{not json')
    (bad / 'original_files' / 'x.png').write_bytes(b'')
    with pytest.raises(StepFailedError) as info:
        Orchestrator(
            [ConvertDatasetStep('yolo', 'dm_v1'), Custom()], DatasetContext(runtime, dataset_path=bad)
        ).execute()
    assert info.value.step == 'convert_dataset'
    assert not bad.with_name('bad_yolo').exists()
