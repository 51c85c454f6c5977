"""Smoke for synapse-converters installed alone: DM v2 -> YOLO -> DM v2 on a one-image dataset."""

import json
import struct
import tempfile
import zlib
from pathlib import Path

from synapse_sdk.utils.converters import get_converter


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

    raw = b''.join(b'\x00' + b'\x00' * width for _ in range(height))
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    return (
        b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', header)
        + chunk(b'IDAT', zlib.compress(raw))
        + chunk(b'IEND', b'')
    )


work = Path(tempfile.mkdtemp())
dm = work / 'dm'
(dm / 'json').mkdir(parents=True)
(dm / 'original_files').mkdir()
(dm / 'original_files' / 'a.png').write_bytes(tiny_png(100, 50))
document = {
    'images': [
        {
            'bounding_box': [
                {
                    'id': 'b1',
                    'classification': 'cat',
                    'attrs': [],
                    'data': [10, 5, 20, 10],
                }
            ]
        }
    ]
}
(dm / 'json' / 'a.json').write_text(json.dumps(document))

to_yolo = get_converter('dm_v2', 'yolo', root_dir=dm, is_categorized=False)
to_yolo.convert()
to_yolo.save_to_folder(work / 'yolo')
labels = list((work / 'yolo').rglob('*.txt'))
assert labels, 'no YOLO label written'
back = get_converter('yolo', 'dm_v2', root_dir=work / 'yolo', is_categorized=False)
back.convert()
back.save_to_folder(work / 'dm_back')
assert list((work / 'dm_back').rglob('*.json')), 'no DM document written back'
print('synapse-converters smoke: ok')
