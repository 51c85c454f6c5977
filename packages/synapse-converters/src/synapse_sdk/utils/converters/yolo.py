"""YOLO (Ultralytics layout) reading and writing.

Written layout, trainable as is (``yolo train data=<out>/data.yaml``)::

    data.yaml                      path, train/val/test, nc, names (+ kpt_shape, flip_idx, keypoint_names for pose)
    images/<train|val|test>/...    (flat datasets: images/ and labels/ directly, train and val both 'images')
    labels/<train|val|test>/<stem>.txt

A YOLO dataset trains one task and a label file holds one row form, so one task is written, and every object
(``objects``) is in it as one row: ``task='detect'`` writes every object as its box (polygons and masks as their
tight boxes, a pose as its box); ``'segment'`` as one polygon (a box as its 4 corners, a mask as its traced outer
contour, several parts joined by zero-width bridges as Ultralytics joins COCO's multi-part polygons); ``'pose'``
as its box and joint vector (objects without keypoints get all joints missing). ``'auto'`` (default) chooses by
``choose_task``. How annotations were carried is counted as representation changes (``as_box``, ...); what is
not carried (attributes, rotation, mask holes, keypoints without a group, other tools) is reported as a loss.
Reading accepts Ultralytics (``images/<split>``), Roboflow (``<split>/images``) and flat layouts, ``data.yaml``,
``dataset.yaml`` or ``classes.txt`` for names, and label rows of boxes, polygons or (with ``kpt_shape``) poses.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from .data_yaml import DataYamlError, class_names, dump_data_yaml, load_data_yaml
from .dm import stable_id
from .engine import NOT_PLAIN, Reader, RefStream, WriteContext, Writer
from .extsort import ExternalSort
from .formats import dm_split, format_split
from .items import Item, plain_shapes
from .keypoints import PERSON17, PERSON17_FLIP, group_annotations, joint_vector, keypoint_order
from .layout import IMAGE_EXTENSIONS, attach_image, has_files, outside, scan_files
from .masks import bitmap_from_runs, mask_contours, runs_bbox
from .objects import Obj, item_objects, join_rings
from .output import create_new, ensure_dir, place_image
from .paths import DatasetRoot, path_text_problem
from .problems import ConversionError, ProblemKind, ProblemRecord

__all__ = ['YOLOReader', 'YOLOWriter']

TASKS = ('detect', 'segment', 'pose')


def choose_task(tally: dict[str, int]) -> str:
    """``task='auto'``: the task that writes the dataset with the fewest annotations changed in a way that loses
    shape. A box is exact in every task (a 4-corner polygon, a pose row without joints), so: ``detect`` when every
    object is a box; otherwise ``segment`` when objects with polygons or masks are at least as many as objects
    with keypoints (pose would reduce those shapes to boxes), else ``pose`` (segment would drop the joints)."""
    shaped, posed = tally.get('shaped_objects', 0), tally.get('pose_objects', 0)
    if not shaped and not posed:
        return 'detect'
    return 'segment' if shaped >= posed else 'pose'


class YOLOWriter(Writer):
    """One task per dataset, every object in it (see the module docstring and ``write_object``)."""

    class_tools = ('bounding_box', 'polygon', 'segmentation')

    def __init__(
        self,
        task: str = 'auto',
        pose_class: str = 'person',
        keypoint_names: Iterable[str] | None = None,
        **options: Any,
    ):
        super().__init__(**options)
        if task not in (*TASKS, 'auto'):
            raise ValueError(f'task must be one of {(*TASKS, "auto")}, got {task!r}')
        self.task = task
        self.pose_class = pose_class
        names = list(keypoint_names) if keypoint_names is not None else None
        if task == 'pose' and names == []:
            raise ValueError(
                "task='pose' needs joints, keypoint_names=[] names none (None takes them from the data)"
            )
        # Joints are written by pose only: elsewhere an empty list changes nothing (with task='auto' choosing
        # pose, the joints come from the data, as with None).
        self.keypoint_names = names or None
        self.output_dir = ''
        self.table: dict[str, dict[str, int]] = {}

    def needs_scan(self, class_names: list[str] | None) -> bool:
        if self.task == 'auto' or class_names is None:
            return True
        return self.task == 'pose' and self.keypoint_names is None

    def build_table(
        self,
        collected: dict[str, set[str]],
        counts: dict[str, int],
        class_names: list[str] | None,
        tally: dict[str, int] | None = None,
    ) -> dict[str, dict[str, int]]:
        task = choose_task(tally or {}) if self.task == 'auto' else self.task
        names = class_names or sorted(collected.get('classes') or set())
        joints = (
            keypoint_order(collected.get('joints') or set(), self.keypoint_names) if task == 'pose' else []
        )
        return {
            'task': {task: 0},
            'classes': {n: i for i, n in enumerate(names)},
            'keypoints': {n: i for i, n in enumerate(joints)},
        }

    def process(self, item: Item, ctx: WriteContext) -> None:
        objects = item_objects(item, self.pose_class, 'YOLO')
        if ctx.table is None:  # the scan of convert(): classes, joint names, what auto chooses by
            tally = ctx.tally
            for obj in objects:
                ctx.class_id('classes', obj.cls)
                for kp in obj.keypoints:
                    ctx.class_id('joints', kp['classification'])
                tally('shaped_objects' if obj.shaped else 'pose_objects' if obj.keypoints else 'boxes')
            if self.task != 'auto':  # what each object becomes is known without pixels: count it now
                for obj in objects:
                    scan_object(item, obj, self.task, ctx, self.keypoint_names)
            return None
        task = next(iter(ctx.table['task']))
        order = list(ctx.table['keypoints'])
        rows: list[str] = []
        classes = ctx.table.get('classes') or {}
        counts, changes = ctx.counts, item.changes
        w, h = item.width, item.height
        for obj in objects:
            # The common case inline (a standalone box or polygon written as a detect row, nothing lost): what
            # write_object and scan_object do for it, without their calls; every other object goes through them.
            if task == 'detect' and obj.tool != 'group':
                cid = classes.get(obj.cls)
                tool, ann = obj.members()[0]
                if cid is not None and not ann.get('attrs'):
                    box = obj.box()
                    row = _box_row(cid, box, w, h) if box is not None else None
                    if row is not None:
                        rows.append(row)
                        counts[tool] = counts.get(tool, 0) + 1
                        change = _CHANGE['detect'].get(tool)
                        if change is not None:
                            changes[change] = changes.get(change, 0) + 1
                        continue
            row = write_object(item, obj, task, ctx, order)
            if row is not None:
                rows.append(row)
        if ctx.staging is None:
            return None
        self._write(item, ctx, ''.join(r + '\n' for r in rows))
        return None

    def process_plain(self, item: Item, ctx: WriteContext, class_names: frozenset[str] | None) -> Any:
        """A detect dataset's item of standalone boxes and polygons (``plain_shapes``): each a box row, in the
        order of ``item_objects`` (boxes, then polygons), counted and reported as ``process`` does (a polygon
        ``as_box``, attributes lost). Half the CPU of ``validate_item`` + ``process`` for such an item."""
        table = ctx.table
        if table is None or ctx.staging is None or 'detect' not in table['task']:
            return NOT_PLAIN
        shapes = plain_shapes(item, class_names)
        if shapes is None:
            return NOT_PLAIN
        boxes, polygons = shapes
        text = _box_rows(table['classes'], boxes, polygons, item.width, item.height)
        if text is None:
            return NOT_PLAIN  # an unknown class, a box that vanishes at 6 decimals: reported there
        counts = ctx.counts
        if boxes:
            counts['bounding_box'] = len(boxes)
        if polygons:
            counts['polygon'] = len(polygons)
            item.changed('polygon', 'as_box', len(polygons))
        for ann in boxes:
            if ann.get('attrs'):
                _attr_loss(item, 'bounding_box', ann)
        for ann, _ in polygons:
            if ann.get('attrs'):
                _attr_loss(item, 'polygon', ann)
        self._write(item, ctx, text)
        return None

    def _write(self, item: Item, ctx: WriteContext, text: str) -> None:
        """The item's label file (``text``: its rows, each ending in a newline) and image (a duplicate name is
        the item's problem)."""
        assert ctx.staging is not None  # only the write pass writes
        sub = format_split(item.split) if item.split else ''
        lbl_dir = os.path.join(ctx.staging, 'labels', sub)
        if not create_new(os.path.join(ensure_dir(lbl_dir), item.stem + '.txt'), text):
            item.problem(ProblemKind.DUPLICATE_ID, f'another item is also named {item.stem!r}', whole=True)
            return
        if item.image_path:
            img_dir = ensure_dir(os.path.join(ctx.staging, 'images', sub))
            place_image(
                item.image_path,
                os.path.join(img_dir, item.stem + _ext(item.image_name)),
                ctx.options['image_mode'],
            )

    def begin(self, staging: str, table: dict[str, dict[str, int]], output_dir: str) -> None:
        self.output_dir = output_dir
        self.table = table

    def finish(self, staging: str, splits: list[str | None]) -> None:
        task = next(iter(self.table['task']))
        data: dict[str, Any] = {'path': self.output_dir}
        if splits == [None]:
            data['train'] = 'images'
            data['val'] = 'images'
        else:
            for split in (s for s in splits if s is not None):  # a list of splits has no None
                data[format_split(split)] = f'images/{format_split(split)}'
            data.setdefault('val', data.get('train', 'images'))
        names = list(self.table['classes'])
        data['nc'] = len(names)
        data['names'] = dict(enumerate(names))
        if task == 'pose':
            joints = list(self.table['keypoints'])
            data['kpt_shape'] = [len(joints), 3]
            if joints == list(PERSON17):
                data['flip_idx'] = PERSON17_FLIP
            data['keypoint_names'] = joints
        with open(os.path.join(staging, 'data.yaml'), 'w', encoding='utf-8') as fh:
            fh.write(dump_data_yaml(data))


