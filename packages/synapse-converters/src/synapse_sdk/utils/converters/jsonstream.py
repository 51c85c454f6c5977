"""Reading one large JSON object member by member, and chosen top-level arrays element by element.

A COCO annotation file is a single JSON document whose ``images`` and ``annotations`` arrays hold the whole
dataset; ``json.load`` would hold all of it (about 20 KB per image for ten detailed annotations) at once. The
standard library has no incremental parser, but ``JSONDecoder.raw_decode`` parses one value at a given offset of a
string, at C speed. ``iter_object`` walks the top-level object itself (braces, keys, colons, commas: a handful of
characters per element) and hands each array element to ``raw_decode`` on a sliding window of the file, so memory
follows one element plus the window (``chunk`` characters).

A value cut by the end of the window fails to parse (or, for a number, parses short and ends exactly at the
window's end); the window then grows (doubling, so re-parsing stays linear) until the value is complete. A
genuinely malformed file is therefore read up to its end before the error is raised, never more than
``json.load`` would have held. Errors carry json's own message and the line number in the whole file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any, NoReturn, TypeAlias

__all__ = ['MAX_DEPTH', 'Event', 'JSONStreamError', 'iter_object', 'too_deep_at']

_WS = re.compile(r'[ \t\n\r]*')
_DECODER = json.JSONDecoder()
CHUNK = 1 << 16  # characters read at a time; a read briefly holds ~5x this (bytes, text, window copies)

Event: TypeAlias = tuple[str, str | None, Any, int]
"""``(event, key, value, size)`` of ``iter_object``: the value is whatever the JSON holds."""


MAX_DEPTH = 500  # the position reported for a document Python's parser refuses for its nesting
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def too_deep_at(text: str, limit: int = MAX_DEPTH) -> int:
    """Offset in ``text`` where arrays and objects nest ``limit`` deep (strings skipped); 0 if they never do.
    Only called once a parser has given up with ``RecursionError``."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in '[{':
            depth += 1
            if depth >= limit:
                return match.start()
        elif token in ']}':
            depth -= 1
    return 0


class JSONStreamError(ValueError):
    """The document is not valid JSON: ``msg`` (json's wording) and ``lineno`` in the whole file."""

    def __init__(self, msg: str, lineno: int):
        super().__init__(f'{msg}: line {lineno}')
        self.msg = msg
        self.lineno = lineno


class _Window:
    def __init__(self, fh: IO[str], chunk: int):
        self.fh = fh
        self.chunk = chunk
        self.buf = ''
        self.pos = 0
        self.line = 1  # line number of buf[0]
        self.eof = False

    def more(self, at_least: int = 0) -> bool:
        """Drop the consumed text, append at least ``max(chunk, at_least)`` characters; False at end of file."""
        if self.eof:
            return False
        data = self.fh.read(max(self.chunk, at_least))
        if not data:
            self.eof = True
            return False  # the window is left as it was: error positions still refer to it
        if self.pos:
            self.line += self.buf.count('\n', 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += data
        return True

    def peek(self) -> str:
        """The next non-whitespace character ('' at end of file), not consumed."""
        while True:
            blank = _WS.match(self.buf, self.pos)
            assert blank is not None  # '[ \t\n\r]*' matches anywhere, if only the empty string
            self.pos = blank.end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ''

    def take(self, char: str, message: str) -> None:
        if self.peek() != char:
            self.fail(message)
        self.pos += 1

    def fail(self, message: str, pos: int | None = None) -> NoReturn:
        pos = self.pos if pos is None else pos
        raise JSONStreamError(message, self.line + self.buf.count('\n', 0, pos))

    def value(self) -> tuple[Any, int]:
        """The next JSON value and the number of characters it took."""
        if not self.peek():
            self.fail('Expecting value')
        while True:
            start = self.pos
            try:
                obj, end = _DECODER.raw_decode(self.buf, start)
            except RecursionError:
                if self.more(len(self.buf)):  # read to the end of the value: the error names where it nests
                    continue
                depth_pos = start + too_deep_at(self.buf[start:])
                self.fail(f'nested deeper than {MAX_DEPTH} levels', depth_pos)
            except json.JSONDecodeError as exc:
                if self.more(len(self.buf)):  # maybe cut off by the window: widen it and parse again
                    continue
                self.fail(exc.msg, exc.pos)
            if end == len(self.buf) and self.more(len(self.buf)):
                continue  # a number may go on past the window (``12`` of ``123``): parse it again, wider
            self.pos = end
            return obj, end - start


def iter_object(fh: IO[str], arrays: frozenset[str] | set[str], chunk: int = CHUNK) -> Iterator[Event]:
    """Events of the top-level object of ``fh``, in document order:

    - ``('value', key, value, size)`` for a member parsed whole;
    - ``('begin', key, None, 0)`` then ``('element', key, value, size)`` per element, for a member named in
      ``arrays`` whose value is an array;
    - ``('document', None, value, size)`` (only event) when the document is valid JSON but not an object.

    Raises ``JSONStreamError`` where ``json.load`` would raise ``JSONDecodeError``, after the events before it.
    """
    win = _Window(fh, chunk)
    if win.peek() != '{':
        value, size = win.value()
        if win.peek():
            win.fail('Extra data')
        yield ('document', None, value, size)
        return
    win.pos += 1
    if win.peek() == '}':
        win.pos += 1
    else:
        while True:
            if win.peek() != '"':
                win.fail('Expecting property name enclosed in double quotes')
            key, _ = win.value()
            win.take(':', "Expecting ':' delimiter")
            if key in arrays and win.peek() == '[':
                win.pos += 1
                yield ('begin', key, None, 0)
                if win.peek() == ']':
                    win.pos += 1
                else:
                    while True:
                        value, size = win.value()
                        yield ('element', key, value, size)
                        char = win.peek()
                        win.pos += 1
                        if char == ']':
                            break
                        if char != ',':
                            win.pos -= 1
                            win.fail("Expecting ',' delimiter")
            else:
                value, size = win.value()
                yield ('value', key, value, size)
            char = win.peek()
            win.pos += 1
            if char == '}':
                break
            if char != ',':
                win.pos -= 1
                win.fail("Expecting ',' delimiter")
    if win.peek():
        win.fail('Extra data')
