"""Reading and writing DM datasets on disk (spec section 2): ``json/`` + ``original_files/``, flat or split."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any, TypeAlias

from .dm import CONTAINERS, V1_TOOLS, DMFormatError, v1_to_v2, v2_to_v1
from .engine import Reader, RefStream, WriteContext, Writer
from .formats import DM_SPLITS
from .items import Item
from .layout import attach_image, find_image, load_json, sorted_files
from .output import create_new, ensure_dir, place_image
from .paths import DatasetRoot
from .problems import ProblemKind

__all__ = ['DMReader', 'DMWriter', 'dm_split_dirs', 'document_v2', 'dumps_indented', 'set_document']

_Ref: TypeAlias = tuple[str | None, str, str]  # (split, split directory, JSON file name)


def dm_split_dirs(root: str, categorized: bool) -> list[tuple[str | None, str]]:
    """``[(split, directory)]`` of a DM dataset; FileNotFoundError naming what is missing."""

    def check(base: str) -> None:
        for sub in ('json', 'original_files'):
            if not os.path.isdir(os.path.join(base, sub)):
                raise FileNotFoundError(f'Required directory "{sub}" not found in {base}')

    if not os.path.isdir(root):
        raise FileNotFoundError(f'dataset root {root} does not exist')
    if not categorized:
        check(root)
        return [(None, root)]
    out: list[tuple[str | None, str]] = []
    for split in DM_SPLITS:
        base = os.path.join(root, split)
        if not os.path.isdir(base):
            if split == 'test':
                continue
            raise FileNotFoundError(f'categorized DM dataset needs a "{split}" directory in {root}')
        check(base)
        out.append((split, base))
    return out


class DMReader(Reader):
    def __init__(self, root: str, categorized: bool, version: str, links_into: tuple[str, ...] = ()):
        self.root = root
        self.categorized = categorized
        self.version = version
        self._dirs = dict(dm_split_dirs(root, categorized))
        self.dataset = DatasetRoot(root, links_into)

    def splits(self) -> list[str | None]:
        return list(self._dirs)

    def refs(self, split: str | None) -> RefStream:
        base = self._dirs[split]
        names = sorted_files(os.path.join(base, 'json'), ('.json',), self.scratch)
        return RefStream(
            len(names), lambda: ((split, base, name) for name in names.sorted_keys()), [names.close]
        )

    def load(self, ref: _Ref) -> Item:
        split, base, name = ref
        stem = name[: -len('.json')]
        path = os.path.join(base, 'json', name)
        item = Item(split=split, stem=stem, source=path)
        doc = load_json(path, item, self.dataset)
        if doc is None:
            return item
        v2 = document_v2(item, doc, self.version)
        if v2 is None:
            return item
        image = find_image(os.path.join(base, 'original_files'), stem)
        if not attach_image(item, image, f'{stem}.*', self.dataset):
            return item
        set_document(item, doc, v2, self.version)
        return item


def document_v2(item: Item, doc: Any, version: str) -> dict[str, Any] | None:
    """``doc`` (a DM ``version`` document) as a DM v2 document; None with a problem recorded on ``item``."""
    try:
        if not isinstance(doc, dict):
            raise DMFormatError('a DM document must be a JSON object')
        looks_v1 = 'annotationsData' in doc
        if version == 'v1':
            if not looks_v1 and any(c in doc for c in CONTAINERS):
                raise DMFormatError('this is a DM v2 document (it has media lists); read it as dm_v2')
            return v1_to_v2(doc)
        if looks_v1:
            raise DMFormatError('this is a DM v1 document (it has annotationsData); read it as dm_v1')
        if not any(isinstance(doc.get(c), list) for c in CONTAINERS):
            raise DMFormatError("a DM v2 document needs an 'images' list (or another media list)")
        return doc
    except DMFormatError as exc:
        item.problem(ProblemKind.MALFORMED_ANNOTATION, str(exc), annotation_id=exc.annotation_id, whole=True)
        return None


def set_document(item: Item, doc: dict[str, Any], v2: dict[str, Any], version: str) -> None:
    """Make the v2 document ``v2`` the item's annotations (its first image; the rest kept in ``item.doc``)."""
    if version == 'v1':
        _v1_only_losses(doc, item)
    images = v2.get('images') or [{}]
    if not isinstance(images, list):  # another media list made the document acceptable; images is not one
        item.problem(ProblemKind.MALFORMED_ANNOTATION, f"'images' must be a list, got {images!r}", whole=True)
        return
    item.doc = v2
    item.ann = dict(images[0]) if isinstance(images[0], dict) else {}  # validation replaces its lists
    if not isinstance(images[0], dict):
        item.problem(ProblemKind.MALFORMED_ANNOTATION, 'images[0] must be an object', whole=True)


def _v1_only_losses(doc: dict[str, Any], item: Item) -> None:
    """Report the v1 fields DM v2 has no place for (editor state, assignment id), when they hold something."""
    if doc.get('assignmentId') is not None:
        item.loss(
            None, 'document', 'assignment_id', f'assignmentId {doc["assignmentId"]!r} is not part of DM v2'
        )
    for bases in (doc.get('annotations') or {}).values():
        for base in bases if isinstance(bases, list) else []:
            if not isinstance(base, dict):
                continue
            state = [k for k in ('isLocked', 'label') if base.get(k)] + (
                ['isVisible'] if base.get('isVisible') is False else []
            )
            if state:
                item.loss(base.get('id'), base.get('tool') or 'annotation', 'editor_state', ', '.join(state))


