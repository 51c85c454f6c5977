"""YOLO (Ultralytics layout) reading and writing.

Written layout, trainable as is (``yolo train data=<out>/data.yaml``)::

    data.yaml                      path, train/val/test, nc, names (+ kpt_shape, flip_idx, keypoint_names for pose)
    images/<train|val|test>/...    (flat datasets: images/ and labels/ directly, train and val both 'images')
    labels/<train|val|test>/<stem>.txt

A YOLO dataset trains one task, so one task is written: ``task='detect'`` (bounding boxes), ``'segment'``
(polygons, and masks traced to outer contours), ``'pose'`` (keypoint groups), or ``'auto'`` (default: the task
that carries the most annotations). Everything the chosen task cannot carry is reported as a loss.
Reading accepts Ultralytics (``images/<split>``), Roboflow (``<split>/images``) and flat layouts, ``data.yaml``,
``dataset.yaml`` or ``classes.txt`` for names, and label rows of boxes, polygons or (with ``kpt_shape``) poses.
"""

from __future__ import annotations

import os
from itertools import groupby
from operator import itemgetter
from typing import Any

from .dm import stable_id
from .engine import Reader, RefStream, WriteContext, Writer
from .extsort import ExternalSort
from .formats import dm_split, format_split
from .items import Item
from .keypoints import PERSON17, PERSON17_FLIP, group_annotations, keypoint_order, pose_groups
from .layout import IMAGE_EXTENSIONS, attach_image, has_files, scan_files
from .masks import bitmap_from_runs, mask_contours, normalize_dm_mask
from .output import create_new, ensure_dir, place_image
from .result import ProblemKind
from .yamlmini import dump_data_yaml, load_data_yaml

__all__ = ['YOLOReader', 'YOLOWriter']

TASKS = ('detect', 'segment', 'pose')
_CARRIED = {'detect': {'bounding_box'}, 'segment': {'polygon', 'segmentation'}, 'pose': {'keypoint', 'group'}}


def _f(v: float) -> str:
    return f'{v:.6f}'


def _attr_loss(item: Item, ann: dict, tool: str, skip: tuple[str, ...] = ()) -> None:
    names = [a.get('name') for a in ann.get('attrs') or [] if a.get('name') not in skip]
    if names:
        item.loss(ann['id'], tool, 'attributes', ', '.join(map(str, names)))


