"""DM v1 <-> v2 document conversion (spec sections 3-5), for every tool.

v2 is the pivot every converter works with: readers of YOLO, COCO and VOC produce v2 image items, writers consume
them. v1 documents are converted to v2 on reading and back on writing. Unlike the reference SDK, regenerated ids
(polygon vertex ids) are derived deterministically from the annotation id, and v1 ``annotationGroups`` are rebuilt
from the annotations' ``group_id`` so a v2 -> v1 conversion without meta keeps groups (the joints of a pose, the
parts of a multi-part object).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container
from typing import Any

from .masks import MaskError, normalize_dm_mask

__all__ = ['DMFormatError', 'media_type', 'natural_key', 'v1_to_v2', 'v2_to_v1']

MEDIA_TYPES = ('image', 'video', 'pcd', 'text', 'audio', 'prompt', 'data')
CONTAINERS = tuple(t + 's' for t in MEDIA_TYPES)
_VIS_WORD = {0: 'missing', 1: 'occluded', 2: 'visible'}
_VIS_INT = {'missing': 0, 'occluded': 1, 'visible': 2}
V1_TOOLS = (
    'bounding_box',
    'polygon',
    'polyline',
    'keypoint',
    '3d_bounding_box',
    'segmentation',
    '3d_segmentation',
    'named_entity',
    'classification',
    'relation',
    'prompt',
    'answer',
    'time_range',
)


class DMFormatError(ValueError):
    """A DM document does not follow the format; ``annotation_id`` says which annotation when known."""

    def __init__(self, message: str, annotation_id: str | None = None):
        super().__init__(message)
        self.annotation_id = annotation_id


def natural_key(text: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', text)]


def media_type(media_id: str) -> str:
    for kind in MEDIA_TYPES:
        if media_id.startswith(kind):
            return kind
    raise DMFormatError(f'unknown media type of media id {media_id!r}')


def stable_id(*parts: object) -> str:
    """A 10-character id derived from ``parts``: conversions are reproducible, byte for byte."""
    return hashlib.sha1('\x1f'.join(str(p) for p in parts).encode('utf-8')).hexdigest()[:10]


def _num(v: Any, default: float = 0) -> Any:
    return v if isinstance(v, int | float) and not isinstance(v, bool) else default


def _visibility(value: Any, ann_id: str) -> int:
    if isinstance(value, str) and value in _VIS_INT:
        return _VIS_INT[value]
    if isinstance(value, int) and not isinstance(value, bool) and value in _VIS_WORD:
        return value
    raise DMFormatError(f'keypoint visibility {value!r} is not missing/occluded/visible or 0-2', ann_id)


# ---------------------------------------------------------------- v1 -> v2


def _geometry_v1_to_v2(
    tool: str, base: dict[str, Any], data: dict[str, Any], extra: dict[str, Any], ann_id: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    coord = data.get('coordinate')
    if tool == 'bounding_box':
        c = coord if isinstance(coord, dict) else {}
        out['data'] = [_num(c.get(k)) for k in ('x', 'y', 'width', 'height')]
        if c.get('rotation') is not None:
            out['rotation'] = c['rotation']
    elif tool in ('polygon', 'polyline'):
        pts = coord if isinstance(coord, list) else []
        out['data'] = [[p.get('x'), p.get('y')] for p in pts if isinstance(p, dict)]
    elif tool == 'keypoint':
        c = coord if isinstance(coord, dict) else {}
        out['data'] = [c.get('x'), c.get('y')]
    elif tool == '3d_bounding_box':
        psr = data.get('psr') or {}
        zero = {'x': 0, 'y': 0, 'z': 0}
        out['data'] = {k: psr.get(k, dict(zero)) for k in ('position', 'scale', 'rotation')}
    elif tool == 'segmentation':
        if 'pixel_indices' in data:
            compressed = data.get('isCompressed')
            fmt = data.get('compressionFormat')
            if not isinstance(compressed, bool) or ('compressionFormat' not in data):
                raise DMFormatError(
                    'image mask needs pixel_indices, isCompressed and compressionFormat', ann_id
                )
            if compressed != (fmt == 'rle') or (not compressed and fmt is not None):
                raise DMFormatError('mask isCompressed and compressionFormat disagree', ann_id)
            width, height = extra.get('width'), extra.get('height')
            if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
                raise DMFormatError('image mask needs extra.width and extra.height of its media', ann_id)
            encoding = 'dm_rle' if compressed else 'raw_indices'
            try:
                runs = normalize_dm_mask(data['pixel_indices'], encoding, width, height)
            except MaskError as exc:
                raise DMFormatError(str(exc), ann_id) from None
            if compressed:
                out['data'] = runs
            else:
                out['data'] = [i for s, n in runs for i in range(s, s + n)]
            out.update(encoding=encoding, isCompressed=compressed, compressionFormat=fmt)
        elif isinstance(data.get('section'), dict):
            sec = data['section']
            if 'start' in sec or 'end' in sec:
                out['data'] = {'start': _num(sec.get('start'), 0.0), 'end': _num(sec.get('end'), 0.0)}
            else:
                out['data'] = {
                    'startFrame': _num(sec.get('startFrame')),
                    'endFrame': _num(sec.get('endFrame')),
                }
        else:
            out['data'] = []
    elif tool == '3d_segmentation':
        out['data'] = {'points': data.get('points', [])}
    elif tool == 'named_entity':
        out['data'] = {'ranges': data.get('ranges', []), 'content': data.get('content', '')}
    elif tool == 'classification':
        out['data'] = {}
    elif tool == 'relation':
        out['data'] = [data.get('annotationId', ''), data.get('targetAnnotationId', '')]
    elif tool == 'prompt':
        out['data'] = {
            k: data[k] for k in ('input', 'model', 'displayName', 'generatedBy', 'timestamp') if k in data
        }
    elif tool == 'answer':
        keys = ('output', 'model', 'displayName', 'generatedBy', 'promptAnnotationId', 'timestamp')
        out['data'] = {k: data[k] for k in keys if k in data}
    elif tool == 'time_range':
        sec = data.get('section') or {}
        out['data'] = {'start': _num(sec.get('start')), 'end': _num(sec.get('end'))}
        if 'excludedTracks' in data:
            out['data']['excludedTracks'] = data['excludedTracks']
    return out


def _groups(doc: dict[str, Any], media_id: str, annotation_ids: Container[object]) -> dict[str, str]:
    groups = (doc.get('annotationGroups') or {}).get(media_id) or []
    if not isinstance(groups, list):
        raise DMFormatError(f'annotationGroups[{media_id!r}] must be a list')
    member_of: dict[str, str] = {}
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get('id'), str) or not group['id']:
            raise DMFormatError(f'annotationGroups[{media_id!r}] entry without a string id: {group!r}')
        ids = group.get('annotationIds')
        if not isinstance(ids, list):
            raise DMFormatError(f'annotation group {group["id"]!r} has no annotationIds list')
        for ann_id in ids:
            if ann_id not in annotation_ids:
                raise DMFormatError(f'annotation group {group["id"]!r} names unknown annotation {ann_id!r}')
            if ann_id in member_of:
                raise DMFormatError(f'annotation {ann_id!r} belongs to two groups', ann_id)
            member_of[ann_id] = group['id']
    return member_of


def v1_to_v2(doc: dict[str, Any], *, first_image_only: bool = False) -> dict[str, Any]:
    """Convert a DM v1 document to the DM v2 file form ``{classification, images, ...}``.

    v1 ``relations`` entries become v2 ``relation`` annotations (the reference SDK keeps them only in meta, which
    the backend does not store).
    """
    if not isinstance(doc, dict):
        raise DMFormatError('a DM v1 document must be a JSON object')
    if not isinstance(doc.get('annotations'), dict) or not isinstance(doc.get('annotationsData'), dict):
        raise DMFormatError("a DM v1 document needs 'annotations' and 'annotationsData' objects")
    extra_all = doc.get('extra') or {}
    extra_ids = (
        set(extra_all) if isinstance(extra_all, dict) else set()
    )  # media with no annotations still count
    media_ids = sorted(set(doc['annotations']) | set(doc['annotationsData']) | extra_ids, key=natural_key)
    out: dict[str, Any] = {'classification': {}}
    classes: dict[str, set[str]] = {}
    for media_id in media_ids:
        kind = media_type(media_id)
        if first_image_only and (kind != 'image' or out.get('images')):
            continue
        bases = doc['annotations'].get(media_id) or []
        datas = doc['annotationsData'].get(media_id) or []
        if not isinstance(bases, list) or not isinstance(datas, list):
            raise DMFormatError(f'annotations[{media_id!r}] and annotationsData[{media_id!r}] must be lists')
        by_id = {d.get('id'): d for d in datas if isinstance(d, dict)}
        ids = {b.get('id') for b in bases if isinstance(b, dict)}
        member_of = _groups(doc, media_id, ids)
        extra = extra_all.get(media_id) or {} if isinstance(extra_all, dict) else {}
        item: dict[str, list[dict[str, Any]]] = {}
        seen: set[str] = set()
        for base in bases:
            if not isinstance(base, dict):
                raise DMFormatError(f'annotation entry of {media_id!r} is not an object: {base!r}')
            tool = base.get('tool')
            if not tool:
                continue
            ann_id = base.get('id')
            if not isinstance(ann_id, str) or not ann_id:
                raise DMFormatError(f'{tool} annotation of {media_id!r} without an id')
            if ann_id in seen:
                raise DMFormatError(f'duplicate annotation id {ann_id!r}', ann_id)
            seen.add(ann_id)
            if tool not in V1_TOOLS:
                raise DMFormatError(f'unsupported tool {tool!r}', ann_id)
            cls_obj = base.get('classification') or {}
            if not isinstance(cls_obj, dict):
                raise DMFormatError('classification must be an object', ann_id)
            ann: dict[str, Any] = {'id': ann_id, 'classification': cls_obj.get('class') or '', 'attrs': []}
            geo = _geometry_v1_to_v2(tool, base, by_id.get(ann_id, {}), extra, ann_id)
            if 'rotation' in geo:
                ann['attrs'].append({'name': 'rotation', 'value': geo.pop('rotation')})
            for name, value in cls_obj.items():
                if name == 'class' or (tool == 'keypoint' and name == 'visibility'):
                    continue
                ann['attrs'].append({'name': name, 'value': value})
            ann.update(geo)
            if tool == 'keypoint' and 'visibility' in cls_obj:
                ann['visibility'] = _visibility(cls_obj['visibility'], ann_id)
            if ann_id in member_of:  # the joints of a pose, the parts of one object
                ann['group_id'] = member_of[ann_id]
            item.setdefault(tool, []).append(ann)
            if ann['classification']:
                classes.setdefault(tool, set()).add(ann['classification'])
        for rel in (doc.get('relations') or {}).get(media_id) or []:
            if not isinstance(rel, dict) or not rel.get('id'):
                raise DMFormatError(f'relations[{media_id!r}] entry without an id: {rel!r}')
            cls_obj = rel.get('classification') or {}
            ann = {
                'id': rel['id'],
                'classification': cls_obj.get('class') or '' if isinstance(cls_obj, dict) else '',
                'attrs': [{'name': k, 'value': v} for k, v in cls_obj.items() if k != 'class']
                if isinstance(cls_obj, dict)
                else [],
                'data': [rel.get('annotationId', ''), rel.get('targetAnnotationId', '')],
            }
            item.setdefault('relation', []).append(ann)
            if ann['classification']:
                classes.setdefault('relation', set()).add(ann['classification'])
        out.setdefault(kind + 's', []).append(item)
    out['classification'] = {tool: sorted(names) for tool, names in sorted(classes.items())}
    if first_image_only and 'images' not in out:
        out['images'] = [{}]
    return out


# ---------------------------------------------------------------- v2 -> v1


def _geometry_v2_to_v1(tool: str, ann: dict[str, Any]) -> dict[str, Any]:
    data = ann.get('data')
    ann_id = ann['id']
    if tool == 'bounding_box':
        d = data if isinstance(data, list) and len(data) >= 4 else [0, 0, 0, 0]
        coord = dict(zip(('x', 'y', 'width', 'height'), d[:4], strict=True))
        rot = next((a.get('value') for a in ann.get('attrs') or [] if a.get('name') == 'rotation'), None)
        if rot is not None:
            coord['rotation'] = rot
        return {'coordinate': coord}
    if tool in ('polygon', 'polyline'):
        pts = data if isinstance(data, list) else []
        return {
            'coordinate': [
                {'x': p[0], 'y': p[1], 'id': stable_id(ann_id, i)}
                for i, p in enumerate(pts)
                if isinstance(p, list | tuple) and len(p) >= 2
            ]
        }
    if tool == 'keypoint':
        if isinstance(data, list | tuple) and len(data) >= 2:
            return {'coordinate': {'x': data[0], 'y': data[1]}}
        return {'coordinate': {}}
    if tool == '3d_bounding_box':
        return {'psr': data if isinstance(data, dict) else {}}
    if tool == 'segmentation':
        if isinstance(data, list):
            for key in ('encoding', 'isCompressed', 'compressionFormat'):
                if key not in ann:
                    raise DMFormatError(f'image mask without {key!r}', ann_id)
            if (ann['encoding'] == 'dm_rle') != bool(ann['isCompressed']):
                raise DMFormatError('mask encoding and isCompressed disagree', ann_id)
            return {
                'pixel_indices': data,
                'isCompressed': ann['isCompressed'],
                'compressionFormat': ann['compressionFormat'],
            }
        if isinstance(data, dict) and ('start' in data or 'end' in data):
            return {'section': {'start': data.get('start', 0.0), 'end': data.get('end', 0.0)}}
        if isinstance(data, dict):
            return {'section': {'startFrame': data.get('startFrame', 0), 'endFrame': data.get('endFrame', 0)}}
        return {'pixel_indices': []}
    if tool == '3d_segmentation':
        return {'points': (data or {}).get('points', [])}
    if tool == 'named_entity':
        return {'ranges': (data or {}).get('ranges', []), 'content': (data or {}).get('content', '')}
    if tool == 'classification':
        return {}
    if tool == 'relation':
        d = data if isinstance(data, list) and len(data) == 2 else ['', '']
        return {'annotationId': d[0], 'targetAnnotationId': d[1]}
    if tool in ('prompt', 'answer'):
        return {'tool': tool, **(data if isinstance(data, dict) else {})}
    if tool == 'time_range':
        span = data if isinstance(data, dict) else {}
        out: dict[str, Any] = {'section': {'start': span.get('start', 0), 'end': span.get('end', 0)}}
        if 'excludedTracks' in span:
            out['excludedTracks'] = span['excludedTracks']
        return out
    raise DMFormatError(f'unsupported tool {tool!r}', ann_id)


def v2_to_v1(doc: dict[str, Any], *, extras: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Convert a DM v2 file-form document to canonical DM v1.

    ``extras`` gives per-media ``extra`` objects (e.g. ``{'image_1': {'width': 200, 'height': 100}}``); masks need
    the image size to be read back. Tool keys without a v1 equivalent (``group``) are left out by the caller's
    loss report, not here.
    """
    out: dict[str, Any] = {'annotations': {}, 'annotationsData': {}, 'extra': {}, 'relations': {}}
    out['annotationGroups'] = {}
    out['assignmentId'] = None
    for container in CONTAINERS:
        items = doc.get(container) or []
        if not isinstance(items, list):
            raise DMFormatError(f'{container!r} must be a list')
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise DMFormatError(f'{container}[{index - 1}] must be an object')
            media_id = f'{container[:-1]}_{index}'
            bases: list[dict[str, Any]] = []
            datas: list[dict[str, Any]] = []
            groups: dict[str, list[str]] = {}
            for tool in item:
                if tool not in V1_TOOLS:
                    continue
                anns = item[tool] or []
                if not isinstance(anns, list):
                    raise DMFormatError(f'{container}[{index - 1}] {tool!r} must be a list of annotations')
                for ann in anns:
                    if not isinstance(ann, dict) or not isinstance(ann.get('id'), str):
                        raise DMFormatError(
                            f'{container}[{index - 1}] has a {tool} entry without an id: {ann!r}'
                        )
                    ann_id: str = ann['id']  # checked just above
                    attrs = ann.get('attrs') or []
                    if not isinstance(attrs, list) or not all(
                        isinstance(a, dict) and isinstance(a.get('name'), str | None) for a in attrs
                    ):
                        raise DMFormatError(
                            f'attrs must be a list of objects with a name, got {attrs!r}', ann_id
                        )
                    cls_obj: dict[str, Any] = {'class': ann.get('classification') or ''}
                    for attr in attrs:
                        name = attr.get('name')
                        if (
                            not name
                            or name.startswith('_')
                            or (tool == 'bounding_box' and name == 'rotation')
                        ):
                            continue
                        if tool == 'keypoint' and name == 'visibility' and 'visibility' in ann:
                            raise DMFormatError('keypoint has both a visibility field and attribute', ann_id)
                        cls_obj[name] = attr.get('value')
                    if tool == 'keypoint' and 'visibility' in ann:
                        cls_obj['visibility'] = _VIS_WORD[_visibility(ann['visibility'], ann_id)]
                    bases.append(
                        {
                            'id': ann_id,
                            'tool': tool,
                            'isLocked': False,
                            'isVisible': True,
                            'isValid': False,
                            'isDrawCompleted': True,
                            'label': [],
                            'classification': cls_obj,
                        }
                    )
                    datas.append({'id': ann_id, **_geometry_v2_to_v1(tool, ann)})
                    if ann.get('group_id'):
                        groups.setdefault(ann['group_id'], []).append(ann_id)
            if bases:
                out['annotations'][media_id] = bases
                out['annotationsData'][media_id] = datas
            if groups:
                out['annotationGroups'][media_id] = [
                    {'id': g, 'annotationIds': ids} for g, ids in groups.items()
                ]
            if extras and media_id in extras:
                out['extra'][media_id] = extras[media_id]
    return out
