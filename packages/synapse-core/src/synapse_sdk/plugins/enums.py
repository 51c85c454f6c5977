"""Enumerations shared by plugin configs, actions and executors."""

from __future__ import annotations

from enum import StrEnum

__all__ = ['ExecutionMode', 'PackageManager', 'PluginCategory', 'RunMethod']


class PluginCategory(StrEnum):
    """What a plugin is for; the backend groups plugins by it."""

    NEURAL_NET = 'neural_net'
    EXPORT = 'export'
    UPLOAD = 'upload'
    SMART_TOOL = 'smart_tool'
    PRE_ANNOTATION = 'pre_annotation'
    POST_ANNOTATION = 'post_annotation'
    DATA_VALIDATION = 'data_validation'
    CUSTOM = 'custom'


class RunMethod(StrEnum):
    """How the platform runs an action (the ``method`` key of config.yaml).

    This is metadata for the platform: `job` creates a tracked backend job, `task` is a short
    synchronous call, `serve` a long-running Ray Serve application. It is distinct from
    `ExecutionMode`, which is how *you* choose to run an action with `run_plugin`.
    """

    JOB = 'job'
    TASK = 'task'
    SERVE = 'serve'
    RESTAPI = 'restapi'

    @classmethod
    def _missing_(cls, value: object) -> RunMethod | None:
        """``serve_application`` (the name seed 002 and the platform use) is `SERVE`."""
        return cls.SERVE if value == 'serve_application' else None


class ExecutionMode(StrEnum):
    """Where `run_plugin` runs an action: this process, a Ray actor, or a Ray job."""

    LOCAL = 'local'
    TASK = 'task'
    JOB = 'job'


class PackageManager(StrEnum):
    """Installer used for a plugin's requirements on a Ray cluster."""

    PIP = 'pip'
    UV = 'uv'
