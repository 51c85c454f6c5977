"""Inference category: `BaseInferenceAction`, `InferenceContext` and `DeploymentContext`."""

from synapse_sdk.plugins.actions.inference.action import (
    BaseInferenceAction,
    DeploymentContext,
    InferenceContext,
    InferenceParams,
    InferenceProgressCategories,
)

__all__ = [
    'BaseInferenceAction',
    'DeploymentContext',
    'InferenceContext',
    'InferenceParams',
    'InferenceProgressCategories',
]
