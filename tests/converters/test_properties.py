"""Properties over generated datasets (hypothesis): every output reads back, and round trips keep every object.

The generated DM v2 datasets hold boxes (integer and fractional, one pixel, on the image border), polygons,
multi-part polygons (members sharing a ``group_id`` plus a ``group`` annotation), masks (rectangles, single
pixels, two blobs; some marked ``iscrowd``, which COCO writes as crowd RLE), poses (keypoints with a
``group_id``), empty images, non-ASCII and spaced class names and file names with spaces and non-ASCII letters.
Examples are derandomised (the same every run, so CI does not flake) and few (the whole module runs in
seconds); ``SYNAPSE_HYPOTHESIS_EXAMPLES=500`` runs more, with fresh random examples.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from converters_fixtures import dm_objects, png_bytes, read_dm_v2, same_objects
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.converters.masks import polygon_runs

_MORE = int(os.environ.get('SYNAPSE_HYPOTHESIS_EXAMPLES', '0'))


def _settings(examples: int):
    return settings(
        max_examples=_MORE or examples,
        derandomize=not _MORE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


CLASSES = ('car', 'road sign', 'café', '자동차', "o'neil")
STEMS = ('img 1', 'café_2', '사진 3', 'plain', 'a b c', 'x-5')
JOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'left_shoulder', 'right_knee')
FORMATS = ('dm_v1', 'dm_v2', 'yolo', 'coco', 'pascal')


# ---------------------------------------------------------------- generated datasets


@st.composite
def coordinate(draw, limit: int):
    """An integer, a half or a quarter pixel in [0, limit]."""
    value = draw(st.integers(0, 4 * limit)) / 4
    return draw(st.sampled_from([round(value), int(value), value])) if value <= limit else limit


@st.composite
def shape(draw, w: int, h: int, n: int, taken: list):
    """One object of the image (annotations dict), or None when a shape would overlap one drawn before: Pascal
    VOC's instance mask holds one object per pixel, so overlapping shapes could not come back whole."""
    kind = draw(
        st.sampled_from(['box', 'box', 'pixel_box', 'border_box', 'polygon', 'parts', 'mask', 'pose'])
    )
    cls = draw(st.sampled_from(CLASSES))
    ident = f'o{n}'
    if kind in ('box', 'pixel_box', 'border_box'):
        if kind == 'pixel_box':
            x, y, bw, bh = draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1)), 1, 1
        else:
            x, y = draw(coordinate(w - 1)), draw(coordinate(h - 1))
            bw = draw(st.integers(1, 8)) / draw(st.sampled_from([1, 2, 4]))
            bh = draw(st.integers(1, 8)) / draw(st.sampled_from([1, 2, 4]))
            bw, bh = min(bw, w - x), min(bh, h - y)
            if kind == 'border_box':
                x, bw = w - bw, bw  # on the right edge
        return {'bounding_box': [{'id': ident, 'classification': cls, 'attrs': [], 'data': [x, y, bw, bh]}]}
    if kind == 'pose':
        names = draw(st.lists(st.sampled_from(JOINTS), min_size=2, max_size=4, unique=True))
        xs = draw(st.lists(st.integers(0, w), min_size=len(names), max_size=len(names), unique=True))
        ys = draw(st.lists(st.integers(0, h), min_size=len(names), max_size=len(names), unique=True))
        gid = f'g{n}'
        kps = [
            {
                'id': f'{ident}k{j}',
                'classification': name,
                'attrs': [],
                'data': [x, y],
                'visibility': draw(st.sampled_from([1, 2])),
                'group_id': gid,
            }
            for j, (name, x, y) in enumerate(zip(names, xs, ys, strict=True))
        ]
        group = {'id': gid, 'classification': 'person', 'attrs': [], 'data': [k['id'] for k in kps]}
        return {'keypoint': kps, 'group': [group]}
    # shapes: inside a cell that no earlier shape touches
    cw, ch = draw(st.integers(2, max(2, min(12, w)))), draw(st.integers(2, max(2, min(12, h))))
    x0, y0 = draw(st.integers(0, w - cw)), draw(st.integers(0, h - ch))
    cell = (x0, y0, x0 + cw, y0 + ch)
    if any(not (cell[2] < t[0] or t[2] < cell[0] or cell[3] < t[1] or t[3] < cell[1]) for t in taken):
        return None
    taken.append(cell)
    if kind in ('polygon', 'parts'):
        parts = []
        for _ in range(1 if kind == 'polygon' else draw(st.integers(2, 3))):
            k = draw(st.integers(3, 5))
            pts = [[x0 + draw(coordinate(cw)), y0 + draw(coordinate(ch))] for _ in range(k)]
            xs, ys = {p[0] for p in pts}, {p[1] for p in pts}
            if len(xs) < 2 or len(ys) < 2 or len({tuple(p) for p in pts}) < 3:
                pts = [[x0, y0], [x0 + cw, y0], [x0 + cw / 2, y0 + ch]]
            parts.append(pts)
        if kind == 'polygon':
            return {'polygon': [{'id': ident, 'classification': cls, 'attrs': [], 'data': parts[0]}]}
        gid = f'g{n}'
        polys = [
            {'id': f'{ident}p{i}', 'classification': cls, 'attrs': [], 'data': pts, 'group_id': gid}
            for i, pts in enumerate(parts)
        ]
        group = {'id': gid, 'classification': cls, 'attrs': [], 'data': [p['id'] for p in polys]}
        return {'polygon': polys, 'group': [group]}
    form = draw(st.sampled_from(['rect', 'pixel', 'blobs']))
    if form == 'pixel':
        pixels = {(x0, y0)}
    elif form == 'rect':
        pixels = {(x, y) for x in range(x0, x0 + cw) for y in range(y0, y0 + ch)}
    else:  # two blobs apart
        pixels = {(x0, y0), (x0 + 1, y0)} | {(x0 + cw - 1, y0 + ch - 1)}
    indices = sorted(y * w + x for x, y in pixels)
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1][1] += 1
        else:
            runs.append([i, 1])
    crowd = draw(st.booleans())
    mask = {
        'id': ident,
        'classification': cls,
        'attrs': [{'name': 'iscrowd', 'value': 1}] if crowd else [],
        'data': runs,
        'encoding': 'dm_rle',
        'isCompressed': True,
        'compressionFormat': 'rle',
    }
    return {'segmentation': [mask]}


