"""Objects: what YOLO, COCO and Pascal VOC write one row, annotation or ``<object>`` for.

DM stores an object either as one annotation (a box, a polygon, a mask) or as several annotations sharing a
``group_id``: the joints of a pose (one keypoint annotation each), the parts of a multi-part polygon (COCO's
``segmentation`` with several polygons), or any mix of those with a box. A ``group`` annotation whose id is the
``group_id`` gives the object its class and attributes (its ``data`` lists the members); DM v1 records the same
grouping in ``annotationGroups``. Writers of the other formats work on ``Obj``s, so an object stays one object
in every format that can hold it, and every annotation with a geometry is part of exactly one object (keypoints
without a group are the exception: no format holds a lone point as an object; they are reported).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from .items import Annotation, Item, Runs
from .masks import normalize_dm_mask

__all__ = ['SHAPE_TOOLS', 'Obj', 'item_objects', 'join_rings', 'runs_extent', 'union_runs']

SHAPE_TOOLS = ('bounding_box', 'polygon', 'segmentation')
_OBJECT_TOOLS = frozenset((*SHAPE_TOOLS, 'keypoint', 'group'))

Point: TypeAlias = Sequence[float]


def union_runs(runs_lists: Iterable[Runs]) -> Runs:
    """The union of several masks' row-major runs, sorted and merged."""
    runs: list[list[int]] = []
    for start, length in sorted(r for runs in runs_lists for r in runs):
        if runs and start <= runs[-1][0] + runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], start + length - runs[-1][0])
        else:
            runs.append([start, length])
    return runs


def _normalized(ann: Annotation, width: int, height: int) -> Runs:
    encoding = ann.get('encoding') or ('dm_rle' if ann.get('isCompressed') else 'raw_indices')
    return normalize_dm_mask(ann['data'], encoding, width, height)