def write_object(item: Item, obj: Obj, task: str, ctx: WriteContext, order: list[str]) -> str | None:
    """The label row of one object in ``task`` (None: nothing written, the reason recorded), counting what it
    carries and how (``scan_object``)."""
    w, h = item.width, item.height
    cls = ctx.class_id('classes', obj.cls)
    if cls is None:
        item.problem(
            ProblemKind.UNKNOWN_CLASS, f'class {obj.cls!r} is not in class_names', annotation_id=obj.key
        )
        return None
    box = obj.box()
    if box is None:  # only a group of keypoints can span no area: shapes are validated
        scan_object(item, obj, task, ctx, order)
        return None
    if task == 'segment':
        row = _segment_row(item, obj, cls, box)
    else:
        row = _box_row(cls, box, w, h)
        if row is not None and task == 'pose':
            joints, placed = joint_vector(item, obj, order)
            row += ''.join(f' {_clamp(jx / w):.6f} {_clamp(jy / h):.6f} {v}' for jx, jy, v in joints)
    if row is None:
        _too_small(item, obj)
        return None
    scan_object(item, obj, task, ctx, None, placed if task == 'pose' else None)
    return row


def scan_object(
    item: Item, obj: Obj, task: str, ctx: WriteContext, order: list[str] | None, placed: int | None = None
) -> None:
    """Count what the object's annotations become in ``task`` (representation changes, ``annotations_written``)
    and report what it cannot carry, without making its row: the scan of convert() stops here. ``placed`` is the
    number of joints ``write_object`` placed; with ``order`` (and no ``placed``) joints are checked here."""
    if obj.tool != 'group':  # one annotation: most objects, counted the short way
        counts = ctx.counts
        counts[obj.tool] = counts.get(obj.tool, 0) + 1
        change = _CHANGE[task].get(obj.tool)
        if change is not None:
            item.changes[change] = item.changes.get(change, 0) + 1
        if task == 'pose':
            counts['pose_object'] = counts.get('pose_object', 0) + 1
        tool, ann = obj.members()[0]
        if ann.get('attrs'):
            _attr_loss(item, tool, ann)
        return None
    if obj.keypoints and not obj.boxes and not obj.shaped and obj.box() is None:
        for kp in obj.keypoints:
            item.loss(kp['id'], 'keypoint', 'degenerate_pose_box', f'group {obj.key} spans no area')
        return None
    n_boxes, n_polygons, n_masks, n_keypoints = (
        len(obj.boxes),
        len(obj.polygons),
        len(obj.masks),
        len(obj.keypoints),
    )
    changed = item.changed
    if task == 'segment':
        # Joined parts: counted by _segment_row when saving (a mask's contours are known then); the scan counts
        # the objects known to have several parts.
        changed('bounding_box', 'as_polygon', n_boxes)
        changed('segmentation', 'as_polygon', n_masks)
        changed('keypoint', 'as_polygon', n_keypoints)
        if ctx.staging is None and n_polygons + n_masks > 1:
            changed('polygon', 'parts_joined', n_polygons)
            changed('segmentation', 'parts_joined', n_masks)
    else:
        changed('polygon', 'as_box', n_polygons)
        changed('segmentation', 'as_box', n_masks)
        if task == 'detect':
            changed('keypoint', 'as_box', n_keypoints)
        else:
            ctx.count('pose_object')
            if placed is not None:
                n_keypoints = placed
            elif order is not None and n_keypoints:
                n_keypoints = joint_vector(item, obj, order)[1]
    counts = ctx.counts
    for tool, n in (
        ('bounding_box', n_boxes),
        ('polygon', n_polygons),
        ('segmentation', n_masks),
        ('keypoint', n_keypoints),
        ('group', obj.group is not None),
    ):
        if n:
            counts[tool] = counts.get(tool, 0) + n
    for tool, ann in obj.members():
        if ann.get('attrs') and tool != 'keypoint':
            _attr_loss(item, tool, ann)
    return None


