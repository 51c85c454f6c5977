"""`run_steps` (tests/cli/conftest.py), which the getting-started and scaffold tests run commands with."""

from __future__ import annotations

import os
import time

import pytest

from .conftest import PYTEST_ALL_PASSED, StepFailed, run_steps, subprocess_env


def test_one_shell_in_order_with_each_steps_own_output(tmp_path):
    (tmp_path / 'sub').mkdir()
    steps = run_steps(
        ['cd sub', 'export GREETING=hi', 'echo "$GREETING from $(basename "$PWD")"', 'echo oops >&2', 'cat'],
        cwd=tmp_path, env=subprocess_env(),
    )  # fmt: skip
    assert [(s.stdout, s.status) for s in steps] == [('', 0), ('', 0), ('hi from sub\n', 0), ('', 0), ('', 0)]
    assert steps[3].stderr == '+ echo oops >&2\noops\n'  # stderr starts with the command, as typed
    assert steps[4].stdout == ''  # `cat` read nothing: the commands never reach a step's stdin


@pytest.mark.parametrize(
    ('failing', 'status'), [('echo bad; ls /no/such/dir', 2), ('echo bad; exit 3', 3)], ids=['fails', 'exits']
)
def test_a_failing_step_is_named_and_ends_the_walk(tmp_path, failing, status):
    with pytest.raises(StepFailed, match=rf"(?s)^'{failing}' exited {status}\b.*bad") as failed:
        run_steps(['echo ok', failing, 'touch never'], cwd=tmp_path, env=subprocess_env())
    assert 'touch never' not in str(failed.value)
    assert not (tmp_path / 'never').exists()


def test_a_hung_step_is_named_and_killed_with_what_it_started(tmp_path):
    pid_file = tmp_path / 'child.pid'
    started = time.monotonic()
    with pytest.raises(StepFailed, match=r'did not finish in 1s') as failed:
        run_steps(
            ['echo started', f'sleep 60 & echo $! > {pid_file}; echo waiting; wait'],
            cwd=tmp_path, env=subprocess_env(), timeout=1,
        )  # fmt: skip
    assert time.monotonic() - started < 30
    assert 'waiting' in str(failed.value)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # killed with its group (it may linger a moment as a zombie)
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        stat = open(f'/proc/{child}/stat').read()  # noqa: SIM115
        if stat.split(') ', 1)[1].startswith('Z'):
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f'the step left {child} running')


def test_before_runs_just_before_its_command(tmp_path):
    seen = []
    run_steps(
        ['echo one', 'echo two'], cwd=tmp_path, env=subprocess_env(),
        before={'echo two': lambda: seen.append((tmp_path / 'marker').exists())},
    )  # fmt: skip
    assert seen == [False]


@pytest.mark.parametrize(
    ('line', 'passed'),
    [
        ('============================== 3 passed in 0.88s ===============================', True),
        ('========================= 3 passed in 88.50s (0:01:28) =========================', True),
        ('==================== 2 passed, 1 warning in 1.23s =====================', False),
        ('==================== 1 failed, 2 passed in 1.23s =====================', False),
        ('============================ no tests ran in 0.01s =============================', False),
    ],
)
def test_pytest_all_passed_line(line, passed):
    """What the walks accept as a scaffold's passing ``pytest`` (its real lines, at any load)."""
    assert bool(PYTEST_ALL_PASSED.fullmatch(line)) is passed