@dataclass(slots=True)
class Obj:
    """One object: a standalone annotation, or the members of one group (and the group annotation, if any)."""

    cls: str
    key: str  # the annotation id, or the group id
    width: int
    height: int
    cache: dict[str, Runs]  # the item's normalised mask runs by annotation id (filled by validation)
    tool: str = 'group'  # the tool of a standalone annotation; 'group' for a group
    group: Annotation | None = None
    boxes: list[Annotation] = field(default_factory=list)
    polygons: list[Annotation] = field(default_factory=list)
    masks: list[Annotation] = field(default_factory=list)
    keypoints: list[Annotation] = field(default_factory=list)
    _box: list[float] | None = None
    _box_done: bool = False
    _members: list[tuple[str, Annotation]] | None = None

    def members(self) -> list[tuple[str, Annotation]]:
        """``(tool, annotation)`` of every member (the group annotation last)."""
        if self._members is None:
            self._members = [(tool, ann) for tool, anns in self._lists() for ann in anns]
            if self.group is not None:
                self._members.append(('group', self.group))
        return self._members

    def _lists(self) -> tuple[tuple[str, list[Annotation]], ...]:
        return (
            ('bounding_box', self.boxes),
            ('polygon', self.polygons),
            ('segmentation', self.masks),
            ('keypoint', self.keypoints),
        )

    def runs(self, ann: Annotation) -> Runs:
        """Normalised row-major runs of one of the object's masks."""
        runs = self.cache.get(ann['id'])
        if runs is None:
            runs = self.cache[ann['id']] = _normalized(ann, self.width, self.height)
        return runs

    @property
    def shaped(self) -> bool:
        return bool(self.polygons or self.masks)

    @property
    def attrs(self) -> list[dict[str, Any]]:
        """The object's attributes: the group annotation's, else those of its first member that has some."""
        attrs: list[dict[str, Any]]  # validated (``validate_item``): a list of {'name': str, ...} objects
        if self.group is not None and self.group.get('attrs'):
            attrs = self.group['attrs']
            return attrs
        for tool, ann in self.members():
            if tool != 'keypoint' and ann.get('attrs'):
                attrs = ann['attrs']
                return attrs
        return []

    def extent(self) -> list[float] | None:
        """``[x0, y0, x1, y1]`` of the polygons and masks (pixel extent for masks), None without shapes."""
        x0 = y0 = math.inf
        x1 = y1 = -math.inf
        for ann in self.polygons:
            xs = [p[0] for p in ann['data']]
            ys = [p[1] for p in ann['data']]
            x0, y0, x1, y1 = min(x0, min(xs)), min(y0, min(ys)), max(x1, max(xs)), max(y1, max(ys))
        for ann in self.masks:
            mx0, my0, mx1, my1 = runs_extent(self.runs(ann), self.width)
            x0, y0, x1, y1 = min(x0, mx0), min(y0, my0), max(x1, mx1), max(y1, my1)
        return None if x0 == math.inf else [x0, y0, x1, y1]

    def box(self) -> list[float] | None:
        """``[x, y, w, h]``: the box annotation(s), else a pose box on a keypoint (``group_bbox`` or
        ``bounding_box``), else the extent of the shapes, else the tight box of the visible joints.
        None when that spans no area."""
        if self._box_done:
            return self._box
        self._box_done = True
        corners = None
        if self.group is None and not self.keypoints:  # one annotation: the common case, kept short
            if self.boxes:
                self._box = self.boxes[0]['data']  # validated: width and height > 0
                return self._box
            if self.polygons and len(self.polygons) == 1:
                pts = self.polygons[0]['data']
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                x0, y0 = min(xs), min(ys)
                self._box = [x0, y0, max(xs) - x0, max(ys) - y0]  # validated: some width and height
                return self._box
        if self.boxes:
            corners = [math.inf, math.inf, -math.inf, -math.inf]
            for ann in self.boxes:
                x, y, w, h = ann['data']
                corners = [
                    min(corners[0], x),
                    min(corners[1], y),
                    max(corners[2], x + w),
                    max(corners[3], y + h),
                ]
        if corners is None:
            for kp in self.keypoints:
                for name in ('group_bbox', 'bounding_box'):
                    b = kp.get(name)
                    if isinstance(b, list) and len(b) == 4 and all(map(_finite, b)) and b[2] > 0 and b[3] > 0:
                        corners = [b[0], b[1], b[0] + b[2], b[1] + b[3]]
                        break
                if corners is not None:
                    break
        if corners is None:
            corners = self.extent()
        if corners is None:
            pts = [kp['data'] for kp in self.keypoints if kp.get('visibility', 2) > 0]
            if pts:
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                corners = [min(xs), min(ys), max(xs), max(ys)]
        if corners is not None and corners[2] > corners[0] and corners[3] > corners[1]:
            self._box = [corners[0], corners[1], corners[2] - corners[0], corners[3] - corners[1]]
        return self._box


