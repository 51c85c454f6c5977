"""Every `type: ignore` in the shipped sources names its error code and says why; no module is exempt.

mypy enforces the code (`ignore-without-code` in the root pyproject) and fails an ignore that silences
nothing (`warn_unused_ignores`, part of strict); the reason is for the reader, and only a test can ask
for it: ``# type: ignore[code]  # why``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_IGNORE = re.compile(r'#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$')


def _ignores() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted((ROOT / 'packages').glob('*/src/**/*.py')):
        for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            if _IGNORE.search(line):
                found.append((str(path.relative_to(ROOT)), number, line))
    return found


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    found = _ignores()
    assert found, 'no type: ignore found at all: the pattern is broken'
    bad = []
    for where, number, line in found:
        m = _IGNORE.search(line)
        assert m is not None
        reason = m.group('rest').strip().lstrip('#').strip()
        if not m.group('codes') or len(reason) < 8:
            bad.append(f'{where}:{number}: {line.strip()}')
    assert bad == [], (
        'write `# type: ignore[code]  # why` (the code mypy reports, then the reason):\n' + '\n'.join(bad)
    )


def test_the_pattern_catches_a_bare_ignore() -> None:
    for line, ok in (
        ('x = f()  # type: ignore', False),
        ('x = f()  # type: ignore[arg-type]', False),
        ('x = f()  # type: ignore[arg-type]  # the stub is wrong about None', True),
    ):
        m = _IGNORE.search(line)
        assert m is not None
        reason = m.group('rest').strip().lstrip('#').strip()
        assert (bool(m.group('codes')) and len(reason) >= 8) is ok, line


def test_no_module_is_exempt_from_strict_checking() -> None:
    """The per-module baseline of issue #17 is gone; a `disable_error_code` override would bring it back."""
    import tomllib

    config = tomllib.loads((ROOT / 'pyproject.toml').read_text(encoding='utf-8'))['tool']['mypy']
    assert config['strict'] is True
    exempt = [o['module'] for o in config.get('overrides', []) if o.get('disable_error_code')]
    assert exempt == [], f"fix these modules' errors instead of disabling codes: {exempt}"
