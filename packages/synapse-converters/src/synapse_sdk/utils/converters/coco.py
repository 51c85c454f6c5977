"""COCO reading and writing.

Written layout::

    annotations/instances_<train|val|test>.json     (flat datasets: annotations/instances.json)
    images/<train|val|test>/<file>                   (flat: images/<file>)

Boxes become ``bbox`` annotations (``segmentation: []``), polygons ``segmentation`` polygons, masks compressed RLE
(``iscrowd`` from an ``iscrowd`` attribute, else 0), keypoint groups ``keypoints`` on a category that lists the
joint names (COCO Person-17 with its skeleton when the joints are those). Category ids start at 1, in
``class_names`` order or sorted. DM attributes travel in a CVAT-style ``attributes`` object.

The annotation file is streamed: per split, image and annotation records are appended to spool files as items
are converted, and the final JSON is assembled from them at the end, so memory does not grow with the dataset.
Image and annotation ids are counters; no per-image table is kept.

Reading streams too, although a COCO file is one JSON document: ``jsonstream.iter_object`` yields its array
elements one at a time, and ``_Scan`` groups annotations under their images with external sorts (see there), so
memory follows one image's annotations plus the category table instead of the whole file.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, groupby
from json.encoder import encode_basestring
from typing import IO, Any, TypeAlias, TypedDict

from .dm import stable_id
from .engine import NOT_PLAIN, Reader, RefStream, WriteContext, Writer
from .extsort import ExternalSort
from .formats import dm_split, format_split
from .items import Item, plain_shapes
from .jsonstream import JSONStreamError, iter_object
from .keypoints import PERSON17, PERSON17_SKELETON, group_annotations, joint_vector, keypoint_order
from .layout import attach_image, find_image
from .masks import MaskError, bitmap_to_runs, decode_coco_rle, polygon_runs, rle_from_runs, runs_bbox
from .objects import Obj, item_objects, union_runs
from .output import ensure_dir, place_image
from .paths import DatasetRoot, path_text_problem
from .problems import ProblemKind, ProblemRecord

__all__ = ['COCOReader', 'COCOWriter']

_Payload: TypeAlias = tuple[str, str, tuple[int, ...]]
"""What ``process`` hands ``consume``: the image record and the item's annotations as JSON text without their
opening brace (``consume`` numbers them), the annotations one per line (JSON text holds no raw newline), and the
categories of its keypoint annotations (they list the joints). A few objects per item, not one per annotation:
this crosses from the workers to the main process, whose CPU per item is what an export's speed follows."""
_Category: TypeAlias = tuple[str, list[str]]  # (name, joint names)
_IdKey: TypeAlias = tuple[int, Any]  # see _id_key


class _Spool(TypedDict):
    """One split's spooled ``images`` and ``annotations`` arrays and the last ids given in them."""

    images: IO[str]
    annotations: IO[str]
    image_id: int
    ann_id: int


def _shoelace(points: Sequence[Sequence[float]]) -> float:
    n = len(points)
    s = 0.0
    for i in range(n):
        x0, y0 = points[i]
        x1, y1 = points[(i + 1) % n]
        s += x0 * y1 - x1 * y0
    return abs(s) / 2


def _attributes(attrs: list[dict[str, Any]]) -> dict[str, Any]:
    return {a['name']: a.get('value') for a in attrs or () if a.get('name') and a['name'] != 'iscrowd'}


_SEP = ',\n'

#: ``json.dumps(value, ensure_ascii=False)`` without building an encoder per call (``dumps`` does, for any
#: non-default option: a third of its time on a small record).
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _numbers(values: list[Any]) -> str | None:
    """``json.dumps`` of a list of ints and finite floats (not bools: ``repr`` differs), None for anything
    else. A few C-level passes, no Python step per value."""
    if not set(map(type, values)) <= _NUMBER_TYPES:
        return None
    try:
        if not math.isfinite(math.fsum(values)):  # a nan or an infinity (JSON spells them differently)
            return None
    except (OverflowError, ValueError):  # huge values, or infinities of both signs: left to the encoder
        return None
    return '[' + ', '.join(map(repr, values)) + ']'


_NUMBER_TYPES = frozenset((int, float))


def _floats(values: Iterable[Any]) -> str:
    """``json.dumps([float(v) for v in values])`` for finite values (coordinates: validated, ``items``)."""
    return '[' + ', '.join(map(repr, map(float, values))) + ']'


def _plain_rest(ann: dict[str, Any]) -> str:
    """The end of a standalone annotation's JSON text after ``"iscrowd": ``, as ``COCOWriter._object`` ends it."""
    attrs_list: list[dict[str, Any]] = ann.get('attrs') or []  # validated: a list of objects
    if not attrs_list:
        return '0}'
    crowd = any(a.get('name') == 'iscrowd' and a.get('value') for a in attrs_list)
    attrs = _attributes(attrs_list)
    return f'{int(crowd)}, "attributes": {_encode(attrs)}}}' if attrs else f'{int(crowd)}}}'


