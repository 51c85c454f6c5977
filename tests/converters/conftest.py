"""Fixtures for converter tests: tiny real images (our own PNG writer, hand-built JPEG/BMP/WebP/GIF headers)
and DM datasets written the way the platform lays them out."""

from __future__ import annotations

import copy
import json
import struct
from pathlib import Path

import pytest

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


@pytest.fixture
def worked_v1():
    return copy.deepcopy(WORKED_V1)


@pytest.fixture
def worked_v2():
    return copy.deepcopy(WORKED_V2)