_CHANGE = {  # what a standalone annotation becomes in each task (``Item.changed`` keys)
    'detect': {'polygon': 'polygon:as_box', 'segmentation': 'segmentation:as_box'},
    'segment': {'bounding_box': 'bounding_box:as_polygon', 'segmentation': 'segmentation:as_polygon'},
    'pose': {'polygon': 'polygon:as_box', 'segmentation': 'segmentation:as_box'},
}


def _attr_loss(item: Item, tool: str, ann: dict[str, Any]) -> None:
    names: list[str] = []
    for a in ann['attrs']:
        name = a.get('name')
        if tool == 'bounding_box' and name == 'rotation':
            if a.get('value'):
                item.loss(ann['id'], 'bounding_box', 'rotation', 'written axis-aligned')
        else:
            names.append(str(name))
    if names:
        item.loss(ann['id'], tool, 'attributes', ', '.join(names))


def _too_small(item: Item, obj: Obj) -> None:
    for tool, ann in obj.members():
        item.loss(ann['id'], tool, 'too_small', 'vanishes at the 6 decimals of YOLO coordinates')
    return None


def _clamp(v: float) -> float:
    return 0.0 if v < 0 else 1.0 if v > 1 else v


def _box_row(cls: int, box: list[float], w: int, h: int) -> str | None:
    """``cls cx cy w h`` normalised, clipped to the image (validation lets coordinates pass its edge by a rounding
    error), or None when the box would read back without area."""
    x, y, bw, bh = box
    x0, y0 = (x if x > 0 else 0), (y if y > 0 else 0)
    x1, y1 = x + bw, y + bh
    x1, y1 = (x1 if x1 < w else w), (y1 if y1 < h else h)
    nw, nh = (x1 - x0) / w, (y1 - y0) / h
    # At 1e-5 and more a size survives 6 decimals and the reader's rounding (see _r) for any image size.
    if (nw < 1e-5 or nh < 1e-5) and (_r(float(f'{nw:.6f}'), w) <= 0 or _r(float(f'{nh:.6f}'), h) <= 0):
        return None
    return f'{cls} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} {nw:.6f} {nh:.6f}'


