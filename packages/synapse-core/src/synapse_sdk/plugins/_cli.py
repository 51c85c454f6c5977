"""The small command line behind ``python -m synapse_sdk.plugins.runner`` (stdlib argparse only).

The full CLI is ``synapse plugin run`` (synapse-cli); this one exists so a plugin can be run from
a fresh clone with only synapse-core installed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.errors import ActionExecutionError, PluginError


class _UsageError(Exception):
    """Bad command-line input; printed as ``error: ...`` with exit code 2."""


def _load_params(text: str | None, file: str | None) -> dict[str, Any]:
    if text and file:
        raise _UsageError('use either --params or --params-file, not both')
    source = '--params'
    if file:
        try:
            text = Path(file).read_text(encoding='utf-8')
        except OSError as exc:
            raise _UsageError(f'cannot read --params-file {file}: {exc.strerror or exc}') from exc
        source = file
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _UsageError(f'{source} is not valid JSON: {exc}') from exc
    if not isinstance(value, dict):
        raise _UsageError(f'{source} must be a JSON object, got {type(value).__name__}')
    return value


def run_cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='python -m synapse_sdk.plugins.runner',
        description='Run a plugin action and print its JSON result on stdout (logs go to stderr).',
    )
    parser.add_argument(
        'plugin', help='plugin directory (with config.yaml), config .yaml file, or module path'
    )
    parser.add_argument('action', help='action name')
    parser.add_argument('--params', help='params as a JSON object')
    parser.add_argument('--params-file', help='file holding the params as a JSON object')
    parser.add_argument(
        '--mode',
        default='local',
        help="'local' (default), 'task', 'job', or a mode an installed distribution registers "
        '(synapse_sdk.executors entry points)',
    )
    parser.add_argument('--lang', '-l', dest='language', help="language of messages, e.g. 'en' or 'ko'")
    parser.add_argument('--job-id', help='backend job id to report to (needs credentials)')
    parser.add_argument('--log-file', help='also write a JSON-lines log here (local mode)')
    parser.add_argument('--ray-address', help='Ray cluster address (task and job modes)')
    parser.add_argument('--quiet', '-q', action='store_true', help='no console logs (local mode)')
    parser.add_argument(
        '--strict-params',
        action='store_true',
        default=None,
        help='unknown params keys are an error, not a warning (also: SYNAPSE_STRICT_PARAMS=1)',
    )
    args = parser.parse_args(argv)

    from synapse_sdk.plugins.runner import run_plugin

    try:
        params = _load_params(args.params, args.params_file)
    except _UsageError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    kwargs: dict[str, Any] = {}
    if args.language:
        kwargs['language'] = args.language
    if args.job_id:
        kwargs['job_id'] = args.job_id
    if args.mode == 'local':
        if args.log_file:
            kwargs['log_file'] = args.log_file
        if args.quiet:
            kwargs['console'] = False
    elif args.ray_address:
        kwargs['ray_address'] = args.ray_address
    try:
        result = run_plugin(
            args.plugin, args.action, params, mode=args.mode, strict_params=args.strict_params, **kwargs
        )
    except ActionExecutionError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    except (PluginError, ImportError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
