"""Server-sent event frames as the fake backend writes them (``text/event-stream``).

The fake keeps its own writer rather than sharing code with the clients' parser, so the tests check
that parser against a separate implementation of the framing.
"""

from __future__ import annotations

import json
from typing import Any


def format_sse(event: str | None, data: Any) -> bytes:
    """Encode one frame: an ``event:`` line if named, one ``data:`` line per line of ``data`` (JSON-encoded
    unless already a string), then the blank line that dispatches it."""
    text = data if isinstance(data, str) else json.dumps(data)
    head = f'event: {event}\n' if event else ''
    body = ''.join(f'data: {line}\n' for line in text.split('\n'))
    return f'{head}{body}\n'.encode()
