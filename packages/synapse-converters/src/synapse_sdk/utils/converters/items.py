"""The pivot every conversion goes through: one image item as a DM v2 annotation map, plus its validation.

Readers turn one source item (a DM JSON, a YOLO label file, a COCO image entry, a VOC XML) into an ``Item``;
writers turn an ``Item`` into the target files. Validation happens once, here, on the pivot, so every direction
checks the same things and names problems the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from .masks import MaskError, normalize_dm_mask
from .problems import ProblemKind, ProblemRecord

__all__ = [
    'GEOMETRY_TOOLS',
    'LOSS_FIELDS',
    'Annotation',
    'Item',
    'LossRecord',
    'Runs',
    'plain_shapes',
    'validate_item',
]

GEOMETRY_TOOLS = ('bounding_box', 'polygon', 'keypoint', 'segmentation')
_EPS = 1e-6

Annotation: TypeAlias = dict[str, Any]
"""One DM annotation as the source holds it (JSON object): validated here, not before, so its values are ``Any``."""
Runs: TypeAlias = list[list[int]]
"""A mask as sorted, merged row-major runs ``[[start, length], ...]``."""
LossRecord: TypeAlias = tuple[str, str | None, str, str, str | None]
"""``(item, annotation_id, kind, reason, detail)``: a ``Loss`` as a plain tuple (see ``LOSS_FIELDS``)."""


@dataclass
class Item:
    """One image with its annotations (DM v2 image-item form), in the middle of a conversion."""

    split: str | None
    stem: str
    source: str
    image_path: str | None = None
    image_name: str | None = None
    width: int = 0
    height: int = 0
    channels: int = 3
    ann: dict[str, list[Annotation]] = field(default_factory=dict)
    doc: dict[str, Any] | None = None  # the whole DM v2 document (other media) when the source is DM
    problems: list[ProblemRecord] = field(default_factory=list)
    losses: list[LossRecord] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)  # '<tool>:<as what>' -> annotations
    mask_runs: dict[str, Runs] = field(default_factory=dict)  # annotation id -> normalised runs (validation)

    @property
    def key(self) -> str:
        return f'{self.split}/{self.stem}' if self.split else self.stem

    def problem(
        self,
        kind: ProblemKind,
        message: str,
        *,
        annotation_id: str | None = None,
        line: int | None = None,
        whole: bool = False,
        file: str | None = None,
    ) -> None:
        # A plain tuple (see ``problems``): the main process makes the public model where a report shows it.
        self.problems.append(
            ProblemRecord(kind, file or self.source, message, self.key, annotation_id, line, whole)
        )

    def loss(self, annotation_id: str | None, kind: str, reason: str, detail: str | None = None) -> None:
        # A plain tuple: losses are frequent and cross process boundaries; ``result.loss_model`` makes the
        # public model.
        self.losses.append((self.key, annotation_id, kind, reason, detail))

    def changed(self, kind: str, change: str, n: int = 1) -> None:
        """Count ``n`` annotations of ``kind`` written in another representation (``as_box``, ``as_polygon``,
        ``as_mask``, ``parts_joined``): carried, not lost. Counted only: these are systematic, per dataset."""
        if n:
            key = f'{kind}:{change}'
            self.changes[key] = self.changes.get(key, 0) + n

    @property
    def unusable(self) -> bool:
        return any(p.whole_item for p in self.problems)


_NUMBER = (int, float)


LOSS_FIELDS = ('item', 'annotation_id', 'kind', 'reason', 'detail')


def _finite(v: Any) -> bool:
    return type(v) in _NUMBER and math.isfinite(v)  # bool is not a coordinate


def _outside(x: float, y: float, w: int, h: int) -> bool:
    return x < -_EPS * max(w, 1) or y < -_EPS * max(h, 1) or x > w * (1 + _EPS) or y > h * (1 + _EPS)


_SEQ = (list, tuple)
_isfinite = math.isfinite


def _bounds(w: int, h: int) -> tuple[float, float, float, float]:
    """``(lo_x, lo_y, hi_x, hi_y)``: how far coordinates may go (the image and a rounding error around it)."""
    return -_EPS * max(w, 1), -_EPS * max(h, 1), w * (1 + _EPS), h * (1 + _EPS)


def _surely_valid(tool: str, data: Any, ann: Annotation, bounds: tuple[float, float, float, float]) -> bool:
    """True when a box, polygon or keypoint is valid (its class aside): a few C-level passes over its
    coordinates instead of a Python call per value. False means "look closer": ``_check`` then finds the
    problem (or none) the slow way, so problems are reported exactly as before. ``bounds`` from ``_bounds``,
    once per item."""
    if not _fields_valid(ann):
        return False
    if tool == 'bounding_box':
        return _box_inside(data, bounds)
    if tool == 'keypoint':
        if type(data) not in _SEQ or len(data) not in (2, 3):
            return False
        x, y = data[0], data[1]
        if type(x) not in _NUMBER or type(y) not in _NUMBER or not _isfinite(x + y):
            return False
        if 'visibility' in ann and not (type(ann['visibility']) is int and ann['visibility'] in (0, 1, 2)):
            return False
        lo_x, lo_y, hi_x, hi_y = bounds
        return bool(lo_x <= x <= hi_x and lo_y <= y <= hi_y)
    if tool == 'polygon':
        return _polygon_box(data, bounds) is not None
    return False


def _fields_valid(ann: Annotation) -> bool:
    """``attrs`` a list of ``{'name': str, ...}`` (or absent), ``classification`` and ``group_id`` strings (or
    absent): the fields every writer reads, whatever the tool."""
    if not _attrs_valid(ann.get('attrs')):
        return False
    cls, gid = ann.get('classification'), ann.get('group_id')
    return (cls is None or type(cls) is str) and (gid is None or type(gid) is str)


def _attrs_valid(attrs: Any) -> bool:
    """``attrs`` absent or a list of ``{'name': str, ...}`` objects."""
    return attrs is None or (
        type(attrs) is list
        and (not attrs or all(type(a) is dict and type(a.get('name')) is str for a in attrs))
    )


def _box_inside(data: Any, bounds: tuple[float, float, float, float]) -> bool:
    """``data`` is ``[x, y, width, height]`` of finite numbers, with some area, inside ``bounds``."""
    if type(data) not in _SEQ or len(data) != 4:
        return False
    x, y, bw, bh = data
    if type(x) not in _NUMBER or type(y) not in _NUMBER or type(bw) not in _NUMBER or type(bh) not in _NUMBER:
        return False
    lo_x, lo_y, hi_x, hi_y = bounds
    return (
        _isfinite(x + y + bw + bh)
        and bw > 0
        and bh > 0
        and lo_x <= x
        and lo_y <= y
        and x + bw <= hi_x
        and y + bh <= hi_y
    )


_POINT_TYPES = frozenset((list, tuple))
_NUMBER_TYPES = frozenset((int, float))


def _polygon_box(data: Any, bounds: tuple[float, float, float, float]) -> list[Any] | None:
    """``[x0, y0, width, height]`` of a polygon of 3+ distinct finite ``[x, y]`` points with some area inside
    ``bounds`` (computed as ``objects.Obj.box`` computes it), None for anything else."""
    if type(data) is not list or len(data) < 3 or not _POINT_TYPES.issuperset(map(type, data)):
        return None
    try:  # lists or tuples, all of 2 values: else zip stops short (ValueError) or unpacks 1 or 3+ rows
        xs, ys = zip(*data, strict=True)
    except ValueError:
        return None
    if not (_NUMBER_TYPES.issuperset(map(type, xs)) and _NUMBER_TYPES.issuperset(map(type, ys))):
        return None
    try:
        if not (_isfinite(math.fsum(xs)) and _isfinite(math.fsum(ys))):
            return None
    except OverflowError:
        return None
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    lo_x, lo_y, hi_x, hi_y = bounds
    inside = x0 < x1 and y0 < y1 and lo_x <= x0 and x1 <= hi_x and lo_y <= y0 and y1 <= hi_y
    if inside and len(set(zip(xs, ys, strict=True))) >= 3:
        return [x0, y0, x1 - x0, y1 - y0]
    return None


def _check(
    item: Item,
    tool: str,
    ann: Annotation,
    need_class: bool,
    class_names: frozenset[str] | None,
    class_tools: tuple[str, ...],
) -> bool:
    ann_id = ann.get('id')
    w, h = item.width, item.height
    data = ann.get('data')
    if _surely_valid(tool, data, ann, _bounds(w, h)):
        return _check_rest(item, tool, ann, need_class, class_names, class_tools)

    def bad(kind: ProblemKind, message: str) -> bool:
        item.problem(kind, f'{tool} {message}', annotation_id=ann_id, line=ann.get('_line'))
        return False

    # Fields every writer reads, whatever the tool: hostile values are problems here, not crashes later.
    attrs = ann.get('attrs')
    if attrs is not None and not (
        isinstance(attrs, list) and all(isinstance(a, dict) and isinstance(a.get('name'), str) for a in attrs)
    ):
        return bad(
            ProblemKind.MALFORMED_ANNOTATION,
            f'attrs must be a list of {{"name": ..., "value": ...}}, got {attrs!r}',
        )
    cls = ann.get('classification')
    if cls is not None and not isinstance(cls, str):
        return bad(ProblemKind.MALFORMED_ANNOTATION, f'classification must be a string, got {cls!r}')
    group_id = ann.get('group_id')
    if group_id is not None and not isinstance(group_id, str):
        return bad(ProblemKind.MALFORMED_ANNOTATION, f'group_id must be a string, got {group_id!r}')
    if tool == 'bounding_box':
        if not (isinstance(data, list | tuple) and len(data) == 4 and all(map(_finite, data))):
            return bad(ProblemKind.MALFORMED_ANNOTATION, f'data must be [x, y, width, height], got {data!r}')
        x, y, bw, bh = data
        if bw <= 0 or bh <= 0:
            return bad(ProblemKind.DEGENERATE_BOX, f'has no area (width {bw}, height {bh})')
        if _outside(x, y, w, h) or _outside(x + bw, y + bh, w, h):
            return bad(ProblemKind.OUT_OF_IMAGE, f'[{x}, {y}, {bw}, {bh}] is outside the {w}x{h} image')
    elif tool in ('polygon', 'polyline'):
        minimum = 3 if tool == 'polygon' else 2
        if not isinstance(data, list) or not all(
            isinstance(p, list | tuple) and len(p) == 2 and _finite(p[0]) and _finite(p[1]) for p in data
        ):
            return bad(ProblemKind.INVALID_POLYGON, f'data must be a list of [x, y] points, got {data!r}')
        if len({(p[0], p[1]) for p in data}) < minimum:
            return bad(ProblemKind.INVALID_POLYGON, f'has fewer than {minimum} distinct points')
        for p in data:
            if _outside(p[0], p[1], w, h):
                return bad(ProblemKind.OUT_OF_IMAGE, f'point {list(p)} is outside the {w}x{h} image')
        if tool == 'polygon':
            xs, ys = [p[0] for p in data], [p[1] for p in data]
            if max(xs) == min(xs) or max(ys) == min(ys):
                # No format holds it as an object: COCO needs an area, YOLO/VOC a box of some width.
                return bad(
                    ProblemKind.INVALID_POLYGON,
                    'spans no area (its points lie on one horizontal or vertical line)',
                )
    elif tool == 'keypoint':
        if not (isinstance(data, list | tuple) and len(data) in (2, 3) and all(map(_finite, data[:2]))):
            return bad(ProblemKind.INVALID_KEYPOINT, f'data must be [x, y], got {data!r}')
        if 'visibility' in ann and not (type(ann['visibility']) is int and ann['visibility'] in (0, 1, 2)):
            return bad(ProblemKind.INVALID_KEYPOINT, f'visibility {ann["visibility"]!r} is not 0, 1 or 2')
        if _outside(data[0], data[1], w, h):
            return bad(ProblemKind.OUT_OF_IMAGE, f'[{data[0]}, {data[1]}] is outside the {w}x{h} image')
    elif tool == 'segmentation' and isinstance(data, list):
        encoding = ann.get('encoding') or ('dm_rle' if ann.get('isCompressed') else 'raw_indices')
        try:
            runs = normalize_dm_mask(data, encoding, w, h)
        except MaskError as exc:
            return bad(ProblemKind.INVALID_MASK, str(exc))
        if not runs:
            return bad(ProblemKind.INVALID_MASK, 'mask is empty')
        item.mask_runs[ann['id']] = (
            runs  # the writers' (annotations are never modified: they may be the caller's)
        )
    return _check_rest(item, tool, ann, need_class, class_names, class_tools)


def _check_rest(
    item: Item,
    tool: str,
    ann: Annotation,
    need_class: bool,
    class_names: frozenset[str] | None,
    class_tools: tuple[str, ...],
) -> bool:
    """The checks after the geometry: group id and class."""
    gid = ann.get('group_id')
    problem = None
    if gid is not None and not isinstance(gid, str):  # '' and None: not grouped
        problem = ProblemKind.MALFORMED_ANNOTATION, f'group_id must be a string, got {gid!r}'
    elif need_class and tool in GEOMETRY_TOOLS:
        cls = ann.get('classification')
        if not isinstance(cls, str) or not cls:
            problem = ProblemKind.UNKNOWN_CLASS, 'has no class'
        elif class_names is not None and tool in class_tools and cls not in class_names:
            problem = ProblemKind.UNKNOWN_CLASS, f'class {cls!r} is not in class_names'
    if problem is not None:
        item.problem(problem[0], f'{tool} {problem[1]}', annotation_id=ann.get('id'), line=ann.get('_line'))
        return False
    return True


def validate_item(
    item: Item,
    *,
    need_class: bool,
    class_names: frozenset[str] | None = None,
    class_tools: tuple[str, ...] = ('bounding_box', 'polygon', 'segmentation'),
) -> None:
    """Check every annotation of ``item``; drop bad ones (recording a problem), and duplicate ids.

    ``class_names`` is checked for the ``class_tools`` the target writes with those names.
    """
    seen: set[str] = set()
    bounds = _bounds(item.width, item.height)
    for tool in list(item.ann):
        kept = []
        anns = item.ann[tool]
        if not isinstance(anns, list):
            item.problem(ProblemKind.MALFORMED_ANNOTATION, f'{tool!r} must be a list of annotations')
            del item.ann[tool]
            continue
        # The common case first, in this loop (a function call per annotation less, the image bounds once):
        # an annotation with a fresh string id, a geometry ``_surely_valid`` accepts and a known class. The
        # others go through the full checks below, which report whatever is wrong, as before.
        fast = tool in _FAST_TOOLS
        named = need_class and tool in GEOMETRY_TOOLS
        names = class_names if class_names is not None and tool in class_tools else None
        surely_valid = _surely_valid
        for ann in anns:
            if fast and isinstance(ann, dict):
                ann_id = ann.get('id')
                if (
                    type(ann_id) is str
                    and ann_id
                    and ann_id not in seen
                    and surely_valid(tool, ann.get('data'), ann, bounds)
                    and (
                        not named
                        or (
                            type(cls := ann.get('classification')) is str
                            and cls
                            and (names is None or cls in names)
                        )
                    )
                ):
                    seen.add(ann_id)
                    kept.append(ann)
                    continue
            if not isinstance(ann, dict):
                item.problem(ProblemKind.MALFORMED_ANNOTATION, f'{tool} entry is not an object: {ann!r}')
                continue
            ann_id = ann.get('id')
            if not isinstance(ann_id, str) or not ann_id:
                item.problem(ProblemKind.MALFORMED_ANNOTATION, f'{tool} annotation without an id')
                continue
            if ann_id in seen:
                item.problem(
                    ProblemKind.DUPLICATE_ID, f'annotation id {ann_id!r} is used twice', annotation_id=ann_id
                )
                continue
            seen.add(ann_id)
            if _check(item, tool, ann, need_class, class_names, class_tools):
                kept.append(ann)
        item.ann[tool] = kept


_FAST_TOOLS = frozenset(('bounding_box', 'polygon', 'keypoint'))  # the tools ``_surely_valid`` can accept
_PLAIN_TOOLS = frozenset(('bounding_box', 'polygon'))  # the tools of ``plain_shapes``


def plain_shapes(
    item: Item, class_names: frozenset[str] | None
) -> tuple[list[Annotation], list[tuple[Annotation, list[Any]]]] | None:
    """``(boxes, [(polygon, its box), ...])`` of an item that is nothing but standalone boxes and polygons which
    ``validate_item`` keeps as they are (fresh string ids, geometry ``_surely_valid`` accepts, a class, in
    ``class_names`` when given) and ``objects.item_objects`` makes one object each (no ``group_id``); None for
    any other item (another tool with annotations, a group, anything validation would report), which then goes
    the general way. A polygon's box is ``[x0, y0, width, height]`` as ``objects.Obj.box`` computes it.

    Why: this is what an export sends (DM v2 boxes and polygons) and, checked here in one loop, a writer turns
    it into its rows without the pivot's second pass, the ``Obj`` per annotation and their method calls
    (``Writer.process_plain``): about half the CPU of such an item. Nothing is recorded on ``item``, so the
    general way can still run after a None. ``need_class`` is implied: the format writers need a class.
    """
    for tool, anns in item.ann.items():  # first the tools alone: a general item costs no geometry checks here
        if type(anns) is not list or (anns and tool not in _PLAIN_TOOLS):
            return None
    boxes: list[Annotation] = []
    polygons: list[tuple[Annotation, list[Any]]] = []
    seen: set[str] = set()
    bounds = _bounds(item.width, item.height)
    for tool, anns in item.ann.items():
        if tool not in _PLAIN_TOOLS:
            continue
        is_box = tool == 'bounding_box'
        for ann in anns:
            if type(ann) is not dict:
                return None
            ann_id, cls, gid = ann.get('id'), ann.get('classification'), ann.get('group_id')
            if not (
                type(ann_id) is str
                and ann_id
                and ann_id not in seen
                and type(cls) is str
                and cls
                and (class_names is None or cls in class_names)
                and (gid is None or gid == '')
            ):
                return None
            if not _attrs_valid(ann.get('attrs')):
                return None
            if is_box:
                if not _box_inside(ann.get('data'), bounds):
                    return None
                boxes.append(ann)
            else:
                box = _polygon_box(ann.get('data'), bounds)
                if box is None:
                    return None
                polygons.append((ann, box))
            seen.add(ann_id)
    return boxes, polygons