def _value(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``, byte for byte: finite floats, ints and (nested) lists of them
    formatted here as the encoder does (``repr`` of each), anything else by the encoder. Formatting COCO's
    annotations this way instead of ``json.dumps`` per annotation took a third off COCO's time per item (the
    encoder's setup per call is most of its cost on a small record)."""
    t = type(value)
    if t is int or (t is float and math.isfinite(value)):
        return repr(value)
    if t is list:
        if not value:
            return '[]'
        if type(value[0]) is list:  # polygon parts
            parts = [_numbers(v) if type(v) is list else None for v in value]
            if None not in parts:
                return '[' + ', '.join(parts) + ']'  # type: ignore[arg-type]  # None is not in it
        else:
            text = _numbers(value)
            if text is not None:
                return text
    return _encode(value)


class COCOWriter(Writer):
    """One COCO annotation per object (``objects``): several polygon parts are one ``segmentation`` list, joints a
    ``keypoints`` vector on the same annotation, masks compressed RLE (a mask and polygons of one object: the RLE
    of their union)."""

    main_process_state = ('spools', 'pose_ids')
    staging: str  # set by begin(): the main process's state for consume/finish
    table: dict[str, dict[str, int]]

    def __init__(
        self, pose_class: str = 'person', keypoint_names: Iterable[str] | None = None, **options: Any
    ):
        super().__init__(**options)
        self.pose_class = pose_class
        # An explicit empty list means no joints (one pass, every keypoint reported lost), not "take them from
        # the data": that is None. Turning [] into None made every DatasetWriter('coco', class_names=...,
        # keypoint_names=[]) spool and convert each record twice.
        self.keypoint_names = list(keypoint_names) if keypoint_names is not None else None
        self.spools: dict[str | None, _Spool] = {}
        self.pose_ids: set[int] = set()  # categories of written keypoint annotations: they list the joints

    def needs_scan(self, class_names: list[str] | None) -> bool:
        # The categories (and the joint order of keypoint vectors) must be known before the first annotation.
        return class_names is None or self.keypoint_names is None

    def build_table(
        self,
        collected: dict[str, set[str]],
        counts: dict[str, int],
        class_names: list[str] | None,
        tally: dict[str, int] | None = None,
    ) -> dict[str, dict[str, int]]:
        pose = collected.get('pose') or set()
        names = list(class_names or sorted((collected.get('classes') or set()) | pose))
        for extra in sorted(pose - set(names)):
            names.append(extra)
        joints = keypoint_order(collected.get('joints') or set(), self.keypoint_names)
        return {
            'classes': {n: i + 1 for i, n in enumerate(names)},
            'keypoints': {n: i for i, n in enumerate(joints)},
        }

    def process(self, item: Item, ctx: WriteContext) -> _Payload | None:
        annotations: list[tuple[int | None, str]] = []
        order = list(ctx.table['keypoints']) if ctx.table is not None else self.keypoint_names
        for obj in item_objects(item, self.pose_class, 'COCO'):
            if ctx.table is None:
                ctx.class_id('classes', obj.cls)
                if obj.keypoints:
                    ctx.class_id('pose', obj.cls)
                    for kp in obj.keypoints:
                        ctx.class_id('joints', kp['classification'])
            annotation = self._object(item, obj, ctx, order)
            if annotation is not None:
                annotations.append(annotation)
        if ctx.staging is None:
            return None
        poses = tuple(pose for pose, _ in annotations if pose is not None)
        return self._image(item, ctx), '\n'.join([text for _, text in annotations]), poses

    def process_plain(self, item: Item, ctx: WriteContext, class_names: frozenset[str] | None) -> Any:
        """An item of standalone boxes and polygons (``plain_shapes``): each one annotation, in the order of
        ``item_objects`` (boxes, then polygons), formatted as ``_object`` formats it, counted as it counts.
        Half the CPU of ``validate_item`` + ``process`` for such an item."""
        table = ctx.table
        if table is None or ctx.staging is None:
            return NOT_PLAIN
        shapes = plain_shapes(item, class_names)
        if shapes is None:
            return NOT_PLAIN
        boxes, polygons = shapes
        classes = table['classes']
        annotations: list[str] = []
        try:
            for ann in boxes:
                cid = classes.get(ann['classification'])
                if cid is None:
                    return NOT_PLAIN  # reported there
                box = ann['data']
                annotations.append(
                    f'"category_id": {cid}, "bbox": {_floats(box)}, "area": {float(box[2] * box[3])!r}, '
                    f'"segmentation": [], "iscrowd": {_plain_rest(ann)}'
                )
            for ann, box in polygons:
                cid = classes.get(ann['classification'])
                if cid is None:
                    return NOT_PLAIN
                pts = ann['data']
                segmentation = _floats(chain.from_iterable(pts))  # validated: [x, y] points
                annotations.append(
                    f'"category_id": {cid}, "bbox": {_floats(box)}, "area": {_shoelace(pts)!r}, '
                    f'"segmentation": [{segmentation}], "iscrowd": {_plain_rest(ann)}'
                )
        except RecursionError:  # attribute values nested too deep to encode: reported there
            return NOT_PLAIN
        counts = ctx.counts
        if boxes:
            counts['bounding_box'] = len(boxes)
        if polygons:
            counts['polygon'] = len(polygons)
        return self._image(item, ctx), '\n'.join(annotations), ()

    @staticmethod
    def _image(item: Item, ctx: WriteContext) -> str:
        """The item's image placed in the output; its image record as JSON text without the opening brace."""
        assert ctx.staging is not None  # only the write pass writes
        if item.image_path and item.image_name is not None:  # the name is set with the path (attach_image)
            img_dir = ensure_dir(
                os.path.join(ctx.staging, 'images', format_split(item.split) if item.split else '')
            )
            place_image(item.image_path, os.path.join(img_dir, item.image_name), ctx.options['image_mode'])
        # Serialised here (in a worker, when there are workers): the main process only numbers them. Formatted
        # as the encoder formats {'file_name': ..., 'width': ..., 'height': ...} (its call costs more).
        name = 'null' if item.image_name is None else encode_basestring(item.image_name)
        if type(item.width) is int and type(item.height) is int:
            return f'"file_name": {name}, "width": {item.width}, "height": {item.height}}}'
        return _encode({'file_name': item.image_name, 'width': item.width, 'height': item.height})[1:]

    def _object(
        self, item: Item, obj: Obj, ctx: WriteContext, order: list[str] | None
    ) -> tuple[int | None, str] | None:
        """The object's annotation: ``(its category if it carries keypoints, else None, its JSON text without
        the opening brace)``; None when it is not written (the reason recorded) or in the scan of convert()."""
        w, h = item.width, item.height
        cid = ctx.class_id('classes', obj.cls)
        if cid is None:
            item.problem(
                ProblemKind.UNKNOWN_CLASS, f'class {obj.cls!r} is not in class_names', annotation_id=obj.key
            )
            return None
        box = obj.box()
        if box is None:  # only a group of keypoints can span no area
            for kp in obj.keypoints:
                item.loss(kp['id'], 'keypoint', 'degenerate_pose_box', f'group {obj.key} spans no area')
            return None
        if obj.masks:
            item.changed('polygon', 'as_mask', len(obj.polygons))
        if ctx.staging is None:  # the scan of convert(): what is carried and lost, no record to serialise
            self._count(item, obj, ctx, order)
            return None
        area = float(box[2] * box[3])
        if obj.masks:
            parts = [obj.runs(a) for a in obj.masks] + [polygon_runs(a['data'], w, h) for a in obj.polygons]
            runs = parts[0] if len(parts) == 1 else union_runs(parts)
            segmentation = _encode(rle_from_runs(runs, w, h))
            area = float(sum(n for _, n in runs))
            if not obj.boxes:
                bx, by, bw, bh, _ = runs_bbox(runs, w)
                box = [bx, by, bw, bh]
        elif obj.polygons:
            segmentation = (
                '[' + ', '.join(_floats(v for p in a['data'] for v in p[:2]) for a in obj.polygons) + ']'
            )
            area = sum(_shoelace(a['data']) for a in obj.polygons)
        else:
            segmentation = '[]'
        if obj.tool != 'group':  # one annotation (most objects): counted, attributes read the short way
            tool, ann = obj.members()[0]
            attrs_list: list[dict[str, Any]] = ann.get('attrs') or []  # validated: a list of objects
            crowd = any(a.get('name') == 'iscrowd' and a.get('value') for a in attrs_list)
            ctx.counts[tool] = ctx.counts.get(tool, 0) + 1
            text = (
                f'"category_id": {cid}, "bbox": {_floats(box)}, "area": {float(area)!r}, '
                f'"segmentation": {segmentation}, "iscrowd": {int(crowd)}'
            )
            attrs = _attributes(attrs_list) if attrs_list else None
            if attrs:
                text += f', "attributes": {_encode(attrs)}'
            return None, text + '}'
        crowd = any(
            a.get('name') == 'iscrowd' and a.get('value')
            for _, m in obj.members()
            for a in m.get('attrs') or ()
        )
        # The annotation as JSON text, formatted here as ``json.dumps`` would (see ``_value``).
        text = (
            f'"category_id": {cid}, "bbox": {_floats(box)}, "area": {float(area)!r}, '
            f'"segmentation": {segmentation}, "iscrowd": {int(crowd)}'
        )
        pose = None
        if obj.keypoints and order:  # no joints (keypoint_names=[]): written as its box, the keypoints lost
            joints, placed = joint_vector(item, obj, order)
            flat: list[float] = []
            for x, y, v in joints:
                flat += [float(x), float(y), v] if v else [0.0, 0.0, 0]
            text += f', "keypoints": {_value(flat)}, "num_keypoints": {sum(1 for _, _, v in joints if v > 0)}'
            pose = cid
            self._count(item, obj, ctx, None, placed)
        else:
            self._count(item, obj, ctx, order)
        attrs = _attributes(obj.attrs)
        if attrs:
            text += f', "attributes": {_encode(attrs)}'
        return pose, text + '}'

    @staticmethod
    def _count(
        item: Item, obj: Obj, ctx: WriteContext, order: list[str] | None, placed: int | None = None
    ) -> None:
        """Count the object's annotations carried (``annotations_written``); with a joint ``order`` and no
        ``placed`` count, place the joints to count them (and report duplicate or unknown ones)."""
        if obj.keypoints:
            if placed is None:  # without an order (convert() without keypoint_names) every joint counts
                placed = len(obj.keypoints) if order is None else joint_vector(item, obj, order)[1]
            ctx.count('keypoint', placed)
        for tool, _ in obj.members():
            if tool != 'keypoint':
                ctx.count(tool)

    # -- main-process side: streaming the annotation file --------------------------------------------------
    def begin(self, staging: str, table: dict[str, dict[str, int]], output_dir: str) -> None:
        self.table = table
        self.staging = staging
        os.makedirs(os.path.join(staging, 'annotations'), exist_ok=True)
        os.makedirs(os.path.join(staging, '.spool'), exist_ok=True)

    def _spool(self, split: str | None) -> _Spool:
        if split not in self.spools:
            base = os.path.join(self.staging, '.spool', split or 'all')
            self.spools[split] = {
                'images': open(base + '.images', 'w', encoding='utf-8'),  # noqa: SIM115
                'annotations': open(base + '.annotations', 'w', encoding='utf-8'),  # noqa: SIM115
                'image_id': 0,
                'ann_id': 0,
            }
        return self.spools[split]

    def consume(self, split: str | None, stem: str, payload: _Payload) -> None:
        """Append the item's image and annotation records, numbered (``payload``: their JSON without the opening
        brace, from ``process``)."""
        image, annotations, poses = payload
        spool = self._spool(split)
        image_id = spool['image_id'] = spool['image_id'] + 1
        spool['images'].write(f'{_SEP if image_id > 1 else ""}{{"id": {image_id}, {image}')
        if poses:
            self.pose_ids.update(poses)
        if not annotations:
            return
        first = spool['ann_id'] + 1
        rests = annotations.split('\n')
        spool['ann_id'] += len(rests)
        text = _SEP.join(
            [
                f'{{"id": {ann_id}, "image_id": {image_id}, {rest}'
                for ann_id, rest in zip(range(first, first + len(rests)), rests, strict=True)
            ]
        )
        spool['annotations'].write(f'{_SEP}{text}' if first > 1 else text)

    def finish(self, staging: str, splits: list[str | None]) -> None:
        categories: list[dict[str, Any]] = []
        joints = list(self.table['keypoints'])
        for name, cid in self.table['classes'].items():
            cat: dict[str, Any] = {'id': cid, 'name': name, 'supercategory': name}
            if cid in self.pose_ids:
                cat['keypoints'] = joints
                cat['skeleton'] = PERSON17_SKELETON if joints == list(PERSON17) else []
            categories.append(cat)
        for split in splits:
            spool = self._spool(split)
            spool['images'].close()
            spool['annotations'].close()
            name = f'instances_{format_split(split)}.json' if split else 'instances.json'
            base = os.path.join(staging, '.spool', split or 'all')
            with open(os.path.join(staging, 'annotations', name), 'w', encoding='utf-8') as out:
                head = {
                    'info': {'description': 'Converted by synapse-converters'},
                    'licenses': [],
                    'categories': categories,
                }
                out.write(json.dumps(head, ensure_ascii=False)[:-1] + ',\n"images": [\n')
                with open(base + '.images', encoding='utf-8') as fh:
                    shutil.copyfileobj(fh, out)
                out.write('\n],\n"annotations": [\n')
                with open(base + '.annotations', encoding='utf-8') as fh:
                    shutil.copyfileobj(fh, out)
                out.write('\n]}\n')
        shutil.rmtree(os.path.join(staging, '.spool'))


# ---------------------------------------------------------------- reading

_FLAT_FILES = (
    'annotations/instances.json',
    'annotations/instances_default.json',
    'annotations.json',
    '_annotations.coco.json',
    'instances.json',
)


class COCOReader(Reader):
    """Finds the annotation file(s) of a COCO dataset: ``annotations/instances_<split>.json`` with images in
    ``images/<split>/``, ``<split>/``, ``<split>2017/`` or ``images/``; per-split folders holding
    ``annotations.json`` or ``_annotations.coco.json`` (Roboflow); flat ``annotations/instances.json``,
    ``annotations.json`` and friends with images in ``images/`` or beside the file."""

    def __init__(self, root: str, categorized: bool, links_into: tuple[str, ...] = ()):
        self.root = root
        if not os.path.isdir(root):
            raise FileNotFoundError(f'dataset root {root} does not exist')
        self.dataset = DatasetRoot(root, links_into)
        self.files: dict[str | None, tuple[str, list[str]]] = {}
        if not categorized:
            for rel in _FLAT_FILES:
                path = os.path.join(root, rel)
                if os.path.isfile(path):
                    self.files[None] = (path, [os.path.join(root, 'images'), os.path.dirname(path), root])
                    break
            else:
                raise FileNotFoundError(
                    f'no COCO annotation file in {root} (looked for {", ".join(_FLAT_FILES)})'
                )
            return
        ann_dir = os.path.join(root, 'annotations')
        for key in ('train', 'val', 'valid', 'validation', 'test'):
            split = dm_split(key)
            if split in self.files:
                continue
            candidates = [
                (os.path.join(ann_dir, f'instances_{key}.json'), key),
                (os.path.join(ann_dir, f'instances_{key}2017.json'), key + '2017'),
                (os.path.join(root, key, 'annotations.json'), None),
                (os.path.join(root, key, '_annotations.coco.json'), None),
            ]
            for path, img_key in candidates:
                if os.path.isfile(path):
                    if img_key:
                        dirs = [
                            os.path.join(root, 'images', img_key),
                            os.path.join(root, img_key),
                            os.path.join(root, 'images'),
                        ]
                    else:
                        dirs = [os.path.join(root, key, 'images'), os.path.join(root, key)]
                    self.files[split] = (path, dirs)
                    break
        if 'train' not in self.files:
            raise FileNotFoundError(
                f'categorized COCO dataset needs annotations/instances_train.json (or '
                f'train/annotations.json) in {root}'
            )
        self.files = {s: self.files[s] for s in ('train', 'valid', 'test') if s in self.files}

    def splits(self) -> list[str | None]:
        return list(self.files)

    def refs(self, split: str | None) -> RefStream:
        path, dirs = self.files[split]

        def problem_ref(record: dict[str, Any]) -> tuple[str, str | None, ProblemRecord]:
            fields = {**record, 'kind': ProblemKind(record['kind']), 'file': path, 'whole_item': True}
            return ('problem', split, ProblemRecord(**fields))

        if not self.dataset.contains(path):
            message = self.dataset.outside_message(os.path.basename(path), path)
            return RefStream.of([problem_ref(_problem(ProblemKind.UNSAFE_PATH, message))])
        scan = _Scan(self.scratch)
        try:
            with open(path, encoding='utf-8-sig') as fh:
                for event in iter_object(fh, _SECTIONS):
                    scan.feed(*event)
        except JSONStreamError as exc:
            scan.close()
            return RefStream.of([problem_ref(_problem(ProblemKind.MALFORMED_JSON, exc.msg, line=exc.lineno))])
        except UnicodeDecodeError as exc:
            scan.close()
            return RefStream.of([problem_ref(_problem(ProblemKind.MALFORMED_JSON, f'not UTF-8: {exc}'))])
        if not scan.is_coco():
            scan.close()
            message = 'a COCO file needs "images" and "categories" lists'
            return RefStream.of([problem_ref(_problem(ProblemKind.MALFORMED_JSON, message))])
        scan.join()
        cats = scan.cats

        def make() -> Iterator[tuple[Any, ...]]:
            for record in scan.cat_problems:
                yield problem_ref(record)
            for sorter in (scan.img_problems, scan.ann_problems):
                for _, record in sorter:
                    yield problem_ref(record)
            for file_name, anns in scan.items():
                anns = [{**ann, '_category': _category(cats, ann.get('category_id'))} for ann in anns]
                yield ('image', split, path, dirs, file_name, anns)

        total = len(scan.cat_problems) + len(scan.img_problems) + len(scan.ann_problems) + len(scan)
        return RefStream(total, make, [scan.close])

    def load(self, ref: tuple[Any, ...]) -> Item:
        """``ref``: ``('problem', split, ProblemRecord)`` or ``('image', split, path, dirs, file_name, annotations)``."""
        if ref[0] == 'problem':
            _, split, prob = ref
            item = Item(split=split, stem=prob.item or os.path.basename(prob.file), source=prob.file)
            item.problems.append(prob._replace(item=item.key))
            return item
        _, split, path, dirs, file_name, anns = ref
        stem = os.path.splitext(os.path.basename(file_name))[0]
        item = Item(split=split, stem=stem, source=path)
        unsafe = path_text_problem(file_name)
        if unsafe is not None:
            image_id = anns[0].get('image_id') if anns else None
            of = f' of image {image_id}' if image_id is not None else ''
            item.problem(ProblemKind.UNSAFE_PATH, f'file_name {file_name!r}{of} {unsafe}', whole=True)
            return item
        image_path = next(
            (os.path.join(d, file_name) for d in dirs if os.path.isfile(os.path.join(d, file_name))), None
        )
        if image_path is None:
            image_path = find_image(dirs[0], stem)
        if not attach_image(item, image_path, file_name, self.dataset):
            return item
        for ann in anns:
            self._annotation(item, ann)
        return item

    def _annotation(self, item: Item, ann: dict[str, Any]) -> None:
        """One COCO annotation -> one DM object: a box, a polygon or a mask; or, for several polygon parts or
        keypoints, the member annotations sharing a ``group_id`` plus the ``group`` annotation (class,
        attributes, member ids), so that writing COCO again gives one annotation."""
        ann_id = str(ann['id'])
        cat = ann.get('_category')
        if cat is None:
            item.problem(
                ProblemKind.UNKNOWN_CLASS,
                f'category_id {ann.get("category_id")!r} is not in categories',
                annotation_id=ann_id,
            )
            return
        name, joint_names = cat
        attributes = ann.get('attributes') or {}
        if not isinstance(attributes, dict):
            item.problem(
                ProblemKind.MALFORMED_ANNOTATION,
                f'attributes must be an object, got {attributes!r}',
                annotation_id=ann_id,
            )
            return
        attrs = [{'name': str(k), 'value': v} for k, v in attributes.items()]
        if ann.get('iscrowd'):
            attrs.append({'name': 'iscrowd', 'value': 1})
        w, h = item.width, item.height
        seg = ann.get('segmentation')
        bbox = ann.get('bbox')
        kps = ann.get('keypoints')
        members: list[tuple[str, dict[str, Any]]] = []
        group: dict[str, Any] | None = None
        if isinstance(kps, list) and kps and any(kps[2::3]):
            if len(kps) % 3:
                item.problem(
                    ProblemKind.MALFORMED_ANNOTATION,
                    'keypoints length is not a multiple of 3',
                    annotation_id=ann_id,
                )
                return
            if not all(type(v) in (int, float) and math.isfinite(v) for v in kps) or not all(
                v in (0, 1, 2) for v in kps[2::3]
            ):
                item.problem(
                    ProblemKind.INVALID_KEYPOINT,
                    f'keypoints must be finite x, y, v triples with v 0, 1 or 2, got {kps!r}'[:300],
                    annotation_id=ann_id,
                )
                return
            joints = [(kps[i], kps[i + 1], int(kps[i + 2])) for i in range(0, len(kps), 3)]
            box = list(bbox) if isinstance(bbox, list) and len(bbox) == 4 else None
            points, group = group_annotations(item.stem, ann_id, name, joint_names, joints, box)
            group['attrs'] = list(attrs)
            members += [('keypoint', p) for p in points]
        if isinstance(seg, list) and seg:
            parts = seg if isinstance(seg[0], list) else [seg]
            if group is None and len(parts) > 1:
                gid = stable_id(item.stem, ann_id, 'group')
                group = {'id': gid, 'classification': name, 'attrs': list(attrs), 'data': []}
            for i, part in enumerate(parts):
                if not isinstance(part, list) or len(part) % 2:
                    item.problem(
                        ProblemKind.INVALID_POLYGON,
                        'segmentation polygon needs x, y pairs',
                        annotation_id=ann_id,
                    )
                    return
                pts = [[part[j], part[j + 1]] for j in range(0, len(part), 2)]
                members.append(
                    (
                        'polygon',
                        {
                            'id': ann_id if i == 0 else f'{ann_id}_{i}',
                            'classification': name,
                            'attrs': list(attrs),
                            'data': pts,
                        },
                    )
                )
        elif isinstance(seg, dict):
            try:
                runs = bitmap_to_runs(decode_coco_rle(seg, w, h))
            except MaskError as exc:
                item.problem(ProblemKind.INVALID_MASK, str(exc), annotation_id=ann_id)
                return
            mask = {
                'id': ann_id,
                'classification': name,
                'attrs': attrs,
                'data': runs,
                'encoding': 'dm_rle',
                'isCompressed': True,
                'compressionFormat': 'rle',
            }
            members.append(('segmentation', mask))
        elif group is None:
            members.append(
                ('bounding_box', {'id': ann_id, 'classification': name, 'attrs': attrs, 'data': bbox})
            )
        for tool, member in members:
            if group is not None:
                member['group_id'] = group['id']
                if tool != 'keypoint':
                    group['data'].append(member['id'])
            item.ann.setdefault(tool, []).append(member)
        if group is not None:
            item.ann.setdefault('group', []).append(group)


# ---------------------------------------------------------------- streaming the annotation file

_SECTIONS = frozenset(('categories', 'images', 'annotations'))
_PARSED = 4  # parsed JSON takes about four times the memory of its text: the sorters' size estimate


def _problem(kind: ProblemKind, message: str, **where: Any) -> dict[str, Any]:
    return {'kind': kind.value, 'message': message, **where}


def _scalar_id(value: Any) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


def _category(cats: dict[Any, _Category], category_id: Any) -> _Category | None:
    """The category of an annotation's ``category_id``, None when unknown or not an id at all."""
    return cats.get(category_id) if _scalar_id(category_id) else None


def _id_key(value: Any) -> _IdKey:
    """Sort and join key of a COCO id, equal where dict keys are equal (``1``, ``1.0`` and ``True`` are one id):
    numbers first, then strings, then anything else by its JSON text."""
    if isinstance(value, int | float) and value == value and value not in (float('inf'), float('-inf')):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, json.dumps(value, sort_keys=True))


