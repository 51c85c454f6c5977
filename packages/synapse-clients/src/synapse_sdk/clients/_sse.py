"""Server-sent events framing (``text/event-stream``), shared by the clients and the fake backend."""

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


def format_sse(event: str | None, data: Any) -> bytes:
    """Encode one frame (``data`` JSON-encoded unless already a string)."""
    text = data if isinstance(data, str) else json.dumps(data)
    head = f'event: {event}\n' if event else ''
    body = ''.join(f'data: {line}\n' for line in text.split('\n'))
    return f'{head}{body}\n'.encode()


def iter_response_lines(response: Any, chunk_size: int = 8192) -> Iterator[str]:
    """Decoded lines of a streamed ``requests`` response as they arrive (blank lines included).

    ``requests``' own ``iter_lines`` can invent blank lines when ``\\r\\n`` straddles two chunks,
    which would split SSE frames; this splitter keeps the partial line until its newline arrives.
    """
    buffer = b''
    for chunk in response.iter_content(chunk_size=chunk_size):
        if not chunk:
            continue
        buffer += chunk
        while True:
            index = buffer.find(b'\n')
            if index < 0:
                break
            line, buffer = buffer[:index], buffer[index + 1 :]
            yield line.rstrip(b'\r').decode('utf-8', 'replace')
    if buffer:
        yield buffer.decode('utf-8', 'replace')
