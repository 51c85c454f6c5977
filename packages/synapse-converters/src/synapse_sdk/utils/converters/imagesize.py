"""Image dimensions from file headers, without decoding pixels.

Converters need width, height and channel count of every image (to normalise YOLO coordinates, to check boxes
lie inside the image, to write VOC ``<size>``). Decoding a 12-megapixel JPEG to learn that it is 4000x3000 would
dominate conversion time, and would need Pillow; the headers of PNG, JPEG, BMP, WebP and GIF hold the answer in
their first bytes (JPEG: in the first SOF marker).
"""

from __future__ import annotations

import struct
from typing import BinaryIO, NamedTuple

__all__ = ['ImageInfo', 'ImageSizeError', 'read_image_size']


class ImageSizeError(ValueError):
    """The file is not an image of a supported kind, or its header is truncated or corrupt."""


class ImageInfo(NamedTuple):
    width: int
    height: int
    channels: int
    format: str


_PNG_CHANNELS = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}
# SOF markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def read_image_size(path: str) -> ImageInfo:
    """Return ``ImageInfo(width, height, channels, format)`` read from the header of the image at ``path``."""
    with open(path, 'rb') as fh:
        head = fh.read(64)
        if head.startswith(b'\x89PNG\r\n\x1a\n'):
            return _png(head, path)
        if head[:2] == b'\xff\xd8':
            return _jpeg(fh, path)
        if head[:2] == b'BM':
            return _bmp(head, path)
        if head[:4] == b'RIFF' and head[8:12] == b'WEBP':
            return _webp(head, path)
        if head[:6] in (b'GIF87a', b'GIF89a'):
            if len(head) < 10:
                raise ImageSizeError(f'{path}: truncated GIF header')
            w, h = struct.unpack('<HH', head[6:10])
            return _checked(ImageInfo(w, h, 3, 'gif'), path)
    raise ImageSizeError(f'{path}: not a PNG, JPEG, BMP, WebP or GIF image')


def _checked(info: ImageInfo, path: str) -> ImageInfo:
    if info.width <= 0 or info.height <= 0:
        raise ImageSizeError(f'{path}: header declares an empty image ({info.width}x{info.height})')
    return info


def _png(head: bytes, path: str) -> ImageInfo:
    if len(head) < 26 or head[12:16] != b'IHDR':
        raise ImageSizeError(f'{path}: PNG without an IHDR chunk')
    w, h = struct.unpack('>II', head[16:24])
    return _checked(ImageInfo(w, h, _PNG_CHANNELS.get(head[25], 3), 'png'), path)


def _jpeg(fh: BinaryIO, path: str) -> ImageInfo:
    fh.seek(2)
    while True:
        byte = fh.read(1)
        while byte and byte != b'\xff':  # skip garbage between segments
            byte = fh.read(1)
        while byte == b'\xff':  # fill bytes
            byte = fh.read(1)
        if not byte:
            raise ImageSizeError(f'{path}: JPEG ends before a frame header (SOF)')
        marker = byte[0]
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            continue
        if marker == 0xD9:
            raise ImageSizeError(f'{path}: JPEG ends before a frame header (SOF)')
        raw = fh.read(2)
        if len(raw) < 2:
            raise ImageSizeError(f'{path}: truncated JPEG segment')
        length = struct.unpack('>H', raw)[0]
        if marker in _JPEG_SOF:
            body = fh.read(6)
            if len(body) < 6:
                raise ImageSizeError(f'{path}: truncated JPEG frame header')
            h, w = struct.unpack('>HH', body[1:5])
            return _checked(ImageInfo(w, h, body[5], 'jpeg'), path)
        if length < 2:
            raise ImageSizeError(f'{path}: corrupt JPEG segment length')
        fh.seek(length - 2, 1)


def _bmp(head: bytes, path: str) -> ImageInfo:
    if len(head) < 26:
        raise ImageSizeError(f'{path}: truncated BMP header')
    header_size = struct.unpack('<I', head[14:18])[0]
    if header_size == 12:  # OS/2 BITMAPCOREHEADER
        w, h = struct.unpack('<HH', head[18:22])
        bpp = struct.unpack('<H', head[24:26])[0]
    else:
        if len(head) < 30:
            raise ImageSizeError(f'{path}: truncated BMP header')
        w, h = struct.unpack('<ii', head[18:26])
        bpp = struct.unpack('<H', head[28:30])[0]
    return _checked(ImageInfo(w, abs(h), 4 if bpp == 32 else 3, 'bmp'), path)


def _webp(head: bytes, path: str) -> ImageInfo:
    chunk = head[12:16]
    if chunk == b'VP8 ' and len(head) >= 30:
        w, h = struct.unpack('<HH', head[26:30])
        return _checked(ImageInfo(w & 0x3FFF, h & 0x3FFF, 3, 'webp'), path)
    if chunk == b'VP8L' and len(head) >= 25:
        bits = int.from_bytes(head[21:25], 'little')
        alpha = (bits >> 28) & 1
        return _checked(ImageInfo((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, 3 + alpha, 'webp'), path)
    if chunk == b'VP8X' and len(head) >= 30:
        alpha = (head[20] >> 4) & 1
        w = int.from_bytes(head[24:27], 'little') + 1
        h = int.from_bytes(head[27:30], 'little') + 1
        return _checked(ImageInfo(w, h, 3 + alpha, 'webp'), path)
    raise ImageSizeError(f'{path}: unsupported or truncated WebP header')
