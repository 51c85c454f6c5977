"""Pascal VOC reading and writing.

Written layout::

    Annotations/<stem>.xml             one <object> per box, polygon and mask (bndbox; pose/truncated/difficult/
                                       occluded from attributes of those names)
    JPEGImages/<image>
    ImageSets/Main/<train|val|test>.txt   (flat datasets: default.txt)
    ImageSets/Segmentation/<split>.txt    items that have masks
    SegmentationClass/<stem>.png       palette PNG, class index (labelmap.txt order, from 1) per pixel
    SegmentationObject/<stem>.png      palette PNG, value k = the k-th <object> of the XML
    labelmap.txt                       name:r,g,b:: per class (background first)

``<bndbox>`` corners follow one rule for every object of a file (boxes, polygons, masks alike), chosen by
``voc_convention``: ``'devkit'`` (default) is the VOC devkit's, 1-based and inclusive (``xmin`` = first pixel + 1,
``xmax`` = last pixel + 1), as supervision, torchvision and the VOC evaluation code read it; ``'legacy'`` is the
previous SDK's, 0-based with ``xmax = x + w`` (spec section 11), for files it wrote. A box covers the pixels of
its rounded corners (round half to even), at least one pixel each way; a polygon or mask its pixel extent.
Polygons are rasterised as Pillow draws them (masks.py) and come back as masks; rotation and other
attributes, keypoints, polylines and non-image tools cannot be carried and are reported.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import IO, Any, TypeAlias
from xml.sax.saxutils import escape

from .dm import stable_id
from .engine import Reader, RefStream, WriteContext, Writer
from .formats import dm_split, format_split
from .items import Item
from .layout import attach_image, find_image, outside, sorted_files
from .masks import polygon_runs, runs_by_value
from .objects import item_objects, runs_extent, union_runs
from .output import create_new, ensure_dir, place_image, write_bytes
from .paths import DatasetRoot, path_text_problem
from .png import PngError, decode_png_8bit, encode_png, voc_palette
from .problems import ConversionError, ProblemKind, ProblemRecord

__all__ = ['VOCReader', 'VOCWriter']

_Ref: TypeAlias = tuple[str | None, str]  # (split, item stem)

_XML_ATTRS = ('pose', 'truncated', 'difficult', 'occluded')
_MAX_INDEX = 254
CONVENTIONS = ('devkit', 'legacy')


def _convention(value: str) -> str:
    if value not in CONVENTIONS:
        raise ValueError(f'voc_convention must be one of {CONVENTIONS}, got {value!r}')
    return value


class VOCWriter(Writer):
    main_process_state = ('lists',)
    staging: str  # set by begin(): the main process's state for consume/finish
    table: dict[str, dict[str, int]]

    def __init__(self, pose_class: str = 'person', voc_convention: str = 'devkit', **options: Any):
        super().__init__(**options)
        self.pose_class = pose_class
        self.convention = _convention(voc_convention)
        self.lists: dict[str, IO[str]] = {}

    def needs_scan(self, class_names: list[str] | None) -> bool:
        return class_names is None

    def build_table(
        self,
        collected: dict[str, set[str]],
        counts: dict[str, int],
        class_names: list[str] | None,
        tally: dict[str, int] | None = None,
    ) -> dict[str, dict[str, int]]:
        names = class_names or sorted(collected.get('classes') or set())
        return {'classes': {n: i + 1 for i, n in enumerate(names)}}

    def process(self, item: Item, ctx: WriteContext) -> bool | None:
        """One ``<object>`` per object (``objects``): its box, and for polygons and masks its pixels (the union
        of its parts) in the segmentation planes; a pose object as its box."""
        w, h = item.width, item.height
        dry = ctx.staging is None  # convert(): classes and losses only; pixels are painted when saving
        xml_objects: list[str] = []
        class_plane: bytearray | None = None
        object_plane: bytearray | None = None
        for obj in item_objects(item, self.pose_class, 'Pascal VOC'):
            index = len(xml_objects) + 1  # the k-th <object> is value k in SegmentationObject
            cls = ctx.class_id('classes', obj.cls)
            if cls is None and ctx.table is not None:
                item.problem(
                    ProblemKind.UNKNOWN_CLASS,
                    f'class {obj.cls!r} is not in class_names',
                    annotation_id=obj.key,
                )
                continue
            box = obj.box()
            if box is None:  # only a group of keypoints can span no area
                for kp in obj.keypoints:
                    item.loss(kp['id'], 'keypoint', 'degenerate_pose_box', f'group {obj.key} spans no area')
                continue
            item.changed('keypoint', 'as_box', len(obj.keypoints))
            extra: dict[str, Any] = {}
            for tool, ann in obj.members():
                for a in ann.get('attrs') or ():
                    if a.get('name') in _XML_ATTRS:
                        extra[a['name']] = a.get('value')
                    elif tool == 'bounding_box' and a.get('name') == 'rotation':
                        if a.get('value'):
                            item.loss(ann['id'], tool, 'rotation', 'written axis-aligned')
                    elif tool != 'keypoint':
                        item.loss(ann['id'], tool, 'attributes', str(a.get('name')))
                ctx.count(tool)
            if dry:  # convert(): no pixels, no XML; what the object becomes is counted
                xml_objects.append('')
                if obj.shaped:
                    item.changed('polygon', 'as_mask', len(obj.polygons))
                    item.changed('bounding_box', 'as_mask', len(obj.boxes))
                continue
            pixels = _box_pixels(box, w, h)
            runs = None
            if obj.shaped:
                parts = [obj.runs(a) for a in obj.masks] + [
                    polygon_runs(a['data'], w, h) for a in obj.polygons
                ]
                runs = parts[0] if len(parts) == 1 else union_runs(parts)
            if obj.shaped and runs:
                item.changed('polygon', 'as_mask', len(obj.polygons))
                item.changed('bounding_box', 'as_mask', len(obj.boxes))
            elif obj.shaped:  # polygons thinner than the pixel lattice: the object stays, as its box
                item.changed('polygon', 'as_box', len(obj.polygons))
            if runs:
                x0, y0, x1, y1 = runs_extent(runs, w)
                pixels = [x0, y0, x1 - 1, y1 - 1]
                if class_plane is None or object_plane is None:  # made together
                    class_plane, object_plane = bytearray(w * h), bytearray(w * h)
                if index > _MAX_INDEX or (cls or 0) > _MAX_INDEX:
                    item.loss(
                        obj.key, 'object', 'instance_limit', 'VOC masks hold at most 254 instances/classes'
                    )
                else:
                    overlapped = False
                    fill_object, fill_class = bytes((index,)), bytes((cls or 0,))
                    for start, length in runs:
                        end = start + length
                        if not overlapped and object_plane.count(0, start, end) != length:
                            overlapped = True
                        object_plane[start:end] = fill_object * length
                        class_plane[start:end] = fill_class * length
                    if overlapped:
                        item.loss(
                            obj.key, 'object', 'mask_overlap', 'overlaps an earlier mask, which it covers'
                        )
            xml_objects.append(_object_xml(obj.cls, _corners(pixels, self.convention), extra))
        if ctx.staging is None:
            return None
        image_name = item.image_name
        assert image_name is not None  # set with the image or, for a record without one, from its name
        xml_path = os.path.join(ensure_dir(os.path.join(ctx.staging, 'Annotations')), item.stem + '.xml')
        xml = (
            '<?xml version="1.0" encoding="utf-8"?>\n<annotation>\n  <folder>JPEGImages</folder>\n'
            f'  <filename>{escape(image_name)}</filename>\n  <path>JPEGImages/{escape(image_name)}</path>\n'
            '  <source>\n    <database>Unknown</database>\n  </source>\n'
            f'  <size>\n    <width>{w}</width>\n    <height>{h}</height>\n    <depth>{item.channels}</depth>\n'
            f'  </size>\n  <segmented>{1 if class_plane is not None else 0}</segmented>\n'
            + ''.join(xml_objects)
            + '</annotation>\n'
        )
        if not create_new(xml_path, xml):
            msg = f'another item is also named {item.stem!r} (VOC keeps every split in one folder)'
            item.problem(ProblemKind.DUPLICATE_ID, msg, whole=True)
            return None
        images = ensure_dir(os.path.join(ctx.staging, 'JPEGImages'))
        if item.image_path is not None:  # a DatasetWriter record may have no image (labels only)
            place_image(item.image_path, os.path.join(images, image_name), ctx.options['image_mode'])
        if class_plane is not None and object_plane is not None:
            palette = voc_palette()
            for sub, plane in (('SegmentationClass', class_plane), ('SegmentationObject', object_plane)):
                write_bytes(
                    os.path.join(ensure_dir(os.path.join(ctx.staging, sub)), item.stem + '.png'),
                    encode_png(w, h, bytes(plane), mode='P', palette=palette),
                )
        return class_plane is not None

    def begin(self, staging: str, table: dict[str, dict[str, int]], output_dir: str) -> None:
        self.staging = staging
        self.table = table
        os.makedirs(os.path.join(staging, 'ImageSets', 'Main'), exist_ok=True)

    def _list(self, kind: str, split: str | None) -> IO[str]:
        key = f'{kind}/{split}'
        if key not in self.lists:
            os.makedirs(os.path.join(self.staging, 'ImageSets', kind), exist_ok=True)
            name = format_split(split) if split else 'default'
            self.lists[key] = open(os.path.join(self.staging, 'ImageSets', kind, name + '.txt'), 'w')  # noqa: SIM115
        return self.lists[key]

    def consume(self, split: str | None, stem: str, payload: bool | None) -> None:
        self._list('Main', split).write(stem + '\n')
        if payload:
            self._list('Segmentation', split).write(stem + '\n')

    def finish(self, staging: str, splits: list[str | None]) -> None:
        for split in splits:
            self._list('Main', split)  # an empty split still gets its (empty) list
        for fh in self.lists.values():
            fh.close()
        palette = voc_palette()
        lines = ['# label:color_rgb:parts:actions', 'background:0,0,0::']
        for name, index in self.table['classes'].items():
            r, g, b = palette[3 * index : 3 * index + 3] if index < 256 else (0, 0, 0)
            lines.append(f'{name}:{r},{g},{b}::')
        with open(os.path.join(staging, 'labelmap.txt'), 'w', encoding='utf-8') as fh:
            fh.write('\n'.join(lines) + '\n')


def _box_pixels(box: list[float], width: int, height: int) -> list[int]:
    """First and last pixel ``[x0, y0, x1, y1]`` (0-based, inclusive) a box ``[x, y, w, h]`` covers: its corners
    rounded (half to even), at least one pixel each way (a box thinner than a pixel still reads back with an
    area), inside the image."""
    x, y, bw, bh = box
    out: list[tuple[int, int]] = []
    for start, size, limit in ((x, bw, width), (y, bh, height)):
        first = min(max(round(start), 0), limit - 1)
        out.append((first, min(max(round(start + size) - 1, first), limit - 1)))
    return [out[0][0], out[1][0], out[0][1], out[1][1]]


def _corners(pixels: list[int], convention: str) -> list[int]:
    """``<bndbox>`` of the pixels ``[x0, y0, x1, y1]``: devkit ``x0 + 1 .. x1 + 1``, legacy ``x0 .. x1 + 1``."""
    x0, y0, x1, y1 = pixels
    if convention == 'devkit':
        return [x0 + 1, y0 + 1, x1 + 1, y1 + 1]
    return [x0, y0, x1 + 1, y1 + 1]


def _object_xml(name: str, box: list[int], extra: dict[str, Any]) -> str:
    def flag(key: str) -> int:
        return int(bool(extra.get(key)))

    occluded = f'    <occluded>{flag("occluded")}</occluded>\n' if 'occluded' in extra else ''
    return (
        f'  <object>\n    <name>{escape(name)}</name>\n    <pose>{escape(str(extra.get("pose", "Unspecified")))}'
        f'</pose>\n    <truncated>{flag("truncated")}</truncated>\n    <difficult>{flag("difficult")}</difficult>\n'
        f'{occluded}    <bndbox>\n      <xmin>{box[0]}</xmin>\n      <ymin>{box[1]}</ymin>\n'
        f'      <xmax>{box[2]}</xmax>\n      <ymax>{box[3]}</ymax>\n    </bndbox>\n  </object>\n'
    )


# ---------------------------------------------------------------- reading


def _first_dir(root: str, names: tuple[str, ...]) -> str | None:
    return next((os.path.join(root, n) for n in names if os.path.isdir(os.path.join(root, n))), None)


class VOCReader(Reader):
    def __init__(
        self, root: str, categorized: bool, voc_convention: str = 'devkit', links_into: tuple[str, ...] = ()
    ):
        self.root = root
        self.convention = _convention(voc_convention)
        self.dataset = DatasetRoot(root, links_into)
        ann_dir = _first_dir(root, ('Annotations', 'annotations'))
        img_dir = _first_dir(root, ('JPEGImages', 'images', 'Images'))
        if ann_dir is None or img_dir is None:
            raise FileNotFoundError(
                f'Pascal VOC dataset needs Annotations/ and JPEGImages/ (or images/) in {root}'
            )
        self.ann_dir, self.img_dir = ann_dir, img_dir
        self.seg_dir = _first_dir(root, ('SegmentationObject',))
        self.lists: dict[str | None, str | None] = {}
        if not categorized:
            self.lists[None] = None
            return
        main = os.path.join(root, 'ImageSets', 'Main')
        for key in ('train', 'val', 'valid', 'validation', 'test'):
            path = os.path.join(main, key + '.txt')
            split = dm_split(key)
            if os.path.isfile(path) and split not in self.lists:
                self.lists[split] = path
        if 'train' not in self.lists:
            raise FileNotFoundError(
                f'categorized Pascal VOC dataset needs ImageSets/Main/train.txt in {root}'
            )
        for listed in self.lists.values():
            if listed is not None and not self.dataset.contains(listed):
                message = self.dataset.outside_message(os.path.basename(listed), listed)
                raise ConversionError([ProblemRecord(ProblemKind.UNSAFE_PATH, listed, message)])
        self.lists = {s: self.lists[s] for s in ('train', 'valid', 'test') if s in self.lists}

    def splits(self) -> list[str | None]:
        return list(self.lists)

    def refs(self, split: str | None) -> RefStream:
        """Flat: the XML files in name order (external sort). Categorized: the ImageSets list, in its own order,
        read twice (once to count) rather than held."""
        path = self.lists[split]
        if path is None:
            names = sorted_files(self.ann_dir, ('.xml',), self.scratch)
            return RefStream(
                len(names), lambda: ((split, n[:-4]) for n in names.sorted_keys()), [names.close]
            )

        def listed() -> Iterator[_Ref]:
            with open(path, encoding='utf-8') as fh:
                for line in fh:
                    if line.strip():
                        yield (split, line.split()[0])

        return RefStream(sum(1 for _ in listed()), listed)

    def load(self, ref: _Ref) -> Item:
        split, stem = ref
        xml_path = os.path.join(self.ann_dir, stem + '.xml')
        item = Item(split=split, stem=stem, source=xml_path)
        unsafe = path_text_problem(stem)
        if unsafe is not None:
            where = self.lists.get(split) or self.ann_dir
            item.problem(ProblemKind.UNSAFE_PATH, f'item name {stem!r} {unsafe}', whole=True, file=where)
            return item
        if outside(item, self.dataset, xml_path, os.path.basename(xml_path)):
            return item
        if not os.path.isfile(xml_path):
            item.problem(
                ProblemKind.MALFORMED_XML, 'annotation file listed in ImageSets does not exist', whole=True
            )
            return item
        try:
            root = ET.parse(xml_path).getroot()
        except ET.ParseError as exc:
            item.problem(ProblemKind.MALFORMED_XML, str(exc), line=exc.position[0], whole=True)
            return item
        filename = (root.findtext('filename') or '').strip()
        unsafe = path_text_problem(filename)
        if unsafe is not None:
            item.problem(ProblemKind.UNSAFE_PATH, f'<filename> {filename!r} {unsafe}', whole=True)
            return item
        image = os.path.join(self.img_dir, filename) if filename else None
        if image is None or not os.path.isfile(image):
            image = find_image(self.img_dir, stem)
        if not attach_image(item, image, filename or stem, self.dataset):
            return item
        masks = self._masks(item)
        for index, obj in enumerate(root.findall('object'), start=1):
            ann_id = stable_id(stem, index)
            name = (obj.findtext('name') or '').strip()
            attrs: list[dict[str, Any]] = []
            for key in _XML_ATTRS:
                text = (obj.findtext(key) or '').strip()
                if key == 'pose' and text and text != 'Unspecified':
                    attrs.append({'name': 'pose', 'value': text})
                elif key != 'pose' and text not in ('', '0'):
                    attrs.append({'name': key, 'value': 1 if text == '1' else text})
            if masks is not None and masks.get(index):
                item.ann.setdefault('segmentation', []).append(
                    {
                        'id': ann_id,
                        'classification': name,
                        'attrs': attrs,
                        'data': masks[index],
                        'encoding': 'dm_rle',
                        'isCompressed': True,
                        'compressionFormat': 'rle',
                    }
                )
                continue
            corners = _bndbox(obj.find('bndbox'))
            if corners is None:
                item.problem(
                    ProblemKind.MALFORMED_XML,
                    f'<object> {index} has no numeric <bndbox>',
                    annotation_id=ann_id,
                )
                continue
            data = self._box(item, index, ann_id, corners)
            if data is None:
                continue
            item.ann.setdefault('bounding_box', []).append(
                {'id': ann_id, 'classification': name, 'attrs': attrs, 'data': data}
            )
        return item

    def _box(self, item: Item, index: int, ann_id: str, corners: tuple[float, ...]) -> list[float] | None:
        """DM box ``[x, y, w, h]`` of ``<bndbox>`` corners in the reader's convention; None (and a problem
        naming the corners) when they cannot be a box in it."""
        xmin, ymin, xmax, ymax = corners
        where = f'<object> {index} <bndbox> {"/".join(_text(v) for v in corners)} (xmin/ymin/xmax/ymax)'
        if not all(map(math.isfinite, corners)):
            item.problem(ProblemKind.MALFORMED_XML, f'{where} is not finite', annotation_id=ann_id)
            return None
        if self.convention == 'devkit':
            if xmin < 1 or ymin < 1:
                item.problem(
                    ProblemKind.OUT_OF_IMAGE,
                    f'{where}: VOC devkit corners start at 1; a file with 0-based corners (written by the previous '
                    f"SDK) is read with voc_convention='legacy'",
                    annotation_id=ann_id,
                )
                return None
            if xmax < xmin or ymax < ymin:
                item.problem(ProblemKind.DEGENERATE_BOX, f'{where} has max < min', annotation_id=ann_id)
                return None
            return [_num(xmin - 1), _num(ymin - 1), _num(xmax - xmin + 1), _num(ymax - ymin + 1)]
        return [_num(xmin), _num(ymin), _num(xmax - xmin), _num(ymax - ymin)]

    def _masks(self, item: Item) -> dict[int, list[list[int]]] | None:
        if self.seg_dir is None:
            return None
        path = os.path.join(self.seg_dir, item.stem + '.png')
        if outside(item, self.dataset, path, os.path.basename(path)) or not os.path.isfile(path):
            return None
        try:
            with open(path, 'rb') as fh:
                _, _, pixels = decode_png_8bit(fh.read(), (item.width, item.height))
        except PngError as exc:
            item.problem(ProblemKind.INVALID_MASK, f'{exc}', file=path)
            return None
        return runs_by_value(pixels)  # 0 is background, 255 the VOC "void" outline


def _bndbox(bnd: ET.Element | None) -> tuple[float, float, float, float] | None:
    """``(xmin, ymin, xmax, ymax)`` of a ``<bndbox>``; None when it or a corner is missing or not a number."""
    if bnd is None:
        return None
    texts = [bnd.findtext(k) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
    try:
        xmin, ymin, xmax, ymax = (float(t) for t in texts if t is not None)
    except ValueError:  # a corner that is not a number, or a missing one (fewer than four values)
        return None
    return xmin, ymin, xmax, ymax


def _num(v: float) -> float:
    return int(v) if float(v).is_integer() else v


def _text(v: float) -> str:
    return str(_num(v)) if math.isfinite(v) else str(v)
