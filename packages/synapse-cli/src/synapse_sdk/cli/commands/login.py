"""``synapse login``: store a backend access token for the SDK and the CLI.

The token is read without echo (a hidden prompt on a terminal, or ``--token-stdin`` from a pipe), so
it never reaches the screen, the shell history or the process list. It is checked against the
backend and written to ``~/.synapse/config.json`` (mode 0600) only when the backend accepted it:
a login that could not be checked is not a login. ``--no-verify`` saves without asking the backend,
and says so.
"""

from __future__ import annotations

import sys

import click

from synapse_sdk.cli.errors import EXIT_INPUT, CliError
from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.messages import t
from synapse_sdk.cli.options import debug_option, json_option, lang_option
from synapse_sdk.cli.output import get_output, is_interactive


@click.command(cls=LocalizedCommand)
@click.option(
    '--host', metavar='URL', help='Backend URL (default: the stored host, else https://api.synapse.sh).'
)
@click.option('--tenant', metavar='CODE', help='Tenant code to send with every request.')
@click.option(
    '--token-stdin',
    is_flag=True,
    help='Read the token from standard input (for scripts: echo "$TOKEN" | synapse login --token-stdin).',
)
@click.option(
    '--no-verify',
    is_flag=True,
    help='Save the token without checking it against the backend (e.g. the backend is not reachable yet).',
)
@lang_option
@json_option
@debug_option
def login(host: str | None, tenant: str | None, token_stdin: bool, no_verify: bool, language: str) -> None:
    """Check a backend access token (read without echo) and store it in ~/.synapse/config.json (mode 0600).

    On a terminal the token is asked for with a hidden prompt. Without a terminal, pipe it in with
    --token-stdin; the command never waits for input that cannot come. Nothing is saved unless the
    backend accepts the token, or --no-verify is given.
    """
    from synapse_sdk.cli.commands.credentials import verify_token
    from synapse_sdk.utils.auth import DEFAULT_HOST, config_path, load_config, save_config

    out = get_output()
    path = config_path()
    stored = load_config(path)
    host = (host or stored.get('host') or DEFAULT_HOST).rstrip('/')
    if not host.startswith(('http://', 'https://')):
        raise CliError(t('cli.login.bad_host', host=repr(host)), exit_code=EXIT_INPUT)

    if host.startswith('http://') and not _is_loopback(host):
        out.warn(t('cli.login.plain_http', language, host=host))
    token = _read_token(token_stdin, language)
    verified = None
    if not no_verify:
        verified = verify_token(
            host, access_token=token, tenant=tenant or stored.get('tenant'), language=language
        )
        if verified.status != 'ok':
            raise CliError(
                t('cli.login.not_saved', language, detail=verified.detail),
                hint=t('cli.login.rejected_hint' if verified.status == 'rejected' else 'cli.login.unverified_hint',
                       language),
                kind='token_rejected' if verified.status == 'rejected' else 'backend_unreachable',
            )  # fmt: skip
    values = {'host': host, 'access_token': token}
    if tenant is not None:
        values['tenant'] = tenant
    saved = save_config(values, path)
    if out.json_mode:
        out.emit_json(
            {
                'ok': True,
                'host': host,
                'config_path': str(saved),
                'verified': verified is not None,
                'user': verified.user if verified else None,
            }
        )
        return
    if verified is None:  # on stdout, beside the "saved" line: this is the outcome, not a side remark
        out.echo(t('cli.login.saved_unverified', language, host=host), fg='yellow')
    else:
        out.success(t('cli.login.done', language, host=host, who=f' ({verified.detail})'))
    out.echo(t('cli.login.saved', language, path=saved))


def _read_token(token_stdin: bool, language: str) -> str:
    if token_stdin:
        token = sys.stdin.read().strip()
        if not token:
            raise CliError(t('cli.login.empty_stdin', language), exit_code=EXIT_INPUT)
    elif is_interactive():
        token = click.prompt(t('cli.login.prompt', language), hide_input=True, prompt_suffix=': ').strip()
    else:
        raise CliError(
            t('cli.login.no_terminal', language),
            hint=t(
                'cli.login.no_terminal_hint',
                language,
                command='echo "$SYNAPSE_TOKEN" | synapse login --token-stdin',
            ),
            exit_code=EXIT_INPUT,
        )
    if any(c.isspace() for c in token):
        raise CliError(t('cli.login.whitespace', language), exit_code=EXIT_INPUT)
    return token


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or '') in ('localhost', '127.0.0.1', '::1')