@st.composite
def image_item(draw):
    w, h = draw(st.integers(8, 40)), draw(st.integers(8, 40))
    image: dict[str, list] = {}
    taken: list = []
    for n in range(draw(st.integers(0, 5))):  # 0: an empty image
        found = draw(shape(w, h, n, taken))
        for tool, anns in (found or {}).items():
            image.setdefault(tool, []).extend(anns)
    return w, h, image


@st.composite
def dataset(draw):
    stems = draw(st.lists(st.sampled_from(STEMS), min_size=1, max_size=3, unique=True))
    return {stem: draw(image_item()) for stem in stems}


def write_dataset(root: Path, items: dict) -> Path:
    (root / 'json').mkdir(parents=True)
    (root / 'original_files').mkdir()
    for stem, (w, h, image) in items.items():
        (root / 'json' / f'{stem}.json').write_text(json.dumps({'images': [image]}), encoding='utf-8')
        (root / 'original_files' / f'{stem}.png').write_bytes(png_bytes(w, h))
    return root


# ---------------------------------------------------------------- every output reads back


def _crowd_as_coco_writes_it(path: Path) -> None:
    """COCO's own crowd annotations carry uncompressed RLE (``counts`` a list of column-major run lengths): turn
    ours (compressed strings) into that, computed here from the decoded pixels."""
    from synapse_sdk.utils.converters.masks import decode_coco_rle

    data = json.loads(path.read_text(encoding='utf-8'))
    for ann in data['annotations']:
        if ann['iscrowd'] and isinstance(ann['segmentation'], dict):
            h, w = ann['segmentation']['size']
            bitmap = decode_coco_rle(ann['segmentation'], w, h)
            column_major = [bitmap[y * w + x] for x in range(w) for y in range(h)]
            counts, value, run = [], 0, 0
            for pixel in column_major:
                if pixel != value:
                    counts.append(run)
                    value, run = pixel, 0
                run += 1
            counts.append(run)
            ann['segmentation'] = {'size': [h, w], 'counts': counts}
    path.write_text(json.dumps(data), encoding='utf-8')


SOURCES = {  # how each source format's dataset is made from the generated DM v2 one (by our own writers)
    'dm_v1': ('dm_v1', {}),
    'yolo detect': ('yolo', {'task': 'detect'}),
    'yolo segment': ('yolo', {'task': 'segment'}),
    'yolo pose': ('yolo', {'task': 'pose'}),
    'coco': ('coco', {}),
    'pascal': ('pascal', {}),
}