#: ``_box_row``'s format: ``'%.6f' % v`` is ``f'{v:.6f}'`` (one float formatter), ``'%d' % cid`` is ``f'{cid}'``.
_BOX_ROW = '%d %.6f %.6f %.6f %.6f\n'


def _box_rows(
    classes: dict[str, int],
    boxes: list[dict[str, Any]],
    polygons: list[tuple[dict[str, Any], list[Any]]],
    w: int,
    h: int,
) -> str | None:
    """The label text of ``process_plain``'s item: ``_box_row`` of each box, then of each polygon's box, each
    ending in a newline, formatted by one ``%`` over all the values (half the CPU of an f-string per row); None
    when a class is unknown or a box would read back without area (``_box_row`` says which)."""
    values: list[float] = []
    add = values.extend
    get = classes.get
    for ann, box in [(ann, ann['data']) for ann in boxes] + polygons:
        cid = get(ann['classification'])
        if cid is None:
            return None
        x, y, bw, bh = box
        x0, y0 = (x if x > 0 else 0), (y if y > 0 else 0)
        x1, y1 = x + bw, y + bh
        x1, y1 = (x1 if x1 < w else w), (y1 if y1 < h else h)
        nw, nh = (x1 - x0) / w, (y1 - y0) / h
        if (nw < 1e-5 or nh < 1e-5) and _box_row(cid, box, w, h) is None:
            return None
        add((cid, (x0 + x1) / 2 / w, (y0 + y1) / 2 / h, nw, nh))
    return (_BOX_ROW * (len(values) // 5)) % tuple(values)


def _segment_row(item: Item, obj: Obj, cls: int, box: list[float]) -> str | None:
    """One polygon row for the object: its polygons and the outer contours of its masks joined into one ring
    (``join_rings``), or the 4 corners of its box; None when even the box vanishes at 6 decimals."""
    w, h = item.width, item.height
    rings = [ann['data'] for ann in obj.polygons]
    for ann in obj.masks:
        contours, holes = mask_contours(bitmap_from_runs(obj.runs(ann), w, h), w, h)
        if holes:
            item.loss(ann['id'], 'segmentation', 'mask_hole_dropped')
        if contours:
            rings += contours
        else:  # single pixels and 1-pixel lines have no contour of 3+ points: the mask's pixel box
            bx, by, mw, mh, _ = runs_bbox(obj.runs(ann), w)
            rings.append([[bx, by], [bx + mw, by], [bx + mw, by + mh], [bx, by + mh]])
    if len(rings) > 1:
        item.changed('polygon', 'parts_joined', len(obj.polygons))
        item.changed('segmentation', 'parts_joined', len(obj.masks))
    for ring in [join_rings(rings)] if rings else []:
        row = _polygon_fields(ring, w, h)
        if row is not None:
            return f'{cls} {row}'
    x, y, bw, bh = box
    row = _polygon_fields([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]], w, h)
    return None if row is None else f'{cls} {row}'


def _polygon_fields(ring: Sequence[Sequence[float]], w: int, h: int) -> str | None:
    """``x1 y1 x2 y2 ...`` normalised and clipped, or None when the polygon would read back with fewer than 3
    distinct points or no area (a polygon smaller than the 6 decimals can tell apart)."""
    xs = [f'{_clamp(p[0] / w):.6f}' for p in ring]
    ys = [f'{_clamp(p[1] / h):.6f}' for p in ring]
    back = {(_r(float(x), w), _r(float(y), h)) for x, y in zip(xs, ys, strict=True)}
    if len(back) < 3 or len({p[0] for p in back}) < 2 or len({p[1] for p in back}) < 2:
        return None
    return ' '.join(f'{x} {y}' for x, y in zip(xs, ys, strict=True))


def _r(v: float, dim: int) -> float:
    """Pixel coordinate from a 6-decimal normalised one, rounded to the precision that carries (``dim * 1e-6``),
    so a DM integer coordinate comes back as that integer."""
    return round(v * dim, max(0, 6 - len(str(dim))))


#: How far past the image edge (normalised) a coordinate may land and still be the edge: files written with
#: 3 to 5 decimals (supervision writes 5) put a box on the border up to 0.5e-3 past it.
_EDGE = 1e-3


def _snap(v: float) -> float:
    """A normalised coordinate just outside ``[0, 1]`` from rounding, put on the edge; others unchanged."""
    if -_EDGE <= v < 0:
        return 0.0
    if 1 < v <= 1 + _EDGE:
        return 1.0
    return v


def _box(values: list[float], w: int, h: int) -> list[float]:
    """DM ``[x, y, w, h]`` of a normalised ``cx cy w h`` row, edges within rounding of the border snapped to it."""
    cx, cy, bw, bh = values
    x0, y0, x1, y1 = _snap(cx - bw / 2), _snap(cy - bh / 2), _snap(cx + bw / 2), _snap(cy + bh / 2)
    if x1 - x0 == bw and y1 - y0 == bh:  # nothing snapped: the width as written
        return [_r(x0, w), _r(y0, h), _r(bw, w), _r(bh, h)]
    return [_r(x0, w), _r(y0, h), _r(x1 - x0, w), _r(y1 - y0, h)]


def _id_range(names: dict[int, str]) -> str:
    ids = sorted(names)
    if not ids:
        return 'none'
    return f'0-{ids[-1]}' if ids == list(range(len(ids))) else ', '.join(map(str, ids))


def _ext(name: str | None) -> str:
    return os.path.splitext(name or '')[1]


# ---------------------------------------------------------------- reading


class YOLOReader(Reader):
    def __init__(
        self, root: str, categorized: bool, names: list[str] | None, links_into: tuple[str, ...] = ()
    ):
        self.root = root
        if not os.path.isdir(root):
            raise FileNotFoundError(f'dataset root {root} does not exist')
        self.dataset = DatasetRoot(root, links_into)
        self.config_problems: list[ProblemRecord] = []
        config = self._config(explicit_names=names is not None)
        if names is not None:
            self.names = dict(enumerate(names))
        else:
            found = None
            if config:
                try:
                    found = class_names(self._config_path, config)
                except DataYamlError as exc:
                    raise ConversionError([exc.problem]) from None
            if found is None and os.path.isfile(os.path.join(root, 'classes.txt')):
                with open(os.path.join(root, 'classes.txt'), encoding='utf-8') as fh:
                    found = dict(enumerate(line.strip() for line in fh if line.strip()))
            if found is None:
                raise FileNotFoundError(
                    f'no class names: {root} has no data.yaml/dataset.yaml names or classes.txt'
                )
            self.names = found
        shape = config.get('kpt_shape')
        self.kpt_shape = tuple(shape) if isinstance(shape, list) and len(shape) == 2 else None
        kn = config.get('keypoint_names') or config.get('kpt_names')
        if isinstance(kn, dict):  # Ultralytics: {class_id: [names]}
            kn = next(iter(kn.values()), None)
        if kn is None and self.kpt_shape and self.kpt_shape[0] == 17:
            kn = list(PERSON17)
        self.kpt_names = [str(n) for n in kn] if isinstance(kn, list) else []
        self.dirs = self._split_dirs(config, categorized)

    def _config(self, explicit_names: bool) -> dict[str, Any]:
        """The dataset's ``data.yaml`` (or ``dataset.yaml``/``data.yml``). One that cannot be parsed is a
        ``ConversionError`` (``malformed_yaml``, with the line), unless ``class_names=`` was given: explicit names
        win over a broken file, which is then not used at all (split paths and ``kpt_shape`` come from the
        layout)."""
        self._config_path = ''
        for name in ('data.yaml', 'dataset.yaml', 'data.yml'):
            path = os.path.join(self.root, name)
            if os.path.isfile(path):
                self._config_path = path
                if not self.dataset.contains(path):
                    message = self.dataset.outside_message(name, path)
                    raise ConversionError([ProblemRecord(ProblemKind.UNSAFE_PATH, path, message)])
                try:
                    return load_data_yaml(path)
                except DataYamlError as exc:
                    if explicit_names:
                        return {}
                    raise ConversionError([exc.problem]) from None
        return {}

    def _split_dirs(self, config: dict[str, Any], categorized: bool) -> dict[str | None, tuple[str, str]]:
        root = self.root
        if not categorized:
            for name in ('images', 'img', 'imgs'):
                images = os.path.join(root, name)
                if os.path.isdir(images):
                    if not has_files(images, IMAGE_EXTENSIONS) and any(
                        os.path.isdir(os.path.join(images, s)) for s in ('train', 'val', 'valid')
                    ):
                        raise FileNotFoundError(f'{images} holds split folders; pass is_categorized=True')
                    return {None: (images, os.path.join(root, 'labels'))}
            raise FileNotFoundError(f'flat YOLO dataset needs an images/ directory in {root}')
        found: dict[str | None, tuple[str, str]] = {}
        for key in ('train', 'val', 'valid', 'validation', 'test'):
            split = dm_split(key)
            candidates = self._config_split(config, key)
            candidates += [os.path.join(root, 'images', key), os.path.join(root, key, 'images')]
            for images in candidates:
                images = os.path.normpath(images)
                if split not in found and os.path.isdir(images) and has_files(images, IMAGE_EXTENSIONS):
                    head, tail = os.path.split(images)
                    if tail == 'images':
                        labels = os.path.join(head, 'labels')
                    else:
                        labels = images.replace(os.sep + 'images' + os.sep, os.sep + 'labels' + os.sep)
                    found[split] = (images, labels)
        if 'train' not in found:
            raise FileNotFoundError(
                f'categorized YOLO dataset needs a train split (images/train or train/images) in {root}'
            )
        return {s: found[s] for s in ('train', 'valid', 'test') if s in found}

    def _config_split(self, config: dict[str, Any], key: str) -> list[str]:
        """The images folder ``data.yaml`` names for split ``key`` (relative to the dataset root), when it stays
        inside the dataset. Like Ultralytics, a ``../x`` that does not exist is tried as ``x`` (Roboflow writes
        ``train: ../train/images``). A path leading outside is an ``unsafe_path`` problem and is not used."""
        value = config.get(key)
        if not isinstance(value, str) or not value.strip():
            return []
        tries = [value]
        if value.startswith('../'):
            tries.append(value[3:])
        for text in tries:
            path = os.path.normpath(os.path.join(self.root, text))
            if path_text_problem(text) is None and self.dataset.contains(path) and os.path.isdir(path):
                return [path]
        reason = path_text_problem(value)
        path = os.path.normpath(os.path.join(self.root, value))
        if reason is None and not self.dataset.contains(path):
            reason = f'leads outside the dataset root (to {os.path.realpath(path)})'
        if reason is not None:
            message = f'{key}: {value!r} {reason}; the split is looked for in the dataset layout instead'
            self.config_problems.append(
                ProblemRecord(ProblemKind.UNSAFE_PATH, self._config_path, message, whole_item=True)
            )
        return []

    def splits(self) -> list[str | None]:
        return list(self.dirs)

    def refs(self, split: str | None) -> RefStream:
        """Images and label files joined by stem, in stem order: both listings go through one external sort
        keyed ``[stem, 0, image name]`` / ``[stem, 1, '']``, so an item's entries are adjacent."""
        images, labels = self.dirs[split]
        entries = ExternalSort(self.scratch)
        for name in scan_files(images, IMAGE_EXTENSIONS):
            entries.add([os.path.splitext(name)[0], 0, name], size=2 * len(name) + 120)
        for name in scan_files(labels, ('.txt',)):
            entries.add([name[:-4], 1, ''], size=len(name) + 120)

        def joined() -> Iterator[tuple[Any, ...]]:
            for stem, group in groupby(entries.sorted_keys(), key=itemgetter(0)):
                image_name, has_label = None, False
                for _, kind, name in group:
                    if kind == 0:
                        image_name = name  # several images with one stem: the last name in sort order
                    else:
                        has_label = True
                yield (split, images, labels, stem, image_name, has_label)

        problems = [('problem', split, p) for p in self.config_problems] if split == self.splits()[0] else []

        def refs() -> Iterator[tuple[Any, ...]]:
            yield from problems
            yield from joined()

        count = sum(1 for _ in groupby(entries.sorted_keys(), key=itemgetter(0)))
        return RefStream(len(problems) + count, refs, [entries.close])

    def load(self, ref: tuple[Any, ...]) -> Item:
        """``ref``: ``('problem', split, ProblemRecord)`` or ``(split, images, labels, stem, image name, has label)``."""
        if ref[0] == 'problem':
            _, split, problem = ref
            item = Item(split=split, stem=os.path.basename(problem.file), source=problem.file)
            item.problems.append(problem._replace(item=item.key))
            return item
        split, images, labels, stem, image_name, has_label = ref
        label_path = os.path.join(labels, stem + '.txt')
        item = Item(split=split, stem=stem, source=label_path if has_label else os.path.join(images, stem))
        image = os.path.join(images, image_name) if image_name else None
        if not attach_image(item, image, f'label {stem}.txt', self.dataset):
            return item
        if not has_label:
            return item  # a background image
        if outside(item, self.dataset, label_path, f'{stem}.txt'):
            return item
        try:
            with open(label_path, encoding='utf-8') as fh:
                lines = fh.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            item.problem(ProblemKind.MALFORMED_LABEL, f'cannot read label file: {exc}', whole=True)
            return item
        w, h = item.width, item.height
        for lineno, line in enumerate(lines, start=1):
            tokens = line.split()
            if not tokens:
                continue
            try:
                cls = int(tokens[0])
                values = [float(t) for t in tokens[1:]]
            except ValueError:
                item.problem(ProblemKind.MALFORMED_LABEL, f'not numbers: {line!r}', line=lineno)
                continue
            ann_id = stable_id(stem, lineno)
            name = self.names.get(cls)
            if name is None:
                item.problem(
                    ProblemKind.UNKNOWN_CLASS,
                    f'class id {cls} has no name (names has ids {_id_range(self.names)})',
                    line=lineno,
                    annotation_id=ann_id,
                )
                continue
            k = len(values)
            if self.kpt_shape:
                nk, ndim = self.kpt_shape
                if k != 4 + nk * ndim:
                    item.problem(
                        ProblemKind.MALFORMED_LABEL,
                        f'pose row needs {4 + nk * ndim} values after the class, got {k}',
                        line=lineno,
                    )
                    continue
                if ndim == 3 and not all(v in (0, 1, 2) for v in values[6::3]):  # NaN is in no tuple
                    bad = next(v for v in values[6::3] if v not in (0, 1, 2))
                    item.problem(
                        ProblemKind.INVALID_KEYPOINT,
                        f'keypoint visibility {bad!r} is not 0, 1 or 2',
                        line=lineno,
                        annotation_id=ann_id,
                    )
                    continue
                if not all(map(math.isfinite, values)):
                    item.problem(
                        ProblemKind.MALFORMED_LABEL, f'not finite numbers: {line!r}'[:300], line=lineno
                    )
                    continue
                box = _box(values[:4], w, h)
                joints = []
                for j in range(nk):
                    chunk = values[4 + j * ndim : 4 + (j + 1) * ndim]
                    x, y = _r(_snap(chunk[0]), w), _r(_snap(chunk[1]), h)
                    joints.append((x, y, int(chunk[2]) if ndim == 3 else 2))
                kps, group = group_annotations(stem, lineno, name, self.kpt_names, joints, box, ndim)
                if not kps:  # an object without joints (a box written into a pose dataset)
                    item.ann.setdefault('bounding_box', []).append(
                        {'id': ann_id, 'classification': name, 'attrs': [], 'data': box, '_line': lineno}
                    )
                    continue
                for kp in kps:
                    kp['_line'] = lineno
                item.ann.setdefault('keypoint', []).extend(kps)
                item.ann.setdefault('group', []).append(group)
            elif k == 4:
                data = _box(values, w, h)
                item.ann.setdefault('bounding_box', []).append(
                    {'id': ann_id, 'classification': name, 'attrs': [], 'data': data, '_line': lineno}
                )
            elif k >= 6 and k % 2 == 0:
                pts = [[_r(_snap(values[i]), w), _r(_snap(values[i + 1]), h)] for i in range(0, k, 2)]
                item.ann.setdefault('polygon', []).append(
                    {'id': ann_id, 'classification': name, 'attrs': [], 'data': pts, '_line': lineno}
                )
            else:
                item.problem(
                    ProblemKind.MALFORMED_LABEL,
                    f'{k} values after the class id: neither a box (4) nor a polygon (6+, even)',
                    line=lineno,
                )
        return item
