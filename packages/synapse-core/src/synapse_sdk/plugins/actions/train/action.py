"""`BaseTrainAction` and `TrainContext`: training with dataset and model helpers.

Two ways to write a training action:

* Override `execute()` and use the helpers (`get_dataset`, `download_dataset`, `create_model`,
  `get_model`) with the progress categories in ``self.progress``.
* Implement `train(context)` and let the default step workflow do the rest:
  ``dataset`` (download ``params.dataset``) -> ``convert_dataset`` (when `target_format` is set)
  -> ``train`` -> ``model_upload``. Extend it in `setup_steps`.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.actions.train.dataset import FILE_TIMEOUT, write_dm_dataset
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.plugins.protocols import BackendClientProtocol
from synapse_sdk.plugins.steps import (
    BackendUnavailableError,
    BaseStep,
    BaseStepContext,
    ConvertDatasetStep,
    Orchestrator,
    StepRegistry,
    StepResult,
)

__all__ = [
    'BaseTrainAction',
    'DatasetStep',
    'ModelUploadStep',
    'TrainContext',
    'TrainProgressCategories',
    'TrainStep',
]


class TrainProgressCategories:
    """Progress step names of training (also the default workflow's step names)."""

    DATASET = 'dataset'
    CONVERT = 'convert_dataset'
    TRAIN = 'train'
    MODEL_UPLOAD = 'model_upload'


@dataclass
class TrainContext(BaseStepContext):
    """State of a training run.

    Attributes:
        params: the validated params.
        work_dir: scratch directory of the run (removed at the end unless kept).
        dataset: the dataset record (``get_dataset()``), if any.
        dataset_path: directory holding the dataset (downloaded, then converted).
        model_path: file or directory produced by training.
        model: the model record created on the backend.
        metrics: final metrics reported by `train`.
    """

    params: Any = None
    work_dir: Path | None = None
    dataset: dict[str, Any] | None = None
    dataset_path: Path | None = None
    model_path: Path | None = None
    model: dict[str, Any] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


class DatasetStep(BaseStep[TrainContext]):
    """Fetch ``params.dataset`` and write it as a DM dataset into the work directory."""

    name = TrainProgressCategories.DATASET
    progress_weight = 20.0

    def __init__(self, action: BaseTrainAction[Any]):
        self.action = action

    def can_skip(self, context: TrainContext) -> bool:
        return getattr(context.params, 'dataset', None) is None

    def execute(self, context: TrainContext) -> StepResult:
        assert context.work_dir is not None
        context.dataset = self.action.get_dataset()
        target = context.work_dir / 'dataset'
        counts = self.action.download_dataset(target, progress=context.set_progress)
        context.dataset_path = target
        return StepResult(data={'path': str(target), 'counts': counts}, rollback_data={'path': str(target)})

    def rollback(self, context: TrainContext, result: StepResult) -> None:
        shutil.rmtree(result.rollback_data['path'], ignore_errors=True)
        context.dataset_path = None


class TrainStep(BaseStep[TrainContext]):
    """Call the action's `train(context)` hook; it returns the model path (or sets it)."""

    name = TrainProgressCategories.TRAIN
    progress_weight = 60.0

    def __init__(self, action: BaseTrainAction[Any]):
        self.action = action

    def execute(self, context: TrainContext) -> StepResult:
        produced = self.action.train(context)
        if isinstance(produced, dict):
            context.metrics.update(produced.get('metrics') or {})
            produced = produced.get('model_path')
        if produced is not None:
            context.model_path = Path(produced)
        if context.model_path is not None and not context.model_path.exists():
            raise FileNotFoundError(f'train() reported model path {context.model_path}, which does not exist')
        return StepResult(data={'model_path': str(context.model_path) if context.model_path else None})


class ModelUploadStep(BaseStep[TrainContext]):
    """Upload the trained model (skipped when training produced no file)."""

    name = TrainProgressCategories.MODEL_UPLOAD
    progress_weight = 10.0

    def __init__(self, action: BaseTrainAction[Any]):
        self.action = action

    def can_skip(self, context: TrainContext) -> bool:
        return context.model_path is None

    def execute(self, context: TrainContext) -> StepResult:
        assert context.model_path is not None
        context.model = self.action.create_model(context.model_path, **self.action.get_model_fields(context))
        return StepResult(data={'model_id': context.model.get('id')})


P = TypeVar('P', bound=BaseModel)


class BaseTrainAction(BaseAction[P]):
    """Base of training actions (see the module docstring for the two ways to use it)."""

    category = PluginCategory.NEURAL_NET
    progress: ClassVar[type[TrainProgressCategories]] = TrainProgressCategories
    #: Convert the downloaded dataset to this format before training (None: keep DM).
    target_format: ClassVar[str | None] = None
    #: Format of the downloaded dataset.
    dataset_format: ClassVar[str] = 'dm_v1'

    # -- helpers --------------------------------------------------------------------------------
    def _require_client(self, what: str) -> BackendClientProtocol:
        if self.client is None:
            raise BackendUnavailableError(what)
        return self.client

    def _dataset_id(self, caller: str) -> int:
        """``params.dataset`` as an id; a `ValueError` naming `caller` when the params have none.

        ``dataset`` is optional in a train params model (without it the workflow skips the dataset
        step), and no type states "a `BaseModel` that may have this field", hence `getattr` with a
        default (as `DatasetStep.can_skip` and `setup_steps` read it).
        """
        dataset_id = getattr(self.params, 'dataset', None)
        if dataset_id is None:
            raise ValueError(
                f'{type(self).__name__}.{caller}() needs a `dataset` param (a dataset version id)'
            )
        return int(dataset_id)

    def get_dataset(self) -> dict[str, Any]:
        """The ground-truth dataset version named by ``params.dataset`` (its backend record)."""
        dataset_id = self._dataset_id('get_dataset')
        return self._require_client('Fetching the dataset').get_ground_truth_version(dataset_id)

    def download_dataset(
        self, destination: str | Path, *, progress: Any = None, file_timeout: float = FILE_TIMEOUT
    ) -> dict[str, int]:
        """Write every item of ``params.dataset`` into `destination` as a DM dataset; counts per split.

        Each file must download within `file_timeout` seconds (the whole call), or `TimeoutError`.
        """
        client = self._require_client('Downloading the dataset')
        dataset_id = self._dataset_id('download_dataset')
        items, count = client.list_ground_truth_events_data(
            {'ground_truth_dataset_versions': dataset_id}, list_all=True
        )
        report = progress or (lambda done, total: self.set_progress(done, total, self.progress.DATASET))
        return write_dm_dataset(
            items, Path(destination), total=count, progress=report, file_timeout=file_timeout
        )

    def create_model(self, path: str | Path, **kwargs: Any) -> dict[str, Any]:
        """Upload the model at `path` (a file, or a directory that is zipped first) and create its record.

        `kwargs` become the model's fields (``name``, ``description``, ``configuration`` ...);
        ``name`` defaults to the file name.
        """
        client = self._require_client('Uploading the model')
        source = Path(path)
        if not source.exists():
            raise FileNotFoundError(f'create_model: {source} does not exist')
        kwargs.setdefault('name', source.stem or source.name)
        if not source.is_dir():
            return client.create_model(kwargs, file=source)
        with tempfile.TemporaryDirectory(prefix='synapse-model-') as tmp:
            archive = shutil.make_archive(str(Path(tmp) / source.name), 'zip', root_dir=source)
            return client.create_model(kwargs, file=archive)

    def get_model(self, model_id: int) -> dict[str, Any]:
        """The backend record of model `model_id` (its ``file`` is a download URL)."""
        return self._require_client('Fetching the model').get_model(int(model_id))

    # -- workflow hooks -------------------------------------------------------------------------
    def train(self, context: TrainContext) -> str | Path | dict[str, Any] | None:
        """Train on ``context.dataset_path``; return the model path (or ``{'model_path', 'metrics'}``)."""
        raise NotImplementedError(
            f'{type(self).__name__} must implement train(context) (or override execute())'
        )

    def get_model_fields(self, context: TrainContext) -> dict[str, Any]:
        """Fields of the model record created by the ``model_upload`` step."""
        name = getattr(self.params, 'name', None)
        if not name:
            assert context.model_path is not None, 'the train step sets model_path before the upload step'
            name = f'{self.action_name or "model"}-{context.model_path.stem}'
        return {'name': name}

    def setup_steps(self, registry: StepRegistry[TrainContext]) -> None:
        """Register the workflow. Override and call ``super().setup_steps(registry)`` to extend."""
        registry.register(DatasetStep(self))
        has_dataset = getattr(self.params, 'dataset', None) is not None
        if has_dataset and self.target_format and self.target_format != self.dataset_format:
            registry.register(
                ConvertDatasetStep(
                    self.target_format, self.dataset_format, output_dir=None, progress_weight=10.0
                )
            )
        registry.register(TrainStep(self))
        registry.register(ModelUploadStep(self))

    def create_context(self, work_dir: Path) -> TrainContext:
        return TrainContext(self.ctx, params=self.params, work_dir=work_dir)

    def execute(self) -> dict[str, Any]:
        """Run the step workflow; returns the model id, the metrics and the steps run.

        The work directory (dataset, converted dataset) is temporary and removed afterwards;
        `train` should write the model there and let ``model_upload`` store it on the backend.
        """
        registry: StepRegistry[TrainContext] = StepRegistry()
        self.setup_steps(registry)
        with tempfile.TemporaryDirectory(prefix='synapse-train-') as tmp:
            context = self.create_context(Path(tmp))
            outcome = Orchestrator(registry, context).execute()
            return {
                'model_id': (context.model or {}).get('id'),
                'model_path': str(context.model_path) if context.model_path else None,
                'metrics': context.metrics,
                'steps_executed': outcome.steps_executed,
            }