def _boxes(w, h, *boxes):
    return {
        'img 1': (
            w,
            h,
            {
                'bounding_box': [
                    {'id': f'o{i}', 'classification': 'car', 'attrs': [], 'data': list(box)}
                    for i, box in enumerate(boxes)
                ]
            },
        )
    }


@_settings(6)
@given(items=dataset())
# found by this test: a one-pixel box (a 4-corner polygon in YOLO segment) whose pixels a later object covers in
# Pascal VOC's instance mask was read back as a box without area (fixed by the devkit convention)
@example(items=_boxes(8, 8, (7, 0, 1.0, 1.0), (0, 0, 7.0, 1.0)))
@example(  # a crowd mask (uncompressed RLE in the COCO source) and a two-part polygon, on an image with a space
    items={
        'a b c': (
            12,
            10,
            {
                'segmentation': [
                    {
                        'id': 'm',
                        'classification': 'café',
                        'attrs': [{'name': 'iscrowd', 'value': 1}],
                        'data': [[13, 3], [25, 3]],
                        'encoding': 'dm_rle',
                        'isCompressed': True,
                        'compressionFormat': 'rle',
                    }
                ],
                'polygon': [
                    {
                        'id': 'p0',
                        'classification': '자동차',
                        'attrs': [],
                        'data': [[6, 5], [9, 5], [9, 8]],
                        'group_id': 'g',
                    },
                    {
                        'id': 'p1',
                        'classification': '자동차',
                        'attrs': [],
                        'data': [[0, 6], [3, 9], [0, 9]],
                        'group_id': 'g',
                    },
                ],
                'group': [{'id': 'g', 'classification': '자동차', 'attrs': [], 'data': ['p0', 'p1']}],
            },
        )
    }
)
def test_every_output_reads_back(items):
    """For every direction S -> T, on every generated dataset: the conversion succeeds under the default policy
    (``fail``), and what it wrote is read by the converter again (T -> a DM version) without a problem."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = {'dm_v2': ('dm_v2', write_dataset(tmp / 'src', items))}
        for name, (fmt, options) in SOURCES.items():
            out = tmp / name.replace(' ', '_')
            get_converter('dm_v2', fmt, root_dir=sources['dm_v2'][1], **options).save_to_folder(out)
            if fmt == 'coco':
                _crowd_as_coco_writes_it(out / 'annotations/instances.json')
            sources[name] = (fmt, out)
        for name, (source, root) in sources.items():
            for target in FORMATS:
                if target == source:
                    continue
                out = tmp / 'x' / f'{name}-{target}'.replace(' ', '_')
                result = get_converter(source, target, root_dir=root).save_to_folder(out)
                assert result.ok, (name, target)
                back = 'dm_v1' if target == 'dm_v2' else 'dm_v2'
                reread = get_converter(target, back, root_dir=out).convert()  # the default policy: fail
                assert reread.ok and reread.items == len(items), (name, target)


# ---------------------------------------------------------------- round trips keep every object


def _tools(image: dict) -> dict:
    return {tool: len(anns) for tool, anns in image.items() if anns}


def _rasterised(image: dict, w: int, h: int) -> dict:
    """The image as Pascal VOC holds it: each polygon as the mask of its lattice points (a polygon thinner than
    the lattice stays a polygon: VOC writes its box)."""
    out = {tool: list(anns) for tool, anns in image.items()}
    for poly in image.get('polygon', []):
        runs = polygon_runs(poly['data'], w, h)
        if runs:
            out['polygon'].remove(poly)
            out.setdefault('segmentation', []).append({**poly, 'data': runs})
    return out


def _numbers(value):
    """``data`` with every number as a float (COCO writes coordinates as floats: 1 and 1.0 are one value)."""
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return float(value) if isinstance(value, int | float) else value


@_settings(12)
@given(items=dataset())
@example(items=_boxes(8, 8, (0, 0, 1.0, 0.5)))  # found by this test: a box thinner than a pixel in VOC
def test_round_trips_keep_every_object(items):
    """DM v2 -> X -> DM v2 for X in YOLO detect, YOLO segment, YOLO pose, COCO and Pascal VOC: every object of
    every image comes back, one to one, with its class and its box (within a pixel where the format rounds or
    rasterises); nothing is lost or skipped; COCO gives back every annotation exactly, groups included."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = write_dataset(tmp / 'src', items)
        before = read_dm_v2(src)
        for name, fmt, options, tolerance in (
            ('detect', 'yolo', {'task': 'detect'}, 1e-3),
            ('segment', 'yolo', {'task': 'segment'}, 1 + 1e-3),
            ('pose', 'yolo', {'task': 'pose'}, 1e-3),
            ('coco', 'coco', {}, 0),
            ('pascal', 'pascal', {}, 1),
        ):
            fwd = get_converter('dm_v2', fmt, root_dir=src, **options).save_to_folder(tmp / name)
            losses = {
                k for k in fwd.report.loss_counts if not k.endswith(':attributes')
            }  # iscrowd: YOLO, VOC
            assert fwd.ok and not losses, (name, fwd.report.loss_counts)
            read = {k: v for k, v in fwd.annotations_read.items() if k != 'group'}
            assert {k: v for k, v in fwd.annotations_written.items() if k in read} == read, name
            back = get_converter(fmt, 'dm_v2', root_dir=tmp / name).save_to_folder(tmp / f'{name}-back')
            assert back.ok
            after = read_dm_v2(tmp / f'{name}-back')
            assert sorted(after) == sorted(before)
            for stem, image in before.items():
                w, h, _ = items[stem]
                objects = dm_objects(_rasterised(image, w, h) if fmt == 'pascal' else image, w)
                again = dm_objects(after[stem], w)
                assert same_objects(objects, again, tolerance), (name, stem, objects, again)
                if fmt == 'coco':
                    assert _tools(after[stem]) == _tools(image)
                    for tool in ('bounding_box', 'polygon', 'segmentation', 'keypoint'):
                        assert sorted(
                            (a['classification'], json.dumps(_numbers(a['data'])))
                            for a in after[stem].get(tool, [])
                        ) == sorted(
                            (a['classification'], json.dumps(_numbers(a['data'])))
                            for a in image.get(tool, [])
                        )


