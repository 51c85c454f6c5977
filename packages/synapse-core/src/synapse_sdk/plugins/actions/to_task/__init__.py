"""Pre-annotation category: `ToTaskAction` (annotate tasks from files or from inference)."""

from synapse_sdk.plugins.actions.to_task.action import (
    ToTaskAction,
    ToTaskFailure,
    ToTaskFields,
    ToTaskMethod,
    ToTaskParams,
    ToTaskProgressCategories,
    ToTaskResult,
)

__all__ = [
    'ToTaskAction',
    'ToTaskFailure',
    'ToTaskFields',
    'ToTaskMethod',
    'ToTaskParams',
    'ToTaskProgressCategories',
    'ToTaskResult',
]
