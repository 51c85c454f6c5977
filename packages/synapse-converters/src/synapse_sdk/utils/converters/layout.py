"""Directory conventions shared by readers: image lookup, sorted listings, JSON parsing with locations."""

from __future__ import annotations

import json
import os

from .imagesize import ImageSizeError, read_image_size
from .items import Item
from .result import ProblemKind

__all__ = ['IMAGE_EXTENSIONS', 'attach_image', 'find_image', 'list_files', 'load_json']

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


def list_files(directory: str, suffixes: tuple[str, ...]) -> list[str]:
    """Sorted file names in ``directory`` ending with one of ``suffixes`` (case-insensitive)."""
    if not os.path.isdir(directory):
        return []
    lowered = tuple(s.lower() for s in suffixes)
    with os.scandir(directory) as it:
        return sorted(e.name for e in it if e.name.lower().endswith(lowered) and e.is_file())


def load_json(path: str, item: Item):
    """Parse a JSON file; on failure record ``malformed_json`` (with the line) on ``item`` and return None."""
    try:
        with open(path, 'rb') as fh:
            return json.loads(fh.read())
    except json.JSONDecodeError as exc:
        item.problem(ProblemKind.MALFORMED_JSON, exc.msg, line=exc.lineno, whole=True, file=path)
    except (UnicodeDecodeError, ValueError) as exc:
        item.problem(ProblemKind.MALFORMED_JSON, f'not UTF-8 JSON: {exc}', whole=True, file=path)
    return None


def attach_image(item: Item, path: str | None, expected: str) -> bool:
    """Set the item's image and its size from the file header; record a problem when missing or unreadable."""
    if path is None or not os.path.isfile(path):
        item.problem(ProblemKind.MISSING_IMAGE, f'no image found for {expected}', whole=True)
        return False
    try:
        info = read_image_size(path)
    except (ImageSizeError, OSError) as exc:
        item.problem(ProblemKind.UNREADABLE_IMAGE, str(exc), whole=True, file=path)
        return False
    item.image_path = path
    item.image_name = os.path.basename(path)
    item.width, item.height, item.channels = info.width, info.height, info.channels
    return True
