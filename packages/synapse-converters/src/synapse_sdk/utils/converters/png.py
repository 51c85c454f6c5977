"""Minimal PNG encoder/decoder for 8-bit masks (stdlib zlib only).

Pascal VOC stores segmentation as 8-bit palette PNGs (``SegmentationClass``/``SegmentationObject``). Writing and
reading those is all the converters need from PNG, so this module does exactly that rather than pulling in
Pillow: encode grey/palette/RGB images, and decode 8-bit grey or palette images to one byte per pixel.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

__all__ = ['PngError', 'decode_png_8bit', 'encode_png', 'voc_palette']

_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_COLOR_TYPES = {'L': (0, 1), 'RGB': (2, 3), 'P': (3, 1)}


class PngError(ValueError):
    """The PNG is corrupt, truncated or of a kind this decoder does not handle."""


@lru_cache(maxsize=1)
def voc_palette() -> bytes:
    """The standard 256-entry Pascal VOC palette (index -> bit-interleaved RGB), 768 bytes."""
    out = bytearray()
    for index in range(256):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        out += bytes((r, g, b))
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(
    width: int, height: int, pixels: bytes, *, mode: str = 'L', palette: bytes | None = None
) -> bytes:
    """Encode ``pixels`` (row-major, 1 byte per sample) as a PNG of ``mode`` ``'L'``, ``'P'`` or ``'RGB'``."""
    color_type, samples = _COLOR_TYPES[mode]
    stride = width * samples
    if len(pixels) != stride * height:
        raise ValueError(
            f'expected {stride * height} pixel bytes for {width}x{height} {mode}, got {len(pixels)}'
        )
    view = memoryview(pixels)
    # Filter type None on every row: masks compress well without prediction. One C-level join puts the filter
    # byte before each row (a concatenation per row cost as much as compressing).
    rows = [view[y * stride : (y + 1) * stride] for y in range(height)]
    raw = b'\x00' + b'\x00'.join(rows) if rows else b''
    parts = [_SIGNATURE, _chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, color_type, 0, 0, 0))]
    if mode == 'P':
        parts.append(_chunk(b'PLTE', palette if palette is not None else voc_palette()))
    parts.append(_chunk(b'IDAT', zlib.compress(raw, 1)))
    parts.append(_chunk(b'IEND', b''))
    return b''.join(parts)


def decode_png_8bit(data: bytes, size: tuple[int, int] | None = None) -> tuple[int, int, bytearray]:
    """Decode an 8-bit grey or palette PNG to ``(width, height, one byte per pixel)`` (palette indices kept).

    ``size`` (width, height), when given, is checked against the header before anything is inflated, and the
    image data is never inflated past the size the header declares: a small file that inflates to gigabytes (a
    decompression bomb) is an error, not an allocation."""
    if not data.startswith(_SIGNATURE):
        raise PngError('not a PNG file')
    pos = len(_SIGNATURE)
    header = None
    idat = bytearray()
    while pos + 8 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) < length:
            raise PngError('truncated PNG chunk')
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        elif kind == b'IEND':
            break
        pos += 12 + length
    if header is None:
        raise PngError('PNG without IHDR')
    width, height, depth, color_type, _, _, interlace = header
    if depth != 8 or color_type not in (0, 3) or interlace:
        raise PngError(
            f'only 8-bit non-interlaced grey or palette PNG masks are supported '
            f'(got bit depth {depth}, colour type {color_type}, interlace {interlace})'
        )
    if size is not None and (width, height) != tuple(size):
        raise PngError(f'mask is {width}x{height}, image is {size[0]}x{size[1]}')
    expected = (width + 1) * height
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(bytes(idat), expected)
        if inflater.unconsumed_tail or (not inflater.eof and inflater.decompress(b'', 1)):
            raise PngError(f'PNG image data inflates past the {width}x{height} its header declares')
    except zlib.error as exc:
        raise PngError(f'corrupt PNG image data: {exc}') from exc
    if len(raw) != expected:
        raise PngError('PNG image data has the wrong size')
    if not raw[:: width + 1].strip(
        b'\x00'
    ):  # no row filtered (masks written by encode_png): drop filter bytes
        out = bytearray(raw)
        del out[:: width + 1]
        return width, height, out
    out = bytearray(width * height)
    prev = bytearray(width)
    for y in range(height):
        start = y * (width + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + width])
        if ftype == 1:
            for x in range(1, width):
                line[x] = (line[x] + line[x - 1]) & 0xFF
        elif ftype == 2:
            for x in range(width):
                line[x] = (line[x] + prev[x]) & 0xFF
        elif ftype == 3:
            for x in range(width):
                left = line[x - 1] if x else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 0xFF
        elif ftype == 4:
            for x in range(width):
                a = line[x - 1] if x else 0
                b = prev[x]
                c = prev[x - 1] if x else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        elif ftype != 0:
            raise PngError(f'unknown PNG filter type {ftype}')
        out[y * width : (y + 1) * width] = line
        prev = line
    return width, height, out
