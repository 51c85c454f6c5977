"""What the root ``synapse`` command offers: its help text, global options and subcommands.

Plain data, importable without click, because two renderers read it: the click group in `app`
and `roothelp`, which answers ``synapse --help`` without importing click at all (click's own import
costs several times Python's start-up). Change a text here and both follow.
"""

from __future__ import annotations

__all__ = [
    'DEBUG_HELP',
    'HELP_OPTION_NAMES',
    'LANG_HELP',
    'LANG_METAVAR',
    'ROOT_HELP',
    'SUBCOMMANDS',
    'VERSION_HELP',
]

ROOT_HELP = """Synapse SDK command line: build, run and publish plugins of the Synapse platform.

Run an action of the plugin in the current directory:

    synapse plugin run train --params '{"epochs": 10}'

Shell completion (bash): eval "$(_SYNAPSE_COMPLETE=bash_source synapse)\""""

VERSION_HELP = 'Show the installed synapse distributions and their versions.'
DEBUG_HELP = 'Show tracebacks of failures.'
LANG_HELP = 'Language of messages (default: $SYNAPSE_LANGUAGE, else en).'
LANG_METAVAR = 'en|ko'
HELP_OPTION_NAMES = ('-h', '--help')

_COMMANDS = 'synapse_sdk.cli.commands'

# name -> (import path of the click command, one-line help). Listing them imports none of them.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    'plugin': (f'{_COMMANDS}.plugin:plugin', 'Create, run, validate and publish plugins.'),
    'convert': (f'{_COMMANDS}.convert:convert', 'Convert a dataset between DM, YOLO, COCO and Pascal VOC.'),
    'login': (f'{_COMMANDS}.login:login', 'Store a backend access token in ~/.synapse/config.json.'),
    'config': (f'{_COMMANDS}.config:config', 'Show the stored configuration (tokens masked).'),
    'doctor': (f'{_COMMANDS}.doctor:doctor', 'Check the installation, credentials, backend and Ray.'),
}