def runs_extent(runs: Runs, width: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` pixel edges around sorted row-major runs (what ``masks.runs_bbox`` gives as a box, in
    one pass with no per-row split: only a run that wraps over a row end spans the full width)."""
    x0, x1 = width, 0
    for start, length in runs:
        col = start % width
        if col + length > width:
            x0, x1 = 0, width
            break
        if col < x0:
            x0 = col
        if col + length > x1:
            x1 = col + length
    last = runs[-1]
    return x0, runs[0][0] // width, x1, (last[0] + last[1] - 1) // width + 1


def _finite(v: Any) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


def item_objects(item: Item, pose_class: str, fmt: str) -> list[Obj]:
    """The item's objects: standalone boxes, polygons and masks in annotation order, then groups by id.

    Records a loss for what no object holds: tools ``fmt`` has no place for (polylines, relations, 3D, non-image
    masks ...), keypoints without a group, groups without members.
    """
    w, h = item.width, item.height
    objects: list[Obj] = []
    groups: dict[str, Obj] = {}

    def group_of(gid: str, cls: str) -> Obj:
        obj = groups.get(gid)
        if obj is None:
            obj = groups[gid] = Obj(cls=cls, key=gid, width=w, height=h, cache=item.mask_runs)
        return obj

    for tool, anns in item.ann.items():
        if tool not in _OBJECT_TOOLS:
            for ann in anns:
                item.loss(ann.get('id'), tool, 'unsupported', f'{fmt} has no {tool} annotations')
    for tool, attr in (('bounding_box', 'boxes'), ('polygon', 'polygons'), ('segmentation', 'masks')):
        for ann in item.ann.get(tool) or ():
            if tool == 'segmentation' and not isinstance(ann.get('data'), list):
                item.loss(ann['id'], tool, 'unsupported', 'not an image mask')
                continue
            gid = ann.get('group_id')
            if gid:
                getattr(group_of(gid, ann['classification']), attr).append(ann)
            else:
                obj = Obj(
                    cls=ann['classification'],
                    key=ann['id'],
                    width=w,
                    height=h,
                    cache=item.mask_runs,
                    tool=tool,
                )
                getattr(obj, attr).append(ann)
                obj._members = [(tool, ann)]
                objects.append(obj)
    for kp in item.ann.get('keypoint') or ():
        gid = kp.get('group_id')
        if gid:
            group_of(gid, '').keypoints.append(kp)
        else:
            item.loss(kp['id'], 'keypoint', 'ungrouped_keypoint', f'{fmt} holds joints of an object only')
    for group in item.ann.get('group') or ():
        gid = group.get('id')
        owner = groups.get(gid) if isinstance(gid, str) else None
        if owner is None or owner.group is not None:
            item.loss(gid, 'group', 'no_members', 'no annotation has this group_id')
            continue
        owner.group = group
    for gid in sorted(groups):
        obj = groups[gid]
        if obj.group is not None and obj.group.get('classification'):
            obj.cls = obj.group['classification']
        elif not obj.cls:
            obj.cls = pose_class
        objects.append(obj)
    return objects


def _walk(ring: Sequence[Point], start: int, stop: int) -> list[Point]:
    """``ring[start] .. ring[stop]`` going forward (cyclic); with ``start == stop`` the whole ring, ending where it
    began."""
    m = len(ring)
    out = [ring[start]]
    k = start
    while True:
        k = (k + 1) % m
        out.append(ring[k])
        if k == stop:
            return out


def join_rings(rings: Sequence[Sequence[Point]]) -> list[Point]:
    """One closed polygon through every ring: consecutive rings are joined by the shortest segment between
    their vertices, walked there and back (a zero-width bridge), the way Ultralytics joins the parts of a COCO
    polygon into one segment row. The polygon covers every ring's outline and inside, plus the bridges."""
    if len(rings) == 1:
        return list(rings[0])
    n = len(rings)
    exits, entries = (
        [0] * n,
        [0] * n,
    )  # ring i leaves at vertex exits[i] for vertex entries[i + 1] of ring i + 1
    for i in range(n - 1):
        a, b = rings[i], rings[i + 1]
        best = None
        for ia, (ax, ay) in enumerate(a):
            for ib, (bx, by) in enumerate(b):
                d = (ax - bx) ** 2 + (ay - by) ** 2
                if best is None or d < best[0]:
                    best = (d, ia, ib)
        assert best is not None  # rings are validated polygons or traced contours: never empty
        exits[i], entries[i + 1] = best[1], best[2]
    out = [rings[0][exits[0]]]
    for i in range(1, n):  # out: each ring from where it is entered to where it is left (the last one whole)
        if i == n - 1:
            out += _walk(rings[i], entries[i], entries[i])
        elif entries[i] == exits[i]:
            out.append(rings[i][entries[i]])
        else:
            out += _walk(rings[i], entries[i], exits[i])
    for i in range(n - 2, 0, -1):  # back: the rest of each ring
        out += _walk(rings[i], exits[i], entries[i])
    out += _walk(rings[0], exits[0], exits[0])[:-1]  # the first ring whole; the polygon closes on out[0]
    joined = [p for k, p in enumerate(out) if k == 0 or tuple(p) != tuple(out[k - 1])]
    while len(joined) > 1 and tuple(joined[-1]) == tuple(joined[0]):
        joined.pop()
    return joined
