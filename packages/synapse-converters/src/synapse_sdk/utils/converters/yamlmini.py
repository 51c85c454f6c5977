"""Just enough YAML for Ultralytics ``data.yaml`` files, so converters need no YAML library.

Reads top-level ``key: value`` pairs whose values are scalars, flow lists (``[a, 'b']``), block lists (``- a``) or
block mappings of scalars (``  0: person``); comments and blank lines are ignored. That covers the data.yaml files
Ultralytics, Roboflow and CVAT write. Anything else raises ``ValueError`` naming the line.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ['dump_data_yaml', 'load_data_yaml']


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in '"\'':
            quote = ch
        elif ch == '#' and (i == 0 or line[i - 1] in ' \t'):
            return line[:i].rstrip()
    return line.rstrip()


def _scalar(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    if text[0] == '"':
        return json.loads(text)
    if text[0] == "'":
        return text[1:-1].replace("''", "'")
    if text[0] == '[':
        return _flow_list(text)
    if text == '{}':
        return {}
    if text in ('null', '~'):
        return None
    if text in ('true', 'True'):
        return True
    if text in ('false', 'False'):
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _flow_list(text: str) -> list:
    if not text.endswith(']'):
        raise ValueError(f'unterminated flow list: {text}')
    inner = text[1:-1]
    items, buf, quote, depth = [], '', None, 0
    for ch in inner:
        if quote:
            buf += ch
            if ch == quote:
                quote = None
            continue
        if ch in '"\'':
            quote = ch
        elif ch == '[':
            depth += 1
        elif ch == ']':
            depth -= 1
        elif ch == ',' and depth == 0:
            items.append(buf)
            buf = ''
            continue
        buf += ch
    if buf.strip():
        items.append(buf)
    return [_scalar(item) for item in items]


def load_data_yaml(text: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    key = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        try:
            if indent == 0:
                if ':' not in body:
                    raise ValueError('expected "key: value"')
                key, _, rest = body.partition(':')
                key = key.strip().strip('"\'')
                data[key] = _scalar(rest) if rest.strip() else None
            elif key is None:
                raise ValueError('indented line before any key')
            elif body.startswith('- ') or body == '-':
                if data[key] is None:
                    data[key] = []
                if not isinstance(data[key], list):
                    raise ValueError(f'list item under non-list key {key!r}')
                data[key].append(_scalar(body[1:]))
            else:
                sub, _, rest = body.partition(':')
                if data[key] is None:
                    data[key] = {}
                if not isinstance(data[key], dict):
                    raise ValueError(f'mapping entry under non-mapping key {key!r}')
                data[key][_scalar(sub)] = _scalar(rest)
        except ValueError as exc:
            raise ValueError(f'line {lineno}: {exc}') from None
    return data


def dump_data_yaml(data: dict[str, Any]) -> str:
    """Write ``data`` with strings JSON-quoted (valid YAML), lists in flow style, dicts as block mappings."""
    lines = []
    for key, value in data.items():
        if isinstance(value, dict) and not value:
            lines.append(f'{key}: {{}}')
        elif isinstance(value, dict):
            lines.append(f'{key}:')
            lines.extend(f'  {k}: {json.dumps(v, ensure_ascii=False)}' for k, v in value.items())
        else:
            lines.append(f'{key}: {json.dumps(value, ensure_ascii=False)}')
    return '\n'.join(lines) + '\n'
