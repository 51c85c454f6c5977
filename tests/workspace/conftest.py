"""Fixtures for the workspace tests: the isolation tool as a module and the wheels it builds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f'synapse_tools_{name}', ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def isolation():
    return _load_tool('isolation')


@pytest.fixture(scope='session')
def bump_version():
    return _load_tool('bump_version')


@pytest.fixture(scope='session')
def wheels(isolation, tmp_path_factory) -> dict[str, Path]:
    """Every distribution's wheel, built once per test session."""
    return isolation.build_wheels(tmp_path_factory.mktemp('wheels'))
