"""Fixtures for converter tests: tiny real images (our own PNG writer, hand-built JPEG/BMP/WebP/GIF headers)
and DM datasets written the way the platform lays them out."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from synapse_sdk.utils.converters.png import encode_png


def png_bytes(width: int, height: int) -> bytes:
    return encode_png(width, height, bytes(width * height * 3), mode='RGB')


def jpeg_bytes(width: int, height: int, channels: int = 3) -> bytes:
    """A JPEG stream with an APP0 segment and a baseline SOF0 frame header (enough for header readers)."""
    app0 = b'\xff\xe0' + struct.pack('>H', 16) + b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00'
    sof = b'\xff\xc0' + struct.pack('>HBHHB', 8 + 3 * channels, 8, height, width, channels)
    sof += b''.join(bytes((i + 1, 0x11, 0)) for i in range(channels))
    return b'\xff\xd8' + app0 + sof + b'\xff\xd9'


WORKED_V1 = {
    'assignmentId': 1234,
    'extra': {'image_1': {'width': 200, 'height': 100}},
    'annotations': {
        'image_1': [
            {
                'id': 'bb01AbCdEf',
                'tool': 'bounding_box',
                'isLocked': False,
                'isVisible': True,
                'isValid': True,
                'isDrawCompleted': True,
                'label': [],
                'classification': {'class': 'car', 'color': 'red'},
            },
            {
                'id': 'pg01AbCdEf',
                'tool': 'polygon',
                'isLocked': False,
                'isVisible': True,
                'isValid': True,
                'isDrawCompleted': True,
                'label': [],
                'classification': {'class': 'road'},
            },
        ]
    },
    'annotationsData': {
        'image_1': [
            {'id': 'bb01AbCdEf', 'coordinate': {'x': 20, 'y': 10, 'width': 60, 'height': 40}},
            {
                'id': 'pg01AbCdEf',
                'coordinate': [
                    {'x': 100, 'y': 50, 'id': 'p1'},
                    {'x': 180, 'y': 50, 'id': 'p2'},
                    {'x': 180, 'y': 90, 'id': 'p3'},
                    {'x': 100, 'y': 90, 'id': 'p4'},
                ],
            },
        ]
    },
    'relations': {'image_1': []},
    'annotationGroups': {'image_1': []},
}

WORKED_V2 = {
    'classification': {'bounding_box': ['car'], 'polygon': ['road']},
    'images': [
        {
            'bounding_box': [
                {
                    'id': 'bb01AbCdEf',
                    'classification': 'car',
                    'attrs': [{'name': 'color', 'value': 'red'}],
                    'data': [20, 10, 60, 40],
                }
            ],
            'polygon': [
                {
                    'id': 'pg01AbCdEf',
                    'classification': 'road',
                    'attrs': [],
                    'data': [[100, 50], [180, 50], [180, 90], [100, 90]],
                }
            ],
        }
    ],
}


def write_dm(root: Path, items: dict, *, split: str | None = None, images: dict | None = None) -> Path:
    """Write ``{stem: document}`` as a DM dataset (``images``: ``{stem: (file name, bytes)}``, default 200x100 JPEG)."""
    base = root / split if split else root
    (base / 'json').mkdir(parents=True, exist_ok=True)
    (base / 'original_files').mkdir(parents=True, exist_ok=True)
    for stem, doc in items.items():
        (base / 'json' / f'{stem}.json').write_text(json.dumps(doc, indent=2), encoding='utf-8')
        name, data = (images or {}).get(stem, (f'{stem}.jpg', jpeg_bytes(200, 100)))
        (base / 'original_files' / name).write_bytes(data)
    return root


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob('*') if p.is_file())


# ---------------------------------------------------------------- a generated dataset with every geometry

PERSON = ('nose', 'left_eye', 'right_eye', 'left_shoulder', 'right_shoulder')
GEN_W, GEN_H = 64, 48


def rich_item(i: int) -> dict:
    """A DM v2 document: 2 boxes (one with attributes), a polygon, a rectangular and an L-shaped mask, a
    5-joint pose group and a relation; coordinates vary with ``i``."""
    o = i % 5
    w = GEN_W

    def rect_runs(x0, y0, x1, y1):
        return [[y * w + x0, x1 - x0 + 1] for y in range(y0, y1 + 1)]

    l_shape = rect_runs(40 + o, 30, 44 + o, 31) + rect_runs(40 + o, 32, 41 + o, 40)
    l_shape.sort()
    return {
        'images': [
            {
                'bounding_box': [
                    {'id': f'box{i}a', 'classification': 'car', 'attrs': [], 'data': [2 + o, 3, 20, 10]},
                    {
                        'id': f'box{i}b',
                        'classification': 'truck',
                        'attrs': [{'name': 'color', 'value': 'red'}],
                        'data': [30, 5 + o, 12.5, 8],
                    },
                ],
                'polygon': [
                    {
                        'id': f'poly{i}',
                        'classification': 'road',
                        'attrs': [],
                        'data': [[5, 20 + o], [25, 20 + o], [25, 35], [5, 35]],
                    }
                ],
                'segmentation': [
                    {
                        'id': f'mask{i}a',
                        'classification': 'puddle',
                        'attrs': [],
                        'data': rect_runs(30, 20, 34 + o, 25),
                        'encoding': 'dm_rle',
                        'isCompressed': True,
                        'compressionFormat': 'rle',
                    },
                    {
                        'id': f'mask{i}b',
                        'classification': 'puddle',
                        'attrs': [],
                        'data': l_shape,
                        'encoding': 'dm_rle',
                        'isCompressed': True,
                        'compressionFormat': 'rle',
                    },
                ],
                'keypoint': [
                    {
                        'id': f'kp{i}_{j}',
                        'classification': name,
                        'attrs': [],
                        'data': [10 + 3 * j + o, 40 - j],
                        'visibility': 2 if j != 1 else 1,
                        'group_id': f'grp{i}',
                    }
                    for j, name in enumerate(PERSON)
                ],
                'relation': [
                    {'id': f'rel{i}', 'classification': 'tows', 'attrs': [], 'data': [f'box{i}a', f'box{i}b']}
                ],
            }
        ]
    }


def write_rich(root: Path, n: int, *, version: str, categorized: bool) -> Path:
    from synapse_sdk.utils.converters import v2_to_v1

    splits = ('train', 'valid', 'test') if categorized else (None,)
    for s_index, split in enumerate(splits):
        docs = {}
        for i in range(n):
            doc = rich_item(i + 100 * s_index)
            if version == 'v1':
                doc = v2_to_v1(doc, extras={'image_1': {'width': GEN_W, 'height': GEN_H}})
            docs[f'img_{s_index}_{i:03d}'] = doc
        images = {stem: (f'{stem}.png', png_bytes(GEN_W, GEN_H)) for stem in docs}
        write_dm(root, docs, split=split, images=images)
    return root


def read_dm_v2(root: Path) -> dict[str, dict]:
    """``{split/stem: images[0]}`` of a DM dataset (v1 documents converted to v2)."""
    from synapse_sdk.utils.converters import v1_to_v2

    out = {}
    for path in sorted(root.rglob('json/*.json')):
        doc = json.loads(path.read_text(encoding='utf-8'))
        if 'annotationsData' in doc:
            doc = v1_to_v2(doc)
        split = path.parent.parent.name if path.parent.parent != root else None
        out[f'{split}/{path.stem}' if split else path.stem] = doc['images'][0]
    return out


# ---------------------------------------------------------------- objects, as a user counts them


def dm_objects(image: dict, width: int, pose_class: str = 'person') -> list[tuple[str, tuple, frozenset]]:
    """``(class, (x0, y0, x1, y1), tools)`` per object of a DM v2 image item, sorted: a box, polygon or mask on
    its own, or every annotation sharing a ``group_id`` (class from the ``group`` annotation of that id, else
    from a member). Written here from the DM format's rules, not with the converters' ``objects`` module."""
    groups: dict[str, dict] = {}
    found = []

    def extent(tool, ann):
        data = ann['data']
        if tool == 'bounding_box':
            x, y, w, h = data
            return (x, y, x + w, y + h)
        if tool == 'polygon':
            xs, ys = [p[0] for p in data], [p[1] for p in data]
            return (min(xs), min(ys), max(xs), max(ys))
        pixels = [s + i for s, n in data for i in range(n)]
        xs, ys = [p % width for p in pixels], [p // width for p in pixels]
        return (min(xs), min(ys), max(xs) + 1, max(ys) + 1)

    for tool in ('bounding_box', 'polygon', 'segmentation', 'keypoint'):
        for ann in image.get(tool) or []:
            gid = ann.get('group_id')
            if gid:
                g = groups.setdefault(gid, {'cls': '', 'boxes': [], 'shapes': [], 'kps': [], 'tools': set()})
                g['tools'].add(tool)
                if tool == 'keypoint':
                    g['kps'].append(ann)
                else:
                    g['cls'] = g['cls'] or ann['classification']
                    (g['boxes'] if tool == 'bounding_box' else g['shapes']).append(extent(tool, ann))
            elif tool != 'keypoint':
                found.append((ann['classification'], extent(tool, ann), frozenset([tool])))
    names = {g['id']: g.get('classification') for g in image.get('group') or []}
    for gid, g in groups.items():
        boxes = (
            g['boxes']
            or [
                (b[0], b[1], b[0] + b[2], b[1] + b[3]) for b in [k.get('bounding_box') for k in g['kps']] if b
            ][:1]
            or g['shapes']
        )
        if not boxes:
            pts = [k['data'] for k in g['kps'] if k.get('visibility', 2) > 0]
            boxes = [
                (
                    min(p[0] for p in pts),
                    min(p[1] for p in pts),
                    max(p[0] for p in pts),
                    max(p[1] for p in pts),
                )
            ]
        box = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        found.append((names.get(gid) or g['cls'] or pose_class, box, frozenset(g['tools'])))
    return sorted(found, key=lambda o: (o[0], o[1]))


def same_objects(before: list, after: list, tolerance: float) -> bool:
    """Whether the objects correspond one to one: same class, box corners within ``tolerance``."""
    if len(before) != len(after):
        return False
    left = list(after)
    for cls, box, _ in before:
        match = next(
            (
                o
                for o in left
                if o[0] == cls and all(abs(a - b) <= tolerance for a, b in zip(o[1], box, strict=True))
            ),
            None,
        )
        if match is None:
            return False
        left.remove(match)
    return True