class YOLOWriter(Writer):
    def __init__(self, task: str = 'auto', pose_class: str = 'person', keypoint_names=None, **options: Any):
        super().__init__(**options)
        if task not in (*TASKS, 'auto'):
            raise ValueError(f'task must be one of {(*TASKS, "auto")}, got {task!r}')
        self.task = task
        if task in ('detect', 'segment'):
            self.class_tools = tuple(_CARRIED[task])
        elif task == 'pose':
            self.class_tools = ()
        self.pose_class = pose_class
        self.keypoint_names = list(keypoint_names) if keypoint_names else None
        self.output_dir = ''
        self.table: dict[str, dict[str, int]] = {}

    def needs_scan(self, class_names):
        if self.task == 'auto':
            return True
        if self.task == 'pose':
            return self.keypoint_names is None
        return class_names is None

    def build_table(self, collected, counts, class_names):
        task = self.task
        if task == 'auto':
            carried = {
                'detect': counts.get('bounding_box', 0),
                'segment': counts.get('polygon', 0) + counts.get('segmentation', 0),
                'pose': counts.get('pose_object', 0),
            }
            task = max(TASKS, key=lambda t: (carried[t], -TASKS.index(t)))
        if task == 'pose':
            names = class_names or sorted(collected.get('pose') or {self.pose_class})
            joints = keypoint_order(collected.get('joints') or set(), self.keypoint_names)
        else:
            names = class_names or sorted(collected.get(task) or set())
            joints = []
        return {
            'task': {task: 0},
            'classes': {n: i for i, n in enumerate(names)},
            'keypoints': {n: i for i, n in enumerate(joints)},
        }

    def process(self, item: Item, ctx: WriteContext):
        if ctx.table is None and self.task == 'auto':
            self._collect_all(item, ctx)
            return None
        task = self.task if ctx.table is None else next(iter(ctx.table['task']))
        w, h = item.width, item.height
        rows: list[str] = []
        for tool, anns in item.ann.items():
            if tool not in _CARRIED[task]:
                for ann in anns:
                    reason = (
                        'not_in_task'
                        if tool in ('bounding_box', 'polygon', 'segmentation', 'keypoint')
                        else ('unsupported')
                    )
                    item.loss(ann.get('id'), tool, reason, f'YOLO {task} datasets do not hold {tool}')
        if task == 'detect':
            for ann in item.ann.get('bounding_box') or []:
                cls = _cid(ctx, 'detect', ann['classification'])
                x, y, bw, bh = ann['data']
                rows.append(f'{cls} {_f((x + bw / 2) / w)} {_f((y + bh / 2) / h)} {_f(bw / w)} {_f(bh / h)}')
                ctx.count('bounding_box')
                if any(a.get('name') == 'rotation' and a.get('value') for a in ann.get('attrs') or []):
                    item.loss(ann['id'], 'bounding_box', 'rotation', 'written axis-aligned')
                _attr_loss(item, ann, 'bounding_box', ('rotation',))
        elif task == 'segment':
            for ann in item.ann.get('polygon') or []:
                cls = _cid(ctx, 'segment', ann['classification'])
                rows.append(f'{cls} ' + ' '.join(f'{_f(p[0] / w)} {_f(p[1] / h)}' for p in ann['data']))
                ctx.count('polygon')
                _attr_loss(item, ann, 'polygon')
            for ann in item.ann.get('segmentation') or []:
                if not isinstance(ann.get('data'), list):
                    item.loss(ann['id'], 'segmentation', 'unsupported', 'not an image mask')
                    continue
                cls = _cid(ctx, 'segment', ann['classification'])
                ctx.count('segmentation')
                if ctx.staging is None:  # convert(): contours (and hole losses) are traced when saving
                    item.loss(ann['id'], 'segmentation', 'mask_as_polygon')
                    continue
                encoding = ann.get('encoding') or ('dm_rle' if ann.get('isCompressed') else 'raw_indices')
                runs = normalize_dm_mask(ann['data'], encoding, w, h)
                contours, holes = mask_contours(bitmap_from_runs(runs, w, h), w, h)
                if not contours:
                    item.loss(
                        ann['id'], 'segmentation', 'mask_contour_unrepresentable', 'no contour of 3+ points'
                    )
                    continue
                for contour in contours:
                    rows.append(f'{cls} ' + ' '.join(f'{_f(x / w)} {_f(y / h)}' for x, y in contour))
                item.loss(ann['id'], 'segmentation', 'mask_as_polygon', f'{len(contours)} contour(s)')
                if holes:
                    item.loss(ann['id'], 'segmentation', 'mask_hole_dropped')
                _attr_loss(item, ann, 'segmentation')
        else:
            order = list(ctx.table['keypoints']) if ctx.table is not None else self.keypoint_names
            for group in pose_groups(item, order, self.pose_class):
                cls = _cid(ctx, 'pose', group.cls)
                if ctx.table is None:
                    for name in group.member_ids:
                        ctx.class_id('joints', name)
                if cls is None:
                    continue
                x, y, bw, bh = group.box
                parts = [str(cls), _f((x + bw / 2) / w), _f((y + bh / 2) / h), _f(bw / w), _f(bh / h)]
                for jx, jy, v in group.joints:
                    parts += [_f(jx / w), _f(jy / h), str(v)]
                rows.append(' '.join(parts))
                ctx.count('pose_object')
                ctx.count('keypoint', len(group.member_ids))
        if ctx.staging is None:
            return None
        sub = format_split(item.split) if item.split else ''
        img_dir = os.path.join(ctx.staging, 'images', sub)
        lbl_dir = os.path.join(ctx.staging, 'labels', sub)
        if not create_new(
            os.path.join(ensure_dir(lbl_dir), item.stem + '.txt'), ''.join(r + '\n' for r in rows)
        ):
            item.problem(ProblemKind.DUPLICATE_ID, f'another item is also named {item.stem!r}', whole=True)
            return None
        ensure_dir(img_dir)
        place_image(
            item.image_path,
            os.path.join(img_dir, item.stem + _ext(item.image_name)),
            ctx.options['image_mode'],
        )
        return None

    def _collect_all(self, item: Item, ctx: WriteContext) -> None:
        for ann in item.ann.get('bounding_box') or []:
            ctx.class_id('detect', ann['classification'])
            ctx.count('bounding_box')
        for tool in ('polygon', 'segmentation'):
            for ann in item.ann.get(tool) or []:
                if tool == 'segmentation' and not isinstance(ann.get('data'), list):
                    continue
                ctx.class_id('segment', ann['classification'])
                ctx.count(tool)
        for group in pose_groups(item, None, self.pose_class):
            ctx.class_id('pose', group.cls)
            for name in group.member_ids:
                ctx.class_id('joints', name)
            ctx.count('pose_object')

    def begin(self, staging, table, output_dir):
        self.output_dir = output_dir
        self.table = table

    def finish(self, staging, splits):
        task = next(iter(self.table['task']))
        data: dict[str, Any] = {'path': self.output_dir}
        if splits == [None]:
            data['train'] = 'images'
            data['val'] = 'images'
        else:
            for split in splits:
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


def _cid(ctx: WriteContext, task: str, name: str) -> int | None:
    """Class id in the final table, or (collecting pass) record ``name`` under the task's group."""
    return ctx.class_id(task if ctx.table is None else 'classes', name)


def _r(v: float, dim: int) -> float:
    """Pixel coordinate from a 6-decimal normalised one, rounded to the precision that carries (``dim * 1e-6``),
    so a DM integer coordinate comes back as that integer."""
    return round(v * dim, max(0, 6 - len(str(dim))))


def _ext(name: str | None) -> str:
    return os.path.splitext(name or '')[1]


# ---------------------------------------------------------------- reading


