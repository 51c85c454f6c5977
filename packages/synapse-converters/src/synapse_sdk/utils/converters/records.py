"""What a ``DatasetWriter`` converts: the caller's records (``DMRecord``) and the reader that turns one into an
item (``RecordReader``).

Apart from ``stream`` (the writer itself) because both are pickled to the worker processes, with every batch and
with the job: unpickling imports their module, and a worker imports only what converting an item needs (not
the writer, the report models, the other formats).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .dm_io import document_v2, set_document
from .engine import Reader
from .items import Item
from .layout import attach_image
from .problems import ProblemKind

__all__ = ['DMRecord', 'RecordReader']

_NAME_SAFE = frozenset('/\\\x00').isdisjoint  # a record name holds none of these (one C call per record)


@dataclass
class DMRecord:
    """One item for a ``DatasetWriter``.

    - ``name``: the item's name in the output (label/XML/JSON file stem); a plain file name, no directories.
    - ``document``: the DM document (v1 or v2, as the writer's ``source`` says); ``None`` means no annotations.
      It may also be the document's JSON text (``str`` or UTF-8 ``bytes``, as a backend sent it): it is then
      parsed where the record is converted (in a worker process when there are workers), which spares the
      caller's process the parse and the pickling of the parsed document; text that is not JSON is the
      record's ``malformed_json`` problem, handled by the error policy.
    - ``image``: path of the image file, copied (``image_mode``) into the output; it must exist until the
      writer is closed. ``None``: no image is written (labels only) and ``width``/``height`` are required.
    - ``image_name``: the image's file name in the output (default: that of ``image``; else ``name``).
    - ``width``, ``height``: the image size when there is no ``image`` (with one, its header says).
    - ``split``: ``'train'``, ``'valid'`` (or ``'val'``) or ``'test'``; ``None`` for a flat dataset. Either every
      record of a writer has a split or none has.
    - ``source``: where the record came from (``'assignment 17'``), named in problems; default ``name``.
    """

    name: str
    document: Mapping[str, Any] | str | bytes | None
    image: str | os.PathLike[str] | None = None
    image_name: str | None = None
    width: int | None = None
    height: int | None = None
    split: str | None = None
    source: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (to the workers, to the spool) as one positional tuple: a dataclass pickles its field names
        # with every instance, and this process pickles every record it writes.
        return type(self), (
            self.name,
            self.document,
            self.image,
            self.image_name,
            self.width,
            self.height,
            self.split,
            self.source,
        )


class RecordReader(Reader):
    """The reader side of a ``DatasetWriter``: a ref is the record itself."""

    def __init__(self, version: str):
        self.version = version

    def load(self, ref: DMRecord) -> Item:
        record = ref
        item = Item(split=record.split, stem=record.name, source=record.source or record.name)
        name = record.name
        if not isinstance(name, str) or not name or name in ('.', '..') or not _NAME_SAFE(name):
            item.problem(
                ProblemKind.MALFORMED_ANNOTATION, f'record name {name!r} is not a file name', whole=True
            )
            return item
        doc: Any = record.document
        if isinstance(doc, str | bytes):
            doc = _parse(item, doc)
            if doc is None:
                return item
        elif doc is None:
            doc = {'images': [{}]}
        if not isinstance(doc, dict) and isinstance(doc, Mapping):
            doc = dict(doc)
        v2 = document_v2(item, doc, self.version)
        if v2 is None:
            return item
        if not _attach(item, record):
            return item
        set_document(item, doc, v2, self.version)
        return item


def _parse(item: Item, text: str | bytes) -> Any:
    """A record's document given as JSON text, parsed; None with a ``malformed_json`` problem (the whole item)
    when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        item.problem(ProblemKind.MALFORMED_JSON, f'the document is not JSON: {exc}', whole=True)
    except RecursionError:
        item.problem(ProblemKind.MALFORMED_JSON, 'the document is nested too deeply to read', whole=True)
    except ValueError as exc:  # UnicodeDecodeError: bytes that are not UTF-8
        item.problem(ProblemKind.MALFORMED_JSON, f'the document is not UTF-8 JSON: {exc}', whole=True)
    return None


def _attach(item: Item, record: DMRecord) -> bool:
    """The record's image (its size from its header) or, without one, its ``width``/``height``; a problem when
    neither can be had."""
    if record.image is not None:
        path = os.fspath(record.image)
        if not attach_image(item, path, path):
            return False
        item.image_name = record.image_name or os.path.basename(path)
        return True
    width, height = record.width, record.height
    if not (type(width) is int and type(height) is int and width > 0 and height > 0):
        item.problem(
            ProblemKind.MISSING_IMAGE,
            'a record without an image needs a positive width and height',
            whole=True,
        )
        return False
    item.width, item.height = width, height
    item.image_name = record.image_name or item.stem
    return True
