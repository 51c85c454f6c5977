"""Step workflows: multi-stage work with weighted progress and real rollback.

A workflow is a `StepRegistry` of `BaseStep` objects sharing one `BaseStepContext` (or a
subclass). The `Orchestrator` runs them in order; when one fails, every completed step is rolled
back, newest first, and a `StepFailedError` naming the step is raised with the original
exception as its cause::

    from synapse_sdk.plugins.steps import BaseStep, BaseStepContext, Orchestrator, StepRegistry, StepResult

    class DownloadStep(BaseStep[BaseStepContext]):
        progress_weight = 3.0

        def execute(self, context):
            ...
            return StepResult(data={'path': '/tmp/data'})

        def rollback(self, context, result):
            shutil.rmtree(result.data['path'], ignore_errors=True)

    Orchestrator(StepRegistry([DownloadStep(), TrainStep()]), BaseStepContext(ctx)).execute()
"""

from synapse_sdk.plugins.steps.base import BaseStep, StepResult
from synapse_sdk.plugins.steps.context import BaseStepContext
from synapse_sdk.plugins.steps.dataset import ConvertDatasetStep
from synapse_sdk.plugins.steps.errors import (
    BackendUnavailableError,
    RollbackFailure,
    StepFailedError,
    StepRegistryError,
)
from synapse_sdk.plugins.steps.orchestrator import (
    Orchestrator,
    ProgressCallback,
    WorkflowResult,
    enclosing_progress,
)
from synapse_sdk.plugins.steps.registry import StepRegistry

__all__ = [
    'BackendUnavailableError',
    'BaseStep',
    'BaseStepContext',
    'ConvertDatasetStep',
    'Orchestrator',
    'ProgressCallback',
    'RollbackFailure',
    'StepFailedError',
    'StepRegistry',
    'StepRegistryError',
    'StepResult',
    'WorkflowResult',
    'enclosing_progress',
]
