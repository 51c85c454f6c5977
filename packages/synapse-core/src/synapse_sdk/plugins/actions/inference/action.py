"""`BaseInferenceAction`, `InferenceContext` and `DeploymentContext`.

An inference action loads a model stored on the backend and runs it over a batch of inputs::

    class Infer(BaseInferenceAction[InferenceParams]):
        action_name = 'inference'

        def load_model(self, path):
            return MyNet.load(path / 'best.pt')

        def infer(self, model, inputs):
            return [model.predict(x) for x in inputs]

`DeploymentContext` is the state of a Ray Serve deployment of such a model (application name,
route prefix, replica and actor options); the Ray executor distribution performs the deployment.
"""

from __future__ import annotations

import tempfile
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.actions._downloads import download_url
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.plugins.steps import BackendUnavailableError, BaseStepContext
from synapse_sdk.plugins.types import DataType, InferenceResults

__all__ = [
    'BaseInferenceAction',
    'DeploymentContext',
    'InferenceContext',
    'InferenceParams',
    'InferenceProgressCategories',
]


class InferenceParams(BaseModel):
    model: int | None = Field(None, description='Backend model id to load (None: the runtime checkpoint)')
    inputs: list[Any] = Field(default_factory=list, description='Inputs to run the model on')
    batch_size: int = Field(8, ge=1)


class InferenceProgressCategories:
    MODEL_LOAD = 'model_load'
    INFERENCE = 'inference'


@dataclass
class InferenceContext(BaseStepContext):
    """State of an inference run: the model, the requests and their results."""

    params: Any = None
    model_record: dict[str, Any] | None = None
    model_path: Path | None = None
    model: Any = None
    requests: list[Any] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)


@dataclass
class DeploymentContext(BaseStepContext):
    """State of a Ray Serve deployment of a model.

    Attributes:
        serve_app_name: the Serve application name (unique per plugin release).
        route_prefix: HTTP route of the application.
        num_replicas: replicas to run.
        ray_actor_options: resources per replica (``num_cpus``, ``num_gpus``, ``memory``).
        serve_options: further ``serve.deployment`` options.
        deployed: set once the application is running.
    """

    params: Any = None
    serve_app_name: str | None = None
    route_prefix: str | None = None
    num_replicas: int = 1
    ray_actor_options: dict[str, Any] = field(default_factory=dict)
    serve_options: dict[str, Any] = field(default_factory=dict)
    deployed: bool = False


P = TypeVar('P', bound=BaseModel)


#: Seconds the model file may take to download, the whole call (a server that drips its answer is cut
#: off with `TimeoutError`); large models: pass ``download_model(..., timeout=...)``.
MODEL_DOWNLOAD_TIMEOUT = 1800.0


class BaseInferenceAction(BaseAction[P]):
    """Load a model (`load_model`) and run it over ``params.inputs`` in batches (`infer`)."""

    category = PluginCategory.NEURAL_NET
    # Declared as BaseAction declares them, so a subclass may set its own (as BaseInferenceAction[MyParams]
    # sets the params model); the checker would otherwise take the values' own types as the attributes'.
    output_type: ClassVar[type[DataType] | None] = InferenceResults
    params_model: ClassVar[type[BaseModel] | None] = InferenceParams
    progress: ClassVar[type[InferenceProgressCategories]] = InferenceProgressCategories

    # -- model helpers --------------------------------------------------------------------------
    def get_model(self, model_id: int) -> dict[str, Any]:
        if self.client is None:
            raise BackendUnavailableError('Fetching the model')
        return self.client.get_model(int(model_id))

    def download_model(
        self, model_id: int, output_dir: str | Path | None = None, *, timeout: float = MODEL_DOWNLOAD_TIMEOUT
    ) -> Path:
        """Download model `model_id`'s file into `output_dir` (a fresh temp dir by default).

        A zip archive is extracted; the returned path is the extracted directory or the file. The
        download must finish within `timeout` seconds (the whole call), or `TimeoutError` names the URL.
        """
        record = self.get_model(model_id)
        url = record.get('file')
        if not url:
            raise ValueError(f'model {model_id} has no file to download')
        target = (
            Path(output_dir) if output_dir is not None else Path(tempfile.mkdtemp(prefix='synapse-model-'))
        )
        target.mkdir(parents=True, exist_ok=True)
        name = Path(urllib.parse.urlparse(str(url)).path).name or f'model-{model_id}'
        path = target / name
        download_url(str(url), path, timeout=timeout, setting='download_model(timeout=...)')
        if zipfile.is_zipfile(path):
            extracted = target / Path(name).stem
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():  # refuse entries escaping the target directory
                    if not (extracted / member).resolve().is_relative_to(extracted.resolve()):
                        raise ValueError(f'model archive entry {member!r} escapes the extraction directory')
                archive.extractall(extracted)
            path.unlink()
            return extracted
        return path

    def resolve_model_path(self) -> Path:
        """The model to load: ``params.model`` from the backend, else the runtime checkpoint's path."""
        model_id = getattr(self.params, 'model', None)
        if model_id is not None:
            return self.download_model(model_id)
        checkpoint = self.ctx.checkpoint or {}
        if checkpoint.get('path'):
            return Path(checkpoint['path'])
        raise ValueError('no model to load: set params.model or run with a checkpoint')

    # -- hooks ----------------------------------------------------------------------------------
    def load_model(self, path: Path) -> Any:
        raise NotImplementedError(f'{type(self).__name__} must implement load_model(path)')

    def infer(self, model: Any, inputs: list[Any]) -> list[Any]:
        """Predictions for one batch of inputs, in the same order."""
        raise NotImplementedError(f'{type(self).__name__} must implement infer(model, inputs)')

    # -- run ------------------------------------------------------------------------------------
    def create_context(self) -> InferenceContext:
        return InferenceContext(
            self.ctx, params=self.params, requests=list(getattr(self.params, 'inputs', []) or [])
        )

    def execute(self) -> dict[str, Any]:
        context = self.create_context()
        self.set_progress(0, 1, self.progress.MODEL_LOAD)
        context.model_path = self.resolve_model_path()
        context.model = self.load_model(context.model_path)
        self.set_progress(1, 1, self.progress.MODEL_LOAD)
        batch_size = int(getattr(self.params, 'batch_size', 8) or 8)
        total = len(context.requests)
        self.set_progress(0, total, self.progress.INFERENCE)
        for start in range(0, total, batch_size):
            batch = context.requests[start : start + batch_size]
            predictions = list(self.infer(context.model, batch))
            if len(predictions) != len(batch):
                raise ValueError(f'infer() returned {len(predictions)} result(s) for a batch of {len(batch)}')
            context.results.extend(predictions)
            self.set_progress(len(context.results), total, self.progress.INFERENCE)
        return {'results': context.results, 'count': len(context.results)}
