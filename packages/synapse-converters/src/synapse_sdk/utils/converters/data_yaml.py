"""Ultralytics ``data.yaml``: read with PyYAML's safe loader, written with PyYAML so other tools read it back.

Dataset files are written by many tools (Ultralytics' own dataset files with block scalars, supervision's
``yaml.dump`` that wraps long flow lists, Roboflow, CVAT, hand-edited files), so reading them takes a real YAML
parser. PyYAML is imported here only, when a YOLO dataset is read or written, so importing the converters stays
light.
"""

from __future__ import annotations

from typing import Any

from .problems import ProblemKind, ProblemRecord

__all__ = ['DataYamlError', 'class_names', 'dump_data_yaml', 'load_data_yaml']


class DataYamlError(ValueError):
    """``data.yaml`` cannot be used: not YAML, not a mapping, or ``names`` is not a list or an id mapping."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.problem = ProblemRecord(ProblemKind.MALFORMED_YAML, path, message, line=line)
        super().__init__(str(self.problem))


def load_data_yaml(path: str) -> dict[str, Any]:
    """The top-level mapping of the YAML file at ``path`` (an empty file is an empty mapping)."""
    import yaml

    try:
        with open(path, encoding='utf-8') as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        line = mark.line + 1 if mark is not None else None
        message = ' '.join(str(getattr(exc, 'problem', None) or exc).split())
        raise DataYamlError(path, f'not valid YAML: {message}', line) from None
    except UnicodeDecodeError as exc:
        raise DataYamlError(path, f'not UTF-8: {exc}') from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataYamlError(path, f'the document must be a mapping of keys, got a {type(data).__name__}')
    return data


def class_names(path: str, data: dict[str, Any]) -> dict[int, str] | None:
    """Class id -> name from ``names`` (a list, or a mapping of ids as Ultralytics writes it), else from ``nc``
    (``class_0`` ... as Ultralytics names them); None when the file has neither."""
    names = data.get('names')
    if isinstance(names, list | tuple):
        return {i: str(name) for i, name in enumerate(names)}
    if isinstance(names, dict):
        out = {}
        for key, name in names.items():
            try:
                cid = int(key)
            except (TypeError, ValueError):
                cid = None
            if cid is None or cid < 0 or str(cid) != str(key).strip():
                raise DataYamlError(path, f'names: {key!r} is not a class id (0, 1, ...)')
            out[cid] = str(name)
        return out
    if names is not None:
        raise DataYamlError(path, f'names must be a list or a mapping of class ids, got {names!r}')
    nc = data.get('nc')
    if isinstance(nc, int) and not isinstance(nc, bool) and nc >= 0:
        return {i: f'class_{i}' for i in range(nc)}
    return None


def dump_data_yaml(data: dict[str, Any]) -> str:
    """YAML text of ``data``, one top-level key at a time: mappings (``names``) in block style, lists
    (``kpt_shape``, ``flip_idx``, ``keypoint_names``) in flow style, as Ultralytics' own dataset files are laid
    out; PyYAML quotes and escapes whatever needs it (class names such as ``yes``, ``1``, ``a: b`` or with
    control characters)."""
    import yaml

    return ''.join(
        yaml.safe_dump(
            {key: value},
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=None if isinstance(value, list | tuple) else False,
            width=1 << 16,
        )
        for key, value in data.items()
    )