class YOLOReader(Reader):
    def __init__(self, root: str, categorized: bool, class_names: list[str] | None):
        self.root = root
        if not os.path.isdir(root):
            raise FileNotFoundError(f'dataset root {root} does not exist')
        config = self._config()
        names = class_names
        if names is None:
            raw = config.get('names')
            if isinstance(raw, dict):
                names = [str(raw[k]) for k in sorted(raw, key=int)]
            elif isinstance(raw, list):
                names = [str(n) for n in raw]
            elif os.path.isfile(os.path.join(root, 'classes.txt')):
                with open(os.path.join(root, 'classes.txt'), encoding='utf-8') as fh:
                    names = [line.strip() for line in fh if line.strip()]
        if names is None:
            raise FileNotFoundError(
                f'no class names: {root} has no data.yaml/dataset.yaml names or classes.txt'
            )
        self.names = names
        shape = config.get('kpt_shape')
        self.kpt_shape = tuple(shape) if isinstance(shape, list) and len(shape) == 2 else None
        kn = config.get('keypoint_names') or config.get('kpt_names')
        if isinstance(kn, dict):  # Ultralytics: {class_id: [names]}
            kn = next(iter(kn.values()), None)
        if kn is None and self.kpt_shape and self.kpt_shape[0] == 17:
            kn = list(PERSON17)
        self.kpt_names = [str(n) for n in kn] if kn else []
        self.dirs = self._split_dirs(config, categorized)

    def _config(self) -> dict:
        for name in ('data.yaml', 'dataset.yaml', 'data.yml'):
            path = os.path.join(self.root, name)
            if os.path.isfile(path):
                with open(path, encoding='utf-8') as fh:
                    try:
                        return load_data_yaml(fh.read())
                    except ValueError as exc:
                        raise ValueError(f'{path}: {exc}') from None
        return {}

    def _split_dirs(self, config: dict, categorized: bool) -> dict[str | None, tuple[str, str]]:
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
            candidates = []
            if isinstance(config.get(key), str):
                candidates.append(os.path.join(root, config[key]))
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

    def splits(self):
        return list(self.dirs)

    def refs(self, split):
        """Images and label files joined by stem, in stem order: both listings go through one external sort
        keyed ``[stem, 0, image name]`` / ``[stem, 1, '']``, so an item's entries are adjacent."""
        images, labels = self.dirs[split]
        entries = ExternalSort(self.scratch)
        for name in scan_files(images, IMAGE_EXTENSIONS):
            entries.add([os.path.splitext(name)[0], 0, name], size=2 * len(name) + 120)
        for name in scan_files(labels, ('.txt',)):
            entries.add([name[:-4], 1, ''], size=len(name) + 120)

        def joined():
            for stem, group in groupby(entries.sorted_keys(), key=itemgetter(0)):
                image_name, has_label = None, False
                for _, kind, name in group:
                    if kind == 0:
                        image_name = name  # several images with one stem: the last name in sort order
                    else:
                        has_label = True
                yield (split, images, labels, stem, image_name, has_label)

        count = sum(1 for _ in groupby(entries.sorted_keys(), key=itemgetter(0)))
        return RefStream(count, joined, [entries.close])

    def load(self, ref) -> Item:
        split, images, labels, stem, image_name, has_label = ref
        label_path = os.path.join(labels, stem + '.txt')
        item = Item(split=split, stem=stem, source=label_path if has_label else os.path.join(images, stem))
        if not attach_image(
            item, os.path.join(images, image_name) if image_name else None, f'label {stem}.txt'
        ):
            return item
        if not has_label:
            return item  # a background image
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
            if not 0 <= cls < len(self.names):
                item.problem(
                    ProblemKind.UNKNOWN_CLASS,
                    f'class id {cls} has no name (nc={len(self.names)})',
                    line=lineno,
                    annotation_id=ann_id,
                )
                continue
            name = self.names[cls]
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
                cx, cy, bw, bh = values[:4]
                box = [_r(cx - bw / 2, w), _r(cy - bh / 2, h), _r(bw, w), _r(bh, h)]
                joints = []
                for j in range(nk):
                    chunk = values[4 + j * ndim : 4 + (j + 1) * ndim]
                    joints.append((_r(chunk[0], w), _r(chunk[1], h), int(chunk[2]) if ndim == 3 else 2))
                kps, group = group_annotations(stem, lineno, name, self.kpt_names, joints, box, ndim)
                for kp in kps:
                    kp['_line'] = lineno
                item.ann.setdefault('keypoint', []).extend(kps)
                item.ann.setdefault('group', []).append(group)
            elif k == 4:
                cx, cy, bw, bh = values
                data = [_r(cx - bw / 2, w), _r(cy - bh / 2, h), _r(bw, w), _r(bh, h)]
                item.ann.setdefault('bounding_box', []).append(
                    {'id': ann_id, 'classification': name, 'attrs': [], 'data': data, '_line': lineno}
                )
            elif k >= 6 and k % 2 == 0:
                pts = [[_r(values[i], w), _r(values[i + 1], h)] for i in range(0, k, 2)]
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