def _classification_map(doc: dict[str, Any]) -> dict[str, list[str]]:
    classes: dict[str, set[str]] = {}
    for container in CONTAINERS:
        media_list = doc.get(container)
        for media in media_list if isinstance(media_list, list) else ():
            for tool, anns in media.items() if isinstance(media, dict) else ():
                for ann in anns if isinstance(anns, list) else ():
                    cls = ann.get('classification') if isinstance(ann, dict) else None
                    if isinstance(cls, str) and cls and tool != 'group':
                        classes.setdefault(tool, set()).add(cls)
    return {tool: sorted(names) for tool, names in sorted(classes.items())}


_INF = float('inf')


def _float(v: float) -> str:
    if v != v:
        return 'NaN'
    if v in (_INF, -_INF):
        return 'Infinity' if v > 0 else '-Infinity'
    return float.__repr__(v)


_SCALARS: dict[type, Callable[[Any], str]] = {str: encode_basestring, int: int.__repr__, float: _float}
_LITERALS = {None: 'null', True: 'true', False: 'false'}


def dumps_indented(value: Any, pad: str = '\n') -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, byte for byte, in half the time.

    With ``indent`` the standard library falls back to its pure-Python encoder, a generator per container and
    token; DM documents are mostly small lists (mask runs, points), so one type lookup per value and a join per
    container is about twice as fast. Types other than plain dict/list/tuple/str/int/float/bool/None (subclasses
    included) are handed to ``json.dumps`` and re-indented, so the output never differs.
    """
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        return scalar(value)
    inner = pad + '  '
    if kind is dict and all(type(k) is str for k in value):
        if not value:
            return '{}'
        items = [encode_basestring(k) + ': ' + dumps_indented(v, inner) for k, v in value.items()]
        return '{' + inner + (',' + inner).join(items) + pad + '}'
    if kind is list or kind is tuple:
        if not value:
            return '[]'
        return '[' + inner + (',' + inner).join([dumps_indented(v, inner) for v in value]) + pad + ']'
    if kind is bool or value is None:
        return _LITERALS[value]
    return json.dumps(value, indent=2, ensure_ascii=False).replace(
        '\n', pad
    )  # JSON text holds no raw newline


def _clean(ann: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ann.items() if not k.startswith('_')}


class DMWriter(Writer):
    """Writes ``[<split>/]json/<stem>.json`` (2-space indent, UTF-8) and ``[<split>/]original_files/<image>``."""

    need_class = False
    keeps_other_media = True

    def __init__(self, version: str, **options: Any):
        super().__init__(**options)
        self.version = version

    def process(self, item: Item, ctx: WriteContext) -> None:
        image = {tool: [_clean(a) for a in anns] for tool, anns in item.ann.items() if anns}
        if item.doc is not None:
            doc = {k: v for k, v in item.doc.items() if k != 'classification'}
            doc['images'] = [image, *(doc.get('images') or [])[1:]]
        else:
            doc = {'images': [image]}
        doc = {'classification': _classification_map(doc), **doc}
        for tool, anns in image.items():
            ctx.count(tool, len(anns))
        if self.version == 'v1':
            for tool in image:
                if tool == 'group' or tool not in V1_TOOLS:
                    for ann in image[tool]:
                        item.loss(ann.get('id'), tool, 'no_v1_equivalent', 'DM v1 has no such tool')
            extras = {'image_1': {'width': item.width, 'height': item.height}}
            try:
                out = v2_to_v1(doc, extras=extras)
            except DMFormatError as exc:  # other media are not validated item by item: their errors land here
                item.problem(
                    ProblemKind.MALFORMED_ANNOTATION, str(exc), annotation_id=exc.annotation_id, whole=True
                )
                return None
        else:
            out = doc
        if ctx.staging is None:
            return None
        base = os.path.join(ctx.staging, item.split) if item.split else ctx.staging
        json_dir = os.path.join(base, 'json')
        files_dir = os.path.join(base, 'original_files')
        json_path = os.path.join(ensure_dir(json_dir), item.stem + '.json')
        if not create_new(json_path, dumps_indented(out)):
            item.problem(ProblemKind.DUPLICATE_ID, f'another item is also named {item.stem!r}', whole=True)
            return None
        ensure_dir(files_dir)
        if item.image_path and item.image_name is not None:  # the name is set with the path (attach_image)
            place_image(item.image_path, os.path.join(files_dir, item.image_name), ctx.options['image_mode'])
        return None

    def finish(self, staging: str, splits: list[str | None]) -> None:
        if splits != [None]:  # a categorized DM dataset needs train/ and valid/, even when a split is empty
            for split in ('train', 'valid'):
                for sub in ('json', 'original_files'):
                    os.makedirs(os.path.join(staging, split, sub), exist_ok=True)
