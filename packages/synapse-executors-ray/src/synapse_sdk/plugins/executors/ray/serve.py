"""Serving an inference action over HTTP with Ray Serve (the ``serve`` method; not a `run_plugin` mode).

Needs the ``[serve]`` extra (``pip install "synapse-executors-ray[serve]"``)::

    from synapse_sdk.plugins.executors.ray.serve import deploy_action

    app = deploy_action('my_plugin.infer:predict', name='yolo-infer', working_dir='plugin/',
                        num_replicas=2, num_cpus=1, http_port=8000)
    # POST http://127.0.0.1:8000/yolo-infer  with the params as a JSON body -> the result as JSON
    app.handle.remote({'image': '...'}).result()    # or through a Serve handle from Python
    delete_deployment('yolo-infer')

Each request runs the action like every other executor does: params validated against the action's
params model (HTTP 422 with the list of bad fields when they do not match), a `RuntimeContext` built
by the core's `build_runtime_context` inside the replica, and the JSON-compatible result returned.
An action failure answers HTTP 500 with the exception type and message (no traceback to clients;
it is in the replica's log). The working dir, allow-listed env and secrets travel as for
`RayActorExecutor`: public values in the replica's runtime env, secrets as constructor arguments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from synapse_sdk.plugins.executors.ray.connection import ensure_ray
from synapse_sdk.plugins.executors.ray.runtime_env import plan_runtime_env, upload_working_dir

__all__ = ['ActionDeployment', 'ServedAction', 'delete_deployment', 'deploy_action']

SERVE_INSTALL_HINT = 'pip install "synapse-executors-ray[serve]"'


class ActionDeployment:
    """The replica class: runs one action per request. Wrapped by ``serve.deployment`` at deploy time."""

    def __init__(self, target: Any, secrets: Mapping[str, str], context: Mapping[str, Any]):
        from synapse_sdk.plugins.executors.ray.worker import line_buffered_output

        line_buffered_output()
        os.environ.update(secrets)
        if isinstance(target, str):
            from synapse_sdk.plugins.loading import load_entrypoint

            target = load_entrypoint(target, plugin_dir=os.getcwd())
        self.target = target
        self.context = dict(context)

    def run(self, params: Any) -> tuple[int, Any]:
        """``(HTTP status, JSON body)`` for one set of params."""
        from synapse_sdk.plugins.errors import ActionExecutionError, ParamsValidationError
        from synapse_sdk.plugins.execution import execute_action

        try:
            return 200, execute_action(self.target, params, **self.context)
        except ParamsValidationError as exc:
            return 422, {'error': 'invalid_params', 'action': exc.action, 'errors': exc.errors}
        except ActionExecutionError as exc:
            original = exc.original
            return 500, {'error': type(original).__name__, 'action': exc.action, 'message': str(original)}

    async def __call__(self, request: Any) -> Any:
        import asyncio

        from starlette.responses import JSONResponse

        try:
            params = await request.json() if await request.body() else {}
        except ValueError:
            return JSONResponse({'error': 'invalid_json', 'message': 'the request body is not JSON'}, 400)
        status, body = await asyncio.get_running_loop().run_in_executor(None, self.run, params)
        return JSONResponse(body, status)

    def remote_call(self, params: Any) -> Any:
        """Handle calls (``handle.remote(params)``) return the body; errors come back as a dict."""
        return self.run(params)[1]


@dataclass(frozen=True)
class ServedAction:
    """A deployed action: its Serve application name, HTTP URL and a Python handle."""

    name: str
    url: str
    handle: Any


def _serve() -> Any:
    try:
        from ray import serve
    except ImportError as exc:
        raise ImportError(f'Serving actions needs Ray Serve: {SERVE_INSTALL_HINT}') from exc
    return serve


def deploy_action(
    action: Any,
    *,
    name: str,
    route_prefix: str | None = None,
    num_replicas: int = 1,
    num_cpus: float = 1,
    num_gpus: float = 0,
    env: Mapping[str, Any] | None = None,
    env_allowlist: Iterable[str] = (),
    working_dir: str | os.PathLike[str] | None = None,
    runtime_env: Mapping[str, Any] | None = None,
    language: str | None = None,
    ray_address: str | None = None,
    http_host: str = '127.0.0.1',
    http_port: int = 8000,
    serve_options: Mapping[str, Any] | None = None,
) -> ServedAction:
    """Deploy `action` (an entrypoint string or an importable action) as a Serve application.

    `route_prefix` defaults to ``/<name>``. Serve's HTTP proxy is started on `http_host`:`http_port`
    if it is not running yet. `serve_options` go to ``serve.deployment`` (autoscaling_config,
    max_ongoing_requests ...). Redeploying under the same `name` updates the application in place.
    """
    serve = _serve()
    plan = plan_runtime_env(
        runtime_env=runtime_env, working_dir=working_dir, env=env, env_allowlist=env_allowlist
    )
    ensure_ray(ray_address)
    renv = upload_working_dir(plan.runtime_env)
    serve.start(http_options={'host': http_host, 'port': http_port})
    deployment = serve.deployment(
        ActionDeployment,
        name=name,
        num_replicas=num_replicas,
        ray_actor_options={'num_cpus': num_cpus, 'num_gpus': num_gpus, 'runtime_env': renv},
        **dict(serve_options or {}),
    )
    context: dict[str, dict[str, str] | str | None] = {
        'env': {**plan.worker_env.public, **plan.worker_env.secret} if env is not None else None,
        'language': language,
    }
    app = deployment.bind(action, dict(plan.worker_env.secret), context)
    prefix = route_prefix or f'/{name}'
    handle = serve.run(app, name=name, route_prefix=prefix)
    return ServedAction(
        name=name,
        url=f'http://{http_host}:{http_port}{prefix}',
        handle=handle.options(method_name='remote_call'),
    )


def delete_deployment(name: str) -> None:
    """Remove a deployed application (its replicas stop)."""
    _serve().delete(name)
