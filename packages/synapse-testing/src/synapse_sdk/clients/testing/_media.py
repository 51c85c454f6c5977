"""Original files the fake serves (``GET /media/files/<key>/<name>``), generated rather than stored.

An export that saves original files needs something to download, at benchmark scale too: 100,000
files of 16 KB held in memory would be 1.6 GB. So a file is a small spec (size, seed, kind) and its
bytes are generated on each request, the same bytes every time: random bytes, or, for ``kind='jpeg'``,
a JPEG whose header declares ``width`` x ``height`` (enough for image-size readers; the pixels are
noise). ``content=`` serves given bytes instead. The route is public, like a presigned storage URL:
it asks for no credentials, and a client must not send any.

Latency: ``state.media_latency`` seconds before every answer. Failures: ``backend.inject()`` on
``^/media/`` (a status, a delay, ``drop='before'``, or ``drop='partial'``: half the body, then the
connection closes).
"""

from __future__ import annotations

import hashlib
import random
import struct
import time
import uuid
from typing import Any

from synapse_sdk.clients.testing._server import HTTPFailure, Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState

__all__ = ['media_bytes', 'new_media', 'register_media']

MEDIA_PATH = '/media/files/'


def media_bytes(spec: dict[str, Any]) -> bytes:
    """The bytes of a media spec (generated deterministically unless it holds ``content``)."""
    content: bytes | None = spec.get('content')
    if content is not None:
        return content
    rng = random.Random(spec['seed'])
    size = spec['size']
    if spec.get('kind') == 'jpeg':
        width, height = spec.get('width') or 640, spec.get('height') or 480
        head = b'\xff\xd8\xff\xc0' + struct.pack('>HBHHB', 17, 8, height, width, 3)
        head += bytes((1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1)) + b'\xff\xda'
        body = rng.randbytes(max(size - len(head) - 2, 0))
        return (head + body + b'\xff\xd9')[: max(size, len(head) + 2)]
    return rng.randbytes(size)


def new_media(
    state: FakeState,
    base_url: str,
    *,
    content: bytes | None = None,
    size: int = 16_000,
    name: str = 'file.jpg',
    kind: str | None = None,
    width: int | None = None,
    height: int | None = None,
) -> dict[str, Any]:
    """Register a file and return ``{'url', 'size', 'checksum'}`` (SHA-1, as the platform's data files)."""
    key = uuid.uuid4().hex
    kind = kind or ('jpeg' if name.lower().endswith(('.jpg', '.jpeg')) and content is None else 'bytes')
    spec: dict[str, Any] = {'size': size, 'seed': key, 'kind': kind, 'width': width, 'height': height}
    if content is not None:
        spec = {'content': bytes(content)}
    data = media_bytes(spec)
    with state.lock:
        state.media[key] = spec
    return {
        'url': f'{base_url}{MEDIA_PATH}{key}/{name}',
        'size': len(data),
        'checksum': hashlib.sha1(data, usedforsecurity=False).hexdigest(),
    }


def register_media(router: Router, state: FakeState) -> None:
    def serve(r: Request) -> Response:
        spec = state.media.get(r.params['key'])
        if spec is None:
            raise HTTPFailure(404, 'no such file', {})
        if state.media_latency:
            time.sleep(state.media_latency)
        return Response(200, media_bytes(spec), content_type='application/octet-stream')

    router.add('GET', MEDIA_PATH + '{key}/{name}', serve, public=True)
