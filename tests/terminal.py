"""Running a command on a pseudo-terminal, as a person at a terminal sees it (colours, bars, prompts).

Loaded by path from tests/conftest.py and registered as ``synapse_tests_terminal``; used by the CLI tests
and the Ray task-mode console tests. No pytest in here.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

#: What to do once the terminal has shown a prompt: type these bytes, or call this (the test acting on
#: what it saw, e.g. releasing a gate the command waits on).
Reply = bytes | Callable[[], object]


def run_in_pty(
    args: Sequence[str],
    cwd: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    answers: Sequence[tuple[bytes, Reply]] = (),
    stdout: IO[bytes] | None = None,
) -> tuple[int, str]:
    """Run `args` with a pseudo-terminal as stdin, stdout and stderr; ``(exit code, everything shown)``.

    `env`: the command's environment (default: this process's, without pytest's ``PYTEST_*`` variables).
    `answers`: ``(prompt, reply)`` pairs, in order: once the terminal has shown `prompt` (``b''``: at once),
    `reply` is typed or called. `stdout`: a file for the command's stdout instead of the terminal (as in
    ``synapse ... --json > result.json``): the terminal then shows stderr alone.

    A command that shows nothing for `timeout` seconds is killed and reported with what it had shown.
    """
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith('PYTEST_')}
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        list(args),
        stdin=slave,
        stdout=slave if stdout is None else stdout,
        stderr=slave,
        cwd=cwd,
        env=dict(env),
        close_fds=True,
    )
    os.close(slave)
    shown = b''
    pending = list(answers)
    try:
        while True:
            while pending and pending[0][0] in shown:
                reply = pending.pop(0)[1]
                if callable(reply):
                    reply()
                else:
                    os.write(master, reply)
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                raise AssertionError(f'no output for {timeout}s: {shown!r}')
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the command closed the terminal
                break
            if not data:
                break
            shown += data
    except BaseException:
        proc.kill()
        proc.wait(timeout=30)
        raise
    finally:
        os.close(master)
    assert not pending, f'never showed {pending[0][0]!r}: {shown!r}'
    return proc.wait(timeout=timeout), shown.decode('utf-8', 'replace')
