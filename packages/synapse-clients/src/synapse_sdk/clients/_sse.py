"""Server-sent events parsing (``text/event-stream``) for the clients; the fake backend writes its own frames."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event: its name (``message`` when the frame had no ``event:`` line) and raw data."""

    event: str
    data: str
    id: str | None = None

    def json(self) -> dict[str, Any]:
        """``data`` decoded as a JSON object; non-objects are wrapped as ``{'data': value}``, junk as ``{}``."""
        if not self.data:
            return {}
        try:
            value = json.loads(self.data)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {'data': value}


def iter_sse(lines: Iterable[str | bytes]) -> Iterator[SSEEvent]:
    """Parse decoded lines into events; a frame ends at a blank line, ``:`` lines are comments.

    A trailing frame without its blank line (the stream was cut) is *not* dispatched, so callers
    never act on half an event.
    """
    event = ''
    data: list[str] = []
    event_id: str | None = None
    for raw in lines:
        line = raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else raw
        line = line.rstrip('\r\n')
        if line == '':
            if data or event:
                yield SSEEvent(event or 'message', '\n'.join(data), event_id)
            event, data = '', []
            continue
        if line.startswith(':'):
            continue
        name, _, value = line.partition(':')
        value = value.removeprefix(' ')
        if name == 'event':
            event = value
        elif name == 'data':
            data.append(value)
        elif name == 'id':
            event_id = value


def iter_response_lines(response: Any, chunk_size: int = 8192) -> Iterator[str]:
    """Decoded lines of a streamed ``requests`` response as they arrive (blank lines included).

    ``requests``' own ``iter_lines`` can invent blank lines when ``\\r\\n`` straddles two chunks,
    which would split SSE frames; this splitter keeps the partial line until its newline arrives.

    When the response carries an idle deadline (``HttpCore.request(..., idle_timeout=)``), each
    complete line restarts it; a pause longer than that (or a server dripping bytes without ever
    finishing a line) raises `ClientTimeoutError`.
    """
    idle = getattr(response, 'idle_deadline', None)
    buffer = b''
    try:
        for chunk in _chunks(response, chunk_size):
            if not chunk:
                continue
            buffer += chunk
            while True:
                index = buffer.find(b'\n')
                if index < 0:
                    break
                line, buffer = buffer[:index], buffer[index + 1 :]
                if idle is not None:
                    idle.extend()
                yield line.rstrip(b'\r').decode('utf-8', 'replace')
    except Exception as exc:
        if idle is not None and idle.expired:
            from synapse_sdk.clients.exceptions import ClientTimeoutError

            raise ClientTimeoutError(
                f'no complete line within the idle timeout of {idle.seconds:g} s', url=_shown(response)
            ) from exc
        raise
    finally:
        if idle is not None:
            idle.cancel()
    if idle is not None and idle.expired:
        from synapse_sdk.clients.exceptions import ClientTimeoutError

        raise ClientTimeoutError(
            f'no complete line within the idle timeout of {idle.seconds:g} s', url=_shown(response)
        )
    if buffer:
        yield buffer.decode('utf-8', 'replace')


def _chunks(response: Any, size: int) -> Iterator[bytes]:
    """Bytes as soon as they arrive: urllib3's ``read1`` returns what one read brings, where
    ``iter_content`` would wait for `size` bytes of a response that is not chunk-encoded."""
    raw = getattr(response, 'raw', None)
    read1 = getattr(raw, 'read1', None)
    if read1 is None or getattr(response, '_content_consumed', False):
        yield from response.iter_content(chunk_size=size)
        return
    while True:
        data = read1(size, decode_content=True)
        if not data:
            return
        yield data


def _shown(response: Any) -> str | None:
    from synapse_sdk.security.redaction import redact_url

    url = getattr(response, 'url', None)
    return redact_url(url) if isinstance(url, str) else None