def _id_group(record: tuple[Any, Any]) -> Any:
    return record[0][0]


class _Scan:
    """One pass over a COCO file (``iter_object`` events), then duplicate ids and the join of annotations to
    images, in bounded memory. Everything per image or annotation goes into external sorts:

    - ``images``: ``(id key, position) -> (id, file_name)``; duplicate ids are adjacent, the first one is kept;
    - ``ann_ids``: ``(id key, position) -> id``, for duplicate annotation ids (the first one is kept; not read
      when the ids increase along the file, as in converter output);
    - ``ann_refs``: ``(image id key, position) -> (id, image_id)``, merged with the image keys to find
      annotations of unknown images;
    - ``anns``: ``(image id key, position) -> annotation``, the bodies, merged with ``images`` to build items.

    So every problem is known before the first item is handed out (they come first, in the order of a
    whole-document reader: categories, images, annotations, each in file order). The items come in the file's
    image order: when image ids increase along the file (files written by converters, including ours) the
    id-ordered merge is that order already; otherwise the joined items are sorted back by position
    (``joined``). Held in memory: the categories and the positions of duplicated annotation ids (problems).
    A repeated top-level key replaces the earlier one, as ``json.load`` does.
    """

    def __init__(self, scratch: str | None):
        self.scratch = scratch
        self.sorters: list[ExternalSort] = []
        self.kinds: dict[str, bool] = {}  # section -> whether its value is a list
        self.cats: dict[Any, _Category] = {}
        self.cat_problems: list[dict[str, Any]] = []
        self._reset('images')
        self._reset('annotations')
        self.position = 0
        self.duplicates: set[int] = set()
        self.joined: ExternalSort | None = None

    def _sorter(self) -> ExternalSort:
        sorter = ExternalSort(self.scratch)
        self.sorters.append(sorter)
        return sorter

    def _reset(self, key: str) -> None:
        if key == 'categories':
            self.cats, self.cat_problems = {}, []
        elif key == 'images':
            self.images, self.img_problems = self._sorter(), self._sorter()
            self.last_key: _IdKey | None = None
            self.in_order = True
        else:
            self.ann_ids, self.ann_refs, self.anns, self.ann_problems = (self._sorter() for _ in range(4))
            self.last_ann_key: _IdKey | None = None
            self.ann_ids_increase = True  # then no id can repeat: ann_ids need not be read back

    def close(self) -> None:
        for sorter in self.sorters:
            sorter.close()

    def is_coco(self) -> bool:
        return self.kinds.get('images') is True and self.kinds.get('categories') is True

    # -- the pass over the file ----------------------------------------------------------------------------
    def feed(self, event: str, key: str | None, value: Any, size: int) -> None:
        if event == 'document' or key not in _SECTIONS:
            return
        if event == 'element':
            self._element(key, value, size)
            return
        if key in self.kinds:  # a repeated key: forget the earlier value
            self._reset(key)
        self.kinds[key] = event == 'begin'
        self.position = 0
        if event == 'value' and key == 'annotations' and value:  # not an array: iterate it as a reader would
            if isinstance(value, dict | str):
                for element in value:
                    self._element(key, element, 64)
            else:
                self.ann_problems.add(0, _problem(ProblemKind.MALFORMED_JSON, '"annotations" must be a list'))

    def _element(self, key: str, value: Any, size: int) -> None:
        position = self.position
        self.position += 1
        if key == 'categories':
            if (
                not isinstance(value, dict)
                or not _scalar_id(value.get('id'))
                or not isinstance(value.get('name'), str)
            ):
                message = f'category without id or name: {value!r}'
                self.cat_problems.append(_problem(ProblemKind.MALFORMED_JSON, message))
            elif not isinstance(value.get('keypoints') or [], list):
                message = f'category {value["id"]} keypoints must be a list of names: {value["keypoints"]!r}'
                self.cat_problems.append(_problem(ProblemKind.MALFORMED_JSON, message))
            elif value['id'] in self.cats:
                message = f'category id {value["id"]} is used twice'
                self.cat_problems.append(_problem(ProblemKind.DUPLICATE_ID, message))
            else:
                self.cats[value['id']] = (value['name'], [str(k) for k in value.get('keypoints') or []])
        elif key == 'images':
            if (
                not isinstance(value, dict)
                or 'id' not in value
                or not isinstance(value.get('file_name'), str)
            ):
                message = f'image entry without id or file_name: {value!r}'
                self.img_problems.add(position, _problem(ProblemKind.MALFORMED_JSON, message))
                return
            image_key = _id_key(value['id'])
            if self.last_key is not None and image_key < self.last_key:
                self.in_order = False
            self.last_key = image_key
            name = value['file_name']
            self.images.add((image_key, position), (value['id'], name), 2 * len(name) + 200)
        elif not isinstance(value, dict) or 'id' not in value:
            message = f'annotation without id: {value!r}'
            self.ann_problems.add(position, _problem(ProblemKind.MALFORMED_ANNOTATION, message))
        else:
            image_key = _id_key(value.get('image_id'))
            ann_key = _id_key(value['id'])
            if self.last_ann_key is not None and ann_key <= self.last_ann_key:
                self.ann_ids_increase = False
            self.last_ann_key = ann_key
            self.ann_ids.add((ann_key, position), value['id'])
            self.ann_refs.add((image_key, position), (value['id'], value.get('image_id')))
            self.anns.add((image_key, position), (size * _PARSED, value), size * _PARSED)

    # -- after the pass: problems, then the items ----------------------------------------------------------
    def join(self) -> None:
        duplicates = () if self.ann_ids_increase else groupby(self.ann_ids, key=_id_group)
        for _, group in duplicates:  # duplicate annotation ids
            for index, ((_, position), ann_id) in enumerate(group):
                if index:  # the first in the file keeps the id
                    self.duplicates.add(position)
                    message = f'annotation id {ann_id} is used twice'
                    problem = _problem(ProblemKind.DUPLICATE_ID, message, annotation_id=str(ann_id))
                    self.ann_problems.add(position, problem)
        self.ann_ids.close()
        refs = groupby(self.ann_refs, key=_id_group)
        current = next(refs, None)
        self.kept_images = 0
        for image_key, group in groupby(self.images, key=_id_group):
            self.kept_images += 1
            for index, ((_, position), (image_id, name)) in enumerate(group):
                if index:
                    message = f'image id {image_id} is used twice'
                    self.img_problems.add(position, _problem(ProblemKind.DUPLICATE_ID, message, item=name))
            while current is not None and current[0] <= image_key:
                if current[0] < image_key:
                    self._unknown_image(current[1])
                current = next(refs, None)
        while current is not None:
            self._unknown_image(current[1])
            current = next(refs, None)
        self.ann_refs.close()
        if not self.in_order:
            self.joined = self._sorter()
            for position, file_name, anns, size in self._items():
                self.joined.add(position, (file_name, anns), size)
            self.images.close()
            self.anns.close()

    def _unknown_image(self, group: Iterable[tuple[Any, Any]]) -> None:
        for (_, position), (ann_id, image_id) in group:
            if position in self.duplicates:
                continue  # reported as a duplicate already
            message = f'annotation {ann_id} refers to unknown image_id {image_id!r}'
            problem = _problem(ProblemKind.MALFORMED_ANNOTATION, message, annotation_id=str(ann_id))
            self.ann_problems.add(position, problem)

    def _items(self) -> Iterator[tuple[int, str, list[dict[str, Any]], int]]:
        """``(position, file_name, annotations, size)`` per kept image, in image id order (a merge join)."""
        bodies = groupby(self.anns, key=_id_group)
        current = next(bodies, None)
        for image_key, group in groupby(self.images, key=_id_group):
            (_, position), (_, file_name) = next(iter(group))  # later duplicates: problems already
            while current is not None and current[0] < image_key:  # annotations of unknown images
                current = next(bodies, None)
            anns: list[dict[str, Any]] = []
            size = 2 * len(file_name) + 200
            if current is not None and current[0] == image_key:
                for (_, ann_position), (ann_size, ann) in current[1]:
                    if ann_position not in self.duplicates:
                        anns.append(ann)
                        size += ann_size
                current = next(bodies, None)
            yield position, file_name, anns, size

    def items(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """``(file_name, annotations)`` in the file's image order."""
        if self.joined is not None:
            return (value for _, value in self.joined)
        return ((file_name, anns) for _, file_name, anns, _ in self._items())

    def __len__(self) -> int:
        """Number of items (after ``join``)."""
        return len(self.joined) if self.joined is not None else self.kept_images
