"""Action pipelines: chain actions whose compatibility is checked before anything runs.

See `synapse_sdk.plugins.pipelines.action_pipeline` for the rules.
"""

from synapse_sdk.plugins.pipelines.action_pipeline import (
    PIPELINE_PROGRESS_STEP,
    ActionPipeline,
    PipelineProgressCallback,
    PipelineResult,
    initial_params,
    merge_result,
    params_for,
    provided_fields,
    required_fields,
)
from synapse_sdk.plugins.pipelines.errors import (
    PipelineExecutionError,
    PipelineProblem,
    PipelineValidationError,
)

__all__ = [
    'PIPELINE_PROGRESS_STEP',
    'ActionPipeline',
    'PipelineExecutionError',
    'PipelineProblem',
    'PipelineProgressCallback',
    'PipelineResult',
    'PipelineValidationError',
    'initial_params',
    'merge_result',
    'params_for',
    'provided_fields',
    'required_fields',
]
