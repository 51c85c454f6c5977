"""What the converters' public types say, pinned: mypy checks this file (`tools/typecheck.py typing`) and pytest
runs it.

Each ``assert_type`` fails the type check when a declared type drifts (to ``Any`` included); the run builds a
one-image DM v2 dataset and converts it for real, so each ``isinstance`` fails the test when a declared type is
not what the converter returns.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any, assert_type

from synapse_sdk.utils.converters import (
    BaseConverter,
    ConversionReport,
    ConversionResult,
    DatasetWriter,
    DMRecord,
    ImageInfo,
    Loss,
    Problem,
    get_converter,
    read_image_size,
    supported_pairs,
    v1_to_v2,
    v2_to_v1,
)

DOC = {
    'images': [
        {
            'bounding_box': [{'id': 'b', 'classification': 'car', 'attrs': [], 'data': [1, 1, 4, 3]}],
            'polyline': [{'id': 'l', 'classification': 'lane', 'attrs': [], 'data': [[0, 0], [5, 5]]}],
        }
    ]
}


def _png(width: int, height: int) -> bytes:
    """A grey PNG written with the standard library (the converters read only its header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

    rows = b''.join(b'\x00' + b'\x80' * width for _ in range(height))
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    return (
        b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', header)
        + chunk(b'IDAT', zlib.compress(rows))
        + chunk(b'IEND', b'')
    )


def _dataset(root: Path) -> Path:
    (root / 'json').mkdir(parents=True)
    (root / 'original_files').mkdir()
    (root / 'original_files' / 'a.png').write_bytes(_png(8, 6))
    (root / 'json' / 'a.json').write_text(json.dumps(DOC), encoding='utf-8')
    return root


def test_a_conversion_returns_typed_results(tmp_path: Path) -> None:
    src = _dataset(tmp_path / 'dm')
    converter = get_converter('dm_v2', 'coco', root_dir=src)
    assert_type(converter, BaseConverter)
    checked = converter.convert()
    assert_type(checked, ConversionResult)
    saved = converter.save_to_folder(tmp_path / 'coco')
    assert_type(saved, ConversionResult)
    assert isinstance(saved, ConversionResult) and saved.written and saved.items == 1
    assert_type(saved.report, ConversionReport)
    assert_type(saved.report.losses, list[Loss])
    assert_type(saved.report.problems, list[Problem])
    assert [type(loss) for loss in saved.report.losses] == [Loss]  # the polyline COCO has no place for
    assert_type(supported_pairs(), list[tuple[str, str]])

    info = read_image_size(str(src / 'original_files' / 'a.png'))
    assert_type(info, ImageInfo)
    assert isinstance(info, ImageInfo) and (info.width, info.height) == (8, 6)

    v1 = v2_to_v1(DOC)
    assert_type(v1, dict[str, Any])
    assert_type(v1_to_v2(v1), dict[str, Any])
    assert isinstance(v1, dict) and isinstance(v1_to_v2(v1), dict)


def test_a_dataset_writer_returns_a_typed_result(tmp_path: Path) -> None:
    with DatasetWriter('yolo', tmp_path / 'yolo', task='detect') as writer:
        assert_type(writer, DatasetWriter)
        assert_type(writer.result, ConversionResult | None)
        writer.write(DMRecord(name='a', document=DOC, width=8, height=6))
    result = writer.close()  # after the with block: the result it closed with
    assert_type(result, ConversionResult)
    assert isinstance(result, ConversionResult) and result.items == 1
