"""The subprocess entrypoint a plugin runtime container (or a Ray job driver) executes.

    python -m synapse_sdk.plugins.entrypoint [--entrypoint E] [--params JSON | --params-file F]
                                             [--job-id ID] [--language L] [--plugin-dir D]

Each option falls back to an environment variable:

=====================  ==================================================================
``--entrypoint``       ``SYNAPSE_ACTION_ENTRYPOINT`` (``pkg.module:Name`` or ``pkg.module.Name``)
``--params``           ``SYNAPSE_ACTION_PARAMS`` (a JSON object)
``--params-file``      ``SYNAPSE_ACTION_PARAMS_FILE`` (a file with a JSON object)
``--job-id``           ``SYNAPSE_JOB_ID`` (no fallback to Ray's own job id)
``--language``         ``SYNAPSE_LANGUAGE``
``--plugin-dir``       ``SYNAPSE_PLUGIN_DIR`` (default: the working directory), put on sys.path
``--action-name``      ``SYNAPSE_ACTION_NAME``: the name the action runs under (its config.yaml key)
=====================  ==================================================================

The outcome is printed on stdout between two marker lines, as one JSON object::

    __SYNAPSE_RESULT_START__
    {"status": "succeeded", "result": ...}
    __SYNAPSE_RESULT_END__

or ``{"status": "failed", "error": {"type": ..., "message": ..., "traceback": ...}}``, where
``traceback`` is the formatted traceback of the failure (for an action that raised, the action's
own exception with its cause chain), so a reader of the output never scrapes stderr for it.
`parse_result_output` reads it back. Exit code: 0 success, 1 the action failed, 2 bad input (params, entrypoint,
missing variables). The context is built by the shared `build_runtime_context`, so with a job id
and credentials the backend job receives logs, progress, metrics and the final status.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any

from synapse_sdk.plugins.errors import ActionExecutionError, ParamsValidationError, PluginError
from synapse_sdk.security.redaction import PARAMS_ENV_VAR

__all__ = ['RESULT_END', 'RESULT_START', 'format_result_output', 'main', 'parse_result_output']

RESULT_START = '__SYNAPSE_RESULT_START__'
RESULT_END = '__SYNAPSE_RESULT_END__'


class _InputError(PluginError, ValueError):
    """The entrypoint was started without what it needs."""


def format_result_output(payload: dict[str, Any]) -> str:
    """The marker-framed block for `payload` (already JSON-compatible)."""
    return f'{RESULT_START}\n{json.dumps(payload, ensure_ascii=False, default=str)}\n{RESULT_END}'


def parse_result_output(text: str) -> dict[str, Any]:
    """Extract the last marker-framed JSON payload from process output (e.g. Ray job logs).

    Raises `ValueError` when there is none.
    """
    end = text.rfind(RESULT_END)
    start = text.rfind(RESULT_START, 0, end if end != -1 else None)
    if start == -1 or end == -1:
        raise ValueError('No result markers found in the output')
    payload = json.loads(text[start + len(RESULT_START) : end].strip())
    if not isinstance(payload, dict):
        raise ValueError(f'The result block holds a JSON {type(payload).__name__}, not an object')
    return payload


def _params(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, Any]:
    text = args.params if args.params is not None else environ.get('SYNAPSE_ACTION_PARAMS')
    file = args.params_file or environ.get('SYNAPSE_ACTION_PARAMS_FILE')
    source = '--params / SYNAPSE_ACTION_PARAMS'
    if not text and file:
        try:
            with open(file, encoding='utf-8') as fh:
                text = fh.read()
        except OSError as exc:
            raise _InputError(f'Cannot read params file {file}: {exc}') from exc
        source = f'params file {file}'
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _InputError(f'{source} is not valid JSON: {exc}') from exc
    if not isinstance(value, dict):
        raise _InputError(f'{source} must be a JSON object, got {type(value).__name__}')
    return value


def _report_failure(job_id: str | None, message: str) -> None:
    """Mark the backend job FAILED when the run could not even start (bad entrypoint, params file)."""
    if not job_id:
        return
    from synapse_sdk.loggers.transport import JobLogTransport
    from synapse_sdk.plugins.execution import create_backend_clients
    from synapse_sdk.security.redaction import redact_url

    try:
        client = create_backend_clients()[0]
        if isinstance(client, JobLogTransport):
            client.update_job(job_id, {'status': 'FAILED', 'result': {'error': redact_url(message)}})
    except Exception as exc:  # reporting is best effort; the exit code still says it failed
        print(f'Could not report the failure to job {job_id}: {type(exc).__name__}', file=sys.stderr)


def _failed(type_name: str, message: str, formatted_traceback: str) -> dict[str, Any]:
    return {
        'status': 'failed',
        'error': {'type': type_name, 'message': message, 'traceback': formatted_traceback},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m synapse_sdk.plugins.entrypoint')
    parser.add_argument('--entrypoint')
    parser.add_argument('--params')
    parser.add_argument('--params-file')
    parser.add_argument('--job-id')
    parser.add_argument('--language')
    parser.add_argument('--plugin-dir')
    parser.add_argument('--action-name')
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    # The params (secrets included) leave the process environment before the action runs: ctx.env,
    # subprocesses the action starts and anything that dumps os.environ never see them.
    os.environ.pop(PARAMS_ENV_VAR, None)

    from synapse_sdk.plugins.execution import execute_action
    from synapse_sdk.plugins.loading import add_to_sys_path, load_entrypoint

    payload: dict[str, Any]
    code = 0
    try:
        entrypoint = args.entrypoint or environ.get('SYNAPSE_ACTION_ENTRYPOINT')
        if not entrypoint:
            raise _InputError('No action entrypoint: pass --entrypoint or set SYNAPSE_ACTION_ENTRYPOINT')
        add_to_sys_path(args.plugin_dir or environ.get('SYNAPSE_PLUGIN_DIR') or os.getcwd())
        params = _params(args, environ)
        target = load_entrypoint(entrypoint)
        result = execute_action(
            target,
            params,
            name=args.action_name or environ.get('SYNAPSE_ACTION_NAME') or None,
            job_id=args.job_id or environ.get('SYNAPSE_JOB_ID') or None,
            language=args.language or environ.get('SYNAPSE_LANGUAGE') or None,
        )
        payload = {'status': 'succeeded', 'result': result}
    except ActionExecutionError as exc:
        text = exc.original_traceback or ''.join(traceback.format_exception(exc.original))
        payload = _failed(type(exc.original).__name__, str(exc), text)
        code = 1
        print(text, end='', file=sys.stderr)
    except (PluginError, ImportError) as exc:
        # chain=False: a params error's pydantic cause would print the rejected values (maybe secrets)
        payload = _failed(type(exc).__name__, str(exc), ''.join(traceback.format_exception(exc, chain=False)))
        code = 2
        if not isinstance(exc, ParamsValidationError):  # params errors are reported by run_action
            _report_failure(args.job_id or environ.get('SYNAPSE_JOB_ID'), str(exc))
    sys.stdout.flush()
    print(format_result_output(payload), flush=True)
    return code


if __name__ == '__main__':
    raise SystemExit(main())
