"""Shared by every test directory: helper modules that live beside this file.

The tests run with ``--import-mode=importlib``, so tests/ is not on ``sys.path``; each helper is
loaded here once, by path, and registered under a name test modules import:
``synapse_tests_misbehaving`` (tests/misbehaving.py: loopback servers that misbehave on purpose),
``synapse_tests_planted`` (tests/planted.py: planted secrets and a plugin that tries to leak them) and
``synapse_tests_terminal`` (tests/terminal.py: running a command on a pseudo-terminal).

Hypothesis runs without its per-example deadline everywhere: on a loaded 2-core machine one example of
a cheap property took 374 ms against the default 200 ms and failed a test that had nothing wrong. Speed
is measured in tools/bench/, never asserted in tests; property tests bound their work with
``max_examples`` instead.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from hypothesis import settings

settings.register_profile('synapse', deadline=None)
settings.load_profile('synapse')

for _name, _file in (
    ('synapse_tests_misbehaving', 'misbehaving.py'),
    ('synapse_tests_planted', 'planted.py'),
    ('synapse_tests_terminal', 'terminal.py'),
):
    if _name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(_name, Path(__file__).resolve().parent / _file)
        sys.modules[_name] = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(sys.modules[_name])
