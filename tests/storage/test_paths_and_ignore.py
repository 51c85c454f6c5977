"""Pure logic: key normalisation, StoragePath operations, glob translation and ignore patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from synapse_sdk.utils.file import IgnoreMatcher, parse_patterns
from synapse_sdk.utils.storage import StoragePath, StoragePathError, get_storage
from synapse_sdk.utils.storage.keys import normalize_key


@pytest.mark.parametrize(
    ('key', 'expected'),
    [
        ('a/b.txt', 'a/b.txt'),
        ('/a/b.txt', 'a/b.txt'),
        ('a//b/./c', 'a/b/c'),
        ('', ''),
        ('/', ''),
        ('a/', 'a'),
    ],
)
def test_normalize_key(key: str, expected: str) -> None:
    assert normalize_key(key) == expected


def test_normalize_key_root_refused_for_objects() -> None:
    with pytest.raises(StoragePathError, match='names the storage root'):
        normalize_key('/', allow_root=False)
    with pytest.raises(StoragePathError, match='must be a string'):
        normalize_key(42)  # type: ignore[arg-type]


def test_storage_path_pure_operations(tmp_path: Path) -> None:
    storage = get_storage({'provider': 'local', 'configuration': {'location': str(tmp_path)}})
    path = StoragePath(storage, 'data') / 'images' / 'cat.tar.gz'
    assert path.key == 'data/images/cat.tar.gz'
    assert path.name == 'cat.tar.gz' and path.suffix == '.gz' and path.stem == 'cat.tar'
    assert path.parent == StoragePath(storage, 'data/images')
    assert path.parts == ('data', 'images', 'cat.tar.gz')
    assert path.relative_to(StoragePath(storage, 'data')) == 'images/cat.tar.gz'
    assert str(path) == '/data/images/cat.tar.gz'
    assert path.as_uri() == (tmp_path / 'data/images/cat.tar.gz').as_uri()
    assert StoragePath(storage, '').joinpath('a', 'b').key == 'a/b'
    with pytest.raises(ValueError, match='not under'):
        path.relative_to(StoragePath(storage, 'other'))


def test_glob_semantics(tmp_path: Path) -> None:
    for name in ['a.txt', 'b.TXT', 'sub/c.txt', 'sub/deeper/d.txt', 'sub/e.json', '[x].txt']:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    storage = get_storage({'provider': 'local', 'configuration': {'location': str(tmp_path)}})
    root = StoragePath(storage, '')

    def keys(pattern: str) -> list[str]:
        return [p.key for p in root.glob(pattern)]

    assert keys('*.txt') == ['[x].txt', 'a.txt']  # '*' does not cross '/'; matching is case-sensitive
    assert keys('?.txt') == ['a.txt']
    assert keys('[!a].TXT') == ['b.TXT']
    assert keys('sub/*') == ['sub/c.txt', 'sub/deeper', 'sub/e.json']
    assert keys('**/*.txt') == ['[x].txt', 'a.txt', 'sub/c.txt', 'sub/deeper/d.txt']
    assert keys('sub/**') == ['sub/c.txt', 'sub/deeper', 'sub/deeper/d.txt', 'sub/e.json']
    assert [p.key for p in root.rglob('d.txt')] == ['sub/deeper/d.txt']


def matcher(*lines: str) -> IgnoreMatcher:
    return IgnoreMatcher(parse_patterns(lines))


@pytest.mark.parametrize(
    ('patterns', 'path', 'is_dir', 'ignored'),
    [
        (['*.log'], 'a/b/run.log', False, True),
        (['/build'], 'build', True, True),
        (['/build'], 'src/build', True, False),
        (['build/'], 'build', False, False),  # dir-only pattern, path is a file
        (['build/'], 'x/build', True, True),
        (['docs/*.md'], 'docs/a.md', False, True),
        (['docs/*.md'], 'docs/sub/a.md', False, False),
        (['docs/**/*.md'], 'docs/sub/deep/a.md', False, True),
        (['**/cache'], 'a/b/cache', True, True),
        (['logs/**'], 'logs/x/y.txt', False, True),
        (['a/**/b'], 'a/b', False, True),
        (['a/**/b'], 'a/x/y/b', False, True),
        (['*.ckpt', '!keep.ckpt'], 'keep.ckpt', False, False),
        (['*.ckpt', '!keep.ckpt', '*.ckpt'], 'keep.ckpt', False, True),  # the last match wins
        (['\\#notes'], '#notes', False, True),
        (['# comment', '', 'x'], 'x', False, True),
        (['file[0-9].txt'], 'file7.txt', False, True),
        (['file[!0-9].txt'], 'file7.txt', False, False),
    ],
)
def test_ignore_patterns(patterns: list[str], path: str, is_dir: bool, ignored: bool) -> None:
    assert matcher(*patterns).is_ignored(path, is_dir) is ignored


def test_nested_ignore_file_applies_below_its_directory() -> None:
    rules = parse_patterns(['*.tmp'], base='sub')
    m = IgnoreMatcher(rules)
    assert m.is_ignored('sub/a.tmp', False)
    assert m.is_ignored('sub/deep/a.tmp', False)
    assert not m.is_ignored('a.tmp', False)
