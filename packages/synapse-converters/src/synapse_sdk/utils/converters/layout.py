"""Directory conventions shared by readers: image lookup, sorted listings, JSON parsing with locations."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from .extsort import ExternalSort
from .imagesize import ImageSizeError, read_image_size
from .items import Item
from .jsonstream import MAX_DEPTH, too_deep_at
from .paths import DatasetRoot
from .problems import ProblemKind

__all__ = [
    'IMAGE_EXTENSIONS',
    'attach_image',
    'find_image',
    'has_files',
    'load_json',
    'outside',
    'scan_files',
    'sorted_files',
]

# Lookup order of the DM layout (spec 2.3), then upper-case spellings and GIF.
IMAGE_EXTENSIONS = (
    '.jpg',
    '.jpeg',
    '.png',
    '.bmp',
    '.webp',
    '.JPG',
    '.JPEG',
    '.PNG',
    '.BMP',
    '.WEBP',
    '.gif',
    '.GIF',
)


def find_image(directory: str, stem: str) -> str | None:
    for ext in IMAGE_EXTENSIONS:
        path = os.path.join(directory, stem + ext)
        if os.path.isfile(path):
            return path
    return None


def _matching(directory: str, suffixes: tuple[str, ...]) -> Iterator[str]:
    if not os.path.isdir(directory):
        return
    lowered = tuple(s.lower() for s in suffixes)
    with os.scandir(directory) as it:
        for entry in it:
            if entry.name.lower().endswith(lowered) and entry.is_file():
                yield entry.name


def scan_files(directory: str, suffixes: tuple[str, ...]) -> Iterator[str]:
    """File names in ``directory`` ending with one of ``suffixes`` (case-insensitive), in listing order."""
    return _matching(directory, suffixes)


def has_files(directory: str, suffixes: tuple[str, ...]) -> bool:
    """Whether ``directory`` holds at least one such file (stops at the first; no listing is kept)."""
    return next(_matching(directory, suffixes), None) is not None


def sorted_files(directory: str, suffixes: tuple[str, ...], scratch: str | None = None) -> ExternalSort:
    """The names of ``scan_files`` sorted (code point order) in bounded memory; iterate ``.sorted_keys()``."""
    names = ExternalSort(scratch)
    for name in _matching(directory, suffixes):
        names.add(name, size=len(name) + 80)
    return names


def outside(item: Item, root: DatasetRoot | None, path: str, what: str) -> bool:
    """Record an ``unsafe_path`` problem (the whole item) when ``path`` leads outside the dataset ``root``."""
    if root is None or root.contains(path):
        return False
    item.problem(ProblemKind.UNSAFE_PATH, root.outside_message(what, path), whole=True)
    return True


def load_json(path: str, item: Item, root: DatasetRoot | None = None) -> Any:
    """Parse a JSON file; on failure record ``malformed_json`` (with the line) on ``item`` and return None."""
    if outside(item, root, path, os.path.basename(path)):
        return None
    try:
        with open(path, 'rb') as fh:
            data = fh.read()
        return json.loads(data)
    except RecursionError:
        text = data.decode('utf-8', 'replace')
        line = text.count('\n', 0, too_deep_at(text)) + 1
        message = f'arrays or objects nested deeper than {MAX_DEPTH} levels'
        item.problem(ProblemKind.MALFORMED_JSON, message, line=line, whole=True, file=path)
    except json.JSONDecodeError as exc:
        item.problem(ProblemKind.MALFORMED_JSON, exc.msg, line=exc.lineno, whole=True, file=path)
    except (UnicodeDecodeError, ValueError) as exc:
        item.problem(ProblemKind.MALFORMED_JSON, f'not UTF-8 JSON: {exc}', whole=True, file=path)
    return None


def attach_image(item: Item, path: str | None, expected: str, root: DatasetRoot | None = None) -> bool:
    """Set the item's image and its size from the file header; record a problem when missing, unreadable or
    (with the dataset ``root``) outside the dataset."""
    if path is not None and outside(item, root, path, f'image {expected!r}'):
        return False
    try:
        if path is None:
            raise FileNotFoundError(path)
        info = read_image_size(path)  # opening it is the existence check (no separate stat)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        item.problem(ProblemKind.MISSING_IMAGE, f'no image found for {expected}', whole=True)
        return False
    except (ImageSizeError, OSError) as exc:
        item.problem(ProblemKind.UNREADABLE_IMAGE, str(exc), whole=True, file=path)
        return False
    item.image_path = path
    item.image_name = os.path.basename(path)
    item.width, item.height, item.channels = info.width, info.height, info.channels
    return True
