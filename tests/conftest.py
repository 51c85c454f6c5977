"""Shared by every test directory: the misbehaving loopback servers (tests/misbehaving.py).

The tests run with ``--import-mode=importlib``, so tests/ is not on ``sys.path``; the module is loaded
here once, by path, and registered as ``synapse_tests_misbehaving`` for test modules to import.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = 'synapse_tests_misbehaving'
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).resolve().parent / 'misbehaving.py')
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])