# ---------------------------------------------------------------- the validation fast path changes nothing

_VALUES = st.one_of(
    st.integers(-5, 60),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([True, False, None, 'x', 1e308, -1e308, 2**70]),
)
_POINT = st.one_of(st.lists(_VALUES, min_size=0, max_size=3), st.tuples(_VALUES, _VALUES), _VALUES)


@_settings(300)
@given(
    tool=st.sampled_from(['bounding_box', 'polygon', 'keypoint']),
    data=st.one_of(
        st.lists(_VALUES, min_size=0, max_size=5),
        st.lists(_POINT, min_size=0, max_size=6),
        st.tuples(_VALUES, _VALUES, _VALUES, _VALUES),
        _VALUES,
    ),
    visibility=st.one_of(st.none(), _VALUES),
    extra=st.fixed_dictionaries(
        {},
        optional={
            'attrs': st.one_of(
                st.just([]),
                st.lists(
                    st.fixed_dictionaries({'name': st.one_of(st.text(max_size=3), _VALUES)}), max_size=2
                ),
                _VALUES,
            ),
            'classification': st.one_of(st.just('c'), _VALUES),
            'group_id': st.one_of(st.just('g'), _VALUES),
        },
    ),
)
def test_validation_fast_path_agrees_with_the_slow_checks(tool, data, visibility, extra):
    """``items._surely_valid`` may only say yes where the full checks find no problem."""
    from synapse_sdk.utils.converters import items

    def validate(fast: bool, names: frozenset[str] | None):
        ann = {'id': 'a', 'classification': 'c', 'attrs': [], 'data': data, **extra}
        if visibility is not None:
            ann['visibility'] = visibility
        twin = {**ann, 'id': 'b'}  # a second annotation, and the first one's id again
        item = items.Item(
            split=None, stem='s', source='s.json', width=40, height=30, ann={tool: [ann, twin, dict(ann)]}
        )
        original = items._surely_valid
        if not fast:
            items._surely_valid = lambda *args: False
        try:
            items.validate_item(item, need_class=True, class_names=names)
        finally:
            items._surely_valid = original
        return [str(p) for p in item.problems], [a['id'] for a in item.ann[tool]]

    for names in (None, frozenset({'c'}), frozenset({'x'})):
        assert validate(True, names) == validate(False, names)
