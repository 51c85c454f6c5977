"""Materialise a ground-truth dataset version as a DM dataset directory.

Layout (the one the converters read; see docs/workflows/train.md)::

    <root>/train/{json,original_files}/     split directories when items carry a category
    <root>/valid/{json,original_files}/     (validation -> valid)
    <root>/test/{json,original_files}/
    <root>/{json,original_files}/           flat, when no item has a category

Each item becomes ``json/<stem>.json`` (its annotation document) plus its files in
``original_files/``; ``<stem>`` is the primary file's stem, else the item id. When two items of a
split share a file name, the later one's names are prefixed with its id, so nothing is overwritten.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.actions._downloads import download_url

__all__ = ['SPLIT_DIRS', 'write_dm_dataset']

SPLIT_DIRS = {'train': 'train', 'validation': 'valid', 'valid': 'valid', 'test': 'test'}

#: Seconds one file of the dataset may take to download, the whole call (a server that drips its
#: answer is cut off with `TimeoutError`).
FILE_TIMEOUT = 300.0


def _file_entries(files: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    entries = []
    for key, value in (files or {}).items():
        entry = value if isinstance(value, Mapping) else {'url': value}
        if entry.get('url'):
            entries.append((key, dict(entry)))
    # primary first, then by key, so the stem is stable
    return sorted(entries, key=lambda kv: (not kv[1].get('is_primary'), kv[0]))


def write_dm_dataset(
    items: Iterable[Mapping[str, Any]],
    root: Path,
    *,
    total: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    file_timeout: float = FILE_TIMEOUT,
) -> dict[str, int]:
    """Write `items` (``{'id', 'category'?, 'data', 'files'}``) under `root`; returns counts per split.

    Each file's download must finish within `file_timeout` seconds, or `TimeoutError` names its URL.
    """
    counts: dict[str, int] = {}
    root.mkdir(parents=True, exist_ok=True)
    for done, item in enumerate(items, 1):
        category = item.get('category')
        split = SPLIT_DIRS.get(str(category)) if category else None
        base = root / split if split else root
        json_dir, files_dir = base / 'json', base / 'original_files'
        json_dir.mkdir(parents=True, exist_ok=True)
        files_dir.mkdir(parents=True, exist_ok=True)
        entries = _file_entries(item.get('files') or {})
        names = [
            Path(urllib.parse.urlparse(e['url']).path).name or f'{item["id"]}_{key}' for key, e in entries
        ]
        stem = Path(names[0]).stem if names else str(item['id'])
        if (json_dir / f'{stem}.json').exists():
            # Two items with the same file name in one split: keep both, told apart by the item id.
            names = [f'{item["id"]}_{name}' for name in names]
            stem = f'{item["id"]}_{stem}'
        for (_, entry), name in zip(entries, names, strict=True):
            download_url(entry['url'], files_dir / name, timeout=file_timeout, setting='file_timeout=')
        data = item.get('data')
        if isinstance(data, str):
            data = json.loads(data)
        (json_dir / f'{stem}.json').write_text(
            json.dumps(data, ensure_ascii=False, indent=2), encoding='utf-8'
        )
        counts[split or 'all'] = counts.get(split or 'all', 0) + 1
        if progress is not None and total:
            progress(min(done, total), total)
    return counts
