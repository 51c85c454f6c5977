"""``synapse plugin``: the plugin author's commands, each imported only when run."""

from __future__ import annotations

import click

from synapse_sdk.cli.localized import LocalizedGroup
from synapse_sdk.cli.options import lang_option

_HERE = 'synapse_sdk.cli.commands'


@click.group(
    cls=LocalizedGroup,
    lazy_subcommands={
        'run': (f'{_HERE}.plugin_run:run', 'Run an action locally, as a Ray task or as a Ray job.'),
        'list': (f'{_HERE}.plugin_list:list_actions', 'List the actions of a plugin.'),
        'validate': (
            f'{_HERE}.plugin_validate:validate',
            'Check config.yaml, entrypoints, params and UI schemas.',
        ),
        'create': (f'{_HERE}.plugin_create:create', 'Scaffold a new plugin from a category template.'),
        'publish': (f'{_HERE}.plugin_publish:publish', 'Archive the plugin and upload it as a release.'),
        'job': (f'{_HERE}.plugin_job:job', "Follow a job's logs."),
    },
)
@lang_option
def plugin(language: str) -> None:
    """Create, run, validate and publish plugins.

    Commands that take --path default to the current directory, which must hold the plugin's
    config.yaml: run them from your plugin folder.
    """
