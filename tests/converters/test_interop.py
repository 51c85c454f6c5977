"""Interoperability with independent implementations (test-only dependencies): pycocotools loads and evaluates our
COCO, supervision reads our YOLO, COCO and Pascal VOC and writes datasets we read, and the images are real JPEG and
PNG files written by Pillow. Boxes agree within 1 px, class names exactly, and object counts exactly per image and
class."""

from __future__ import annotations

import json
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from synapse_sdk.utils.converters import get_converter

with warnings.catch_warnings():
    warnings.simplefilter('ignore')  # supervision warns that OpenCV is absent and uses its NumPy backend
    import supervision as sv
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

pytestmark = pytest.mark.filterwarnings('ignore::DeprecationWarning:pycocotools')  # NumPy 2 copy= keyword

CLASSES = ('car', 'road sign', 'café', 'puddle')
SIZES = ((64, 48), (80, 60), (96, 72), (50, 70), (120, 90), (77, 41))


def _rect_runs(width: int, x0: int, y0: int, x1: int, y1: int) -> list[list[int]]:
    return [[y * width + x0, x1 - x0 + 1] for y in range(y0, y1 + 1)]


def _source(root: Path):
    """A DM v2 dataset of real images (Pillow JPEG and PNG) with boxes, polygons and masks; returns the expected
    objects ``{stem: [(class, [x0, y0, x1, y1], bitmap or None)]}`` (masks as H x W bool arrays)."""
    (root / 'json').mkdir(parents=True)
    (root / 'original_files').mkdir()
    expected: dict[str, list] = {}
    for i, (w, h) in enumerate(SIZES):
        stem = f'img_{i}'
        image = Image.new('RGB', (w, h), (20 * i, 120, 200 - 20 * i))
        ImageDraw.Draw(image).ellipse([3, 3, w // 2, h // 2], fill=(250, 250, 0))
        image.save(root / 'original_files' / f'{stem}.{"jpg" if i % 2 else "png"}')
        o = i % 3
        boxes = [
            ('car', [2 + o, 3, 20, 12]),
            ('road sign', [w - 15, h - 12 - o, 13, 11]),  # touches neither border
            ('café', [w - 1, 0, 1, h]),  # one pixel wide, on the right border
        ][: 2 + i % 2]
        polygon = [[5, h - 5], [5 + 15 + o, h - 20], [30, h - 4], [18, h - 10]]  # concave
        mask_box = (w // 2, 2, w // 2 + 6 + o, 9)
        runs = _rect_runs(w, *mask_box) + _rect_runs(w, mask_box[0], 10, mask_box[0] + 1, 14)  # an L shape
        runs.sort()
        doc = {
            'images': [
                {
                    'bounding_box': [
                        {'id': f'b{i}{k}', 'classification': c, 'attrs': [], 'data': d}
                        for k, (c, d) in enumerate(boxes)
                    ],
                    'polygon': [{'id': f'p{i}', 'classification': 'road sign', 'attrs': [], 'data': polygon}],
                    'segmentation': [
                        {
                            'id': f'm{i}',
                            'classification': 'puddle',
                            'attrs': [],
                            'data': runs,
                            'encoding': 'dm_rle',
                            'isCompressed': True,
                            'compressionFormat': 'rle',
                        }
                    ],
                }
            ]
        }
        (root / 'json' / f'{stem}.json').write_text(json.dumps(doc, ensure_ascii=False), encoding='utf-8')
        bitmap = np.zeros(h * w, dtype=bool)
        for start, length in runs:
            bitmap[start : start + length] = True
        xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
        mx0, my0 = mask_box[0], mask_box[1]
        objects = [(c, [x, y, x + bw, y + bh], None) for c, (x, y, bw, bh) in boxes]
        objects.append(('road sign', [min(xs), min(ys), max(xs), max(ys)], None))
        objects.append(('puddle', [mx0, my0, mask_box[2] + 1, 15], bitmap.reshape(h, w)))
        expected[stem] = objects
    return root, expected


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    return _source(tmp_path_factory.mktemp('interop') / 'dm')


def _assert_same_objects(expected: dict, got: dict, *, tolerance: float = 1.0):
    """Per image: the same class counts, and each expected box matched by a box of its class within 1 px."""
    assert set(got) == set(expected)
    for stem, objects in expected.items():
        want = Counter(c for c, _, _ in objects)
        have = Counter(c for c, _ in got[stem])
        assert have == want, (stem, have, want)
        by_class = defaultdict(list)
        for c, box in got[stem]:
            by_class[c].append(list(map(float, box)))
        for c, box, _ in objects:
            diffs = [max(abs(a - b) for a, b in zip(box, cand, strict=True)) for cand in by_class[c]]
            best = min(range(len(diffs)), key=diffs.__getitem__)
            assert diffs[best] <= tolerance, (stem, c, box, by_class[c])
            by_class[c].pop(best)


def _sv_objects(ds) -> dict:
    return {
        Path(path).stem: [
            (ds.classes[int(cid)], xyxy) for xyxy, cid in zip(det.xyxy, det.class_id, strict=True)
        ]
        for path, det in ds.annotations.items()
    }


def _dm_objects(root: Path) -> dict:
    """What our reader produced: boxes as given, polygons and masks as their boxes (masks: pixel extent)."""
    out = {}
    for path in sorted(root.rglob('json/*.json')):
        image = json.loads(path.read_text(encoding='utf-8'))['images'][0]
        objects = []
        for box in image.get('bounding_box', []):
            x, y, w, h = box['data']
            objects.append((box['classification'], [x, y, x + w, y + h]))
        for poly in image.get('polygon', []):
            xs, ys = [p[0] for p in poly['data']], [p[1] for p in poly['data']]
            objects.append((poly['classification'], [min(xs), min(ys), max(xs), max(ys)]))
        width = _image_width(path)
        for mask in image.get('segmentation', []):
            rows = [(s // width, s % width, s % width + n - 1) for s, n in mask['data']]
            objects.append(
                (
                    mask['classification'],
                    [
                        min(r[1] for r in rows),
                        min(r[0] for r in rows),
                        max(r[2] for r in rows) + 1,
                        max(r[0] for r in rows) + 1,
                    ],
                )
            )
        out[path.stem] = objects
    return out


def _image_width(json_path: Path) -> int:
    files = json_path.parent.parent / 'original_files'
    [image] = [p for p in files.iterdir() if p.stem == json_path.stem]
    with Image.open(image) as im:
        return im.width


# ---------------------------------------------------------------- pycocotools


def test_pycocotools_loads_our_coco_masks_match_and_ground_truth_scores_ap_1(dataset, tmp_path):
    src, expected = dataset
    get_converter('dm_v2', 'coco', root_dir=src).save_to_folder(tmp_path / 'coco')
    coco = COCO(str(tmp_path / 'coco/annotations/instances.json'))
    names = {c['id']: c['name'] for c in coco.loadCats(coco.getCatIds())}
    assert set(names.values()) == set(CLASSES)
    got = {}
    ious = []
    for image in coco.loadImgs(coco.getImgIds()):
        stem = Path(image['file_name']).stem
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image['id']))
        got[stem] = [
            (
                names[a['category_id']],
                [a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3]],
            )
            for a in anns
        ]
        for a in anns:
            if names[a['category_id']] != 'puddle':
                continue
            source = next(b for c, _, b in expected[stem] if c == 'puddle')
            mask = coco.annToMask(a).astype(bool)
            ious.append((mask & source).sum() / (mask | source).sum())
            assert mask_utils.area(mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))) == a['area']
    _assert_same_objects(expected, got)
    assert len(ious) == len(SIZES) and min(ious) >= 0.98, ious
    shaped = COCO()  # segm evaluation takes the annotations with a shape (boxes are written with none)
    shaped.dataset = {
        **coco.dataset,
        'annotations': [a for a in coco.dataset['annotations'] if a['segmentation']],
    }
    shaped.createIndex()
    assert len(shaped.dataset['annotations']) == 2 * len(SIZES)
    _assert_ground_truth_scores_perfectly(coco, shaped)


# ---------------------------------------------------------------- supervision reads ours


def test_supervision_reads_our_coco(dataset, tmp_path):
    src, expected = dataset
    get_converter('dm_v2', 'coco', root_dir=src).save_to_folder(tmp_path / 'coco')
    ds = sv.DetectionDataset.from_coco(
        images_directory_path=str(tmp_path / 'coco/images'),
        annotations_path=str(tmp_path / 'coco/annotations/instances.json'),
        force_masks=True,
    )
    _assert_same_objects(expected, _sv_objects(ds))
    for path, det in ds.annotations.items():  # supervision decodes our RLE to the source mask
        source = next(b for c, _, b in expected[Path(path).stem] if c == 'puddle')
        [k] = [i for i, cid in enumerate(det.class_id) if ds.classes[int(cid)] == 'puddle']
        assert (det.mask[k] == source).all()


@pytest.mark.parametrize('task', ['detect', 'segment'])
def test_supervision_reads_our_yolo(dataset, tmp_path, task):
    src, expected = dataset
    out = tmp_path / 'yolo'
    get_converter('dm_v2', 'yolo', root_dir=src, task=task).save_to_folder(out)
    ds = sv.DetectionDataset.from_yolo(
        images_directory_path=str(out / 'images'),
        annotations_directory_path=str(out / 'labels'),
        data_yaml_path=str(out / 'data.yaml'),
    )
    assert sorted(ds.classes) == sorted(CLASSES)
    # segment: masks are traced through pixel centres, so their box ends on the last pixel: 1 px, plus the rounding
    # of 6-decimal coordinates
    _assert_same_objects(expected, _sv_objects(ds), tolerance=1.0 if task == 'detect' else 1.0001)


def test_supervision_reads_our_pascal_voc(dataset, tmp_path):
    src, expected = dataset
    get_converter('dm_v2', 'pascal', root_dir=src).save_to_folder(tmp_path / 'voc')
    ds = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(tmp_path / 'voc/JPEGImages'),
        annotations_directory_path=str(tmp_path / 'voc/Annotations'),
    )
    got = _sv_objects(ds)
    _assert_same_objects(expected, got)  # polygons: their pixels' extent, up to 1 px past the vertices
    boxes_only = {stem: [o for o in objects if o[0] in ('car', 'café')] for stem, objects in expected.items()}
    got_boxes = {stem: [o for o in objects if o[0] in ('car', 'café')] for stem, objects in got.items()}
    _assert_same_objects(boxes_only, got_boxes, tolerance=0)  # the devkit convention: boxes come back exactly


def test_the_legacy_voc_convention_is_one_pixel_off_for_supervision(dataset, tmp_path):
    """Why the devkit convention is the default: supervision reads the previous SDK's corners 1 px off."""
    src, expected = dataset
    get_converter('dm_v2', 'pascal', root_dir=src, voc_convention='legacy').save_to_folder(tmp_path / 'voc')
    ds = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(tmp_path / 'voc/JPEGImages'),
        annotations_directory_path=str(tmp_path / 'voc/Annotations'),
    )
    with pytest.raises(AssertionError):
        _assert_same_objects(expected, _sv_objects(ds), tolerance=0.5)


# ---------------------------------------------------------------- we read what supervision writes


def _supervision_dataset(src: Path, expected: dict, *, masks: bool = True) -> sv.DetectionDataset:
    images, annotations = [], {}
    for stem, objects in expected.items():
        [path] = [p for p in (src / 'original_files').iterdir() if p.stem == stem]
        images.append(str(path))
        bitmaps = []
        for _, box, bitmap in objects:
            if bitmap is None:
                bitmap = np.zeros_like(next(b for _, _, b in objects if b is not None))
                x0, y0, x1, y1 = (round(v) for v in box)
                bitmap[y0:y1, x0:x1] = True
            bitmaps.append(bitmap)
        annotations[str(path)] = sv.Detections(
            xyxy=np.array([box for _, box, _ in objects], dtype=np.float32),
            class_id=np.array([CLASSES.index(c) for c, _, _ in objects]),
            mask=np.array(bitmaps, dtype=bool) if masks else None,
        )
    return sv.DetectionDataset(classes=list(CLASSES), images=images, annotations=annotations)


@pytest.mark.parametrize('masks', [False, True], ids=['boxes', 'polygons'])
def test_we_read_supervision_yolo(dataset, tmp_path, masks):
    src, expected = dataset
    ds = _supervision_dataset(src, expected, masks=masks)
    out = tmp_path / 'sv_yolo'
    ds.as_yolo(
        images_directory_path=str(out / 'images'),
        annotations_directory_path=str(out / 'labels'),
        data_yaml_path=str(out / 'data.yaml'),
    )
    result = get_converter('yolo', 'dm_v2', root_dir=out).save_to_folder(tmp_path / 'dm')
    assert result.ok, result.report.problems
    # With masks supervision writes polygons traced through pixel centres, whose boxes end on the last pixel: 1 px,
    # plus the rounding of its 5-decimal coordinates.
    _assert_same_objects(expected, _dm_objects(tmp_path / 'dm'), tolerance=1.001 if masks else 1.0)


def test_we_read_supervision_coco(dataset, tmp_path):
    src, expected = dataset
    ds = _supervision_dataset(src, expected)
    out = tmp_path / 'sv_coco'
    ds.as_coco(
        images_directory_path=str(out / 'images'), annotations_path=str(out / 'annotations/instances.json')
    )
    result = get_converter('coco', 'dm_v2', root_dir=out).save_to_folder(tmp_path / 'dm')
    assert result.ok, result.report.problems
    _assert_same_objects(expected, _dm_objects(tmp_path / 'dm'))


def test_we_read_supervision_pascal_voc(dataset, tmp_path):
    src, expected = dataset
    ds = _supervision_dataset(src, expected)
    out = tmp_path / 'sv_voc'
    ds.as_pascal_voc(
        images_directory_path=str(out / 'JPEGImages'), annotations_directory_path=str(out / 'Annotations')
    )
    result = get_converter('pascal', 'dm_v2', root_dir=out).save_to_folder(tmp_path / 'dm')
    assert result.ok, result.report.problems
    _assert_same_objects(expected, _dm_objects(tmp_path / 'dm'))


# ---------------------------------------------------------------- items of boxes and polygons alone


def test_plain_items_from_records_read_by_pycocotools_and_supervision(dataset, tmp_path, monkeypatch):
    """Boxes and polygons alone (what an export sends, as JSON text records) take the writers' one-pass way
    (``process_plain``): pycocotools and supervision read that output as the source's objects, and COCOeval
    of it against itself scores AP 1 for boxes and for polygons."""
    from synapse_sdk.utils.converters import DatasetWriter, DMRecord
    from synapse_sdk.utils.converters.coco import COCOWriter
    from synapse_sdk.utils.converters.engine import NOT_PLAIN
    from synapse_sdk.utils.converters.yolo import YOLOWriter

    src, expected = dataset
    expected = {stem: [o for o in objects if o[2] is None] for stem, objects in expected.items()}  # no masks
    plain: Counter[str] = Counter()
    for writer_class in (COCOWriter, YOLOWriter):

        def counted(self, item, ctx, class_names, original=writer_class.process_plain):
            payload = original(self, item, ctx, class_names)
            plain[type(self).__name__] += payload is not NOT_PLAIN
            return payload

        monkeypatch.setattr(writer_class, 'process_plain', counted)
    for target, options in (('coco', {'keypoint_names': []}), ('yolo', {'task': 'detect'})):
        with DatasetWriter(
            target, tmp_path / target, workers=1, class_names=list(CLASSES), **options
        ) as writer:
            for path in sorted((src / 'json').glob('*.json')):
                doc = json.loads(path.read_text(encoding='utf-8'))
                del doc['images'][0]['segmentation']
                [image] = [p for p in (src / 'original_files').iterdir() if p.stem == path.stem]
                writer.write(DMRecord(name=path.stem, document=json.dumps(doc), image=image))
    assert plain == {'COCOWriter': len(SIZES), 'YOLOWriter': len(SIZES)}

    coco = COCO(str(tmp_path / 'coco/annotations/instances.json'))
    names = {c['id']: c['name'] for c in coco.loadCats(coco.getCatIds())}
    got = {}
    for image in coco.loadImgs(coco.getImgIds()):
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image['id']))
        got[Path(image['file_name']).stem] = [
            (
                names[a['category_id']],
                [a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3]],
            )
            for a in anns
        ]
        for a in anns:
            if a['segmentation']:  # the polygon: pycocotools rasterises it inside its box
                mask = coco.annToMask(a).astype(bool)
                ys, xs = np.nonzero(mask)
                x, y, w, h = a['bbox']
                assert x - 1 <= xs.min() and xs.max() <= x + w and y - 1 <= ys.min() and ys.max() <= y + h
    _assert_same_objects(expected, got)
    shaped = COCO()
    shaped.dataset = {
        **coco.dataset,
        'annotations': [a for a in coco.dataset['annotations'] if a['segmentation']],
    }
    shaped.createIndex()
    assert len(shaped.dataset['annotations']) == len(SIZES)
    _assert_ground_truth_scores_perfectly(coco, shaped)

    ds = sv.DetectionDataset.from_coco(
        images_directory_path=str(tmp_path / 'coco/images'),
        annotations_path=str(tmp_path / 'coco/annotations/instances.json'),
    )
    _assert_same_objects(expected, _sv_objects(ds))
    ds = sv.DetectionDataset.from_yolo(
        images_directory_path=str(tmp_path / 'yolo/images'),
        annotations_directory_path=str(tmp_path / 'yolo/labels'),
        data_yaml_path=str(tmp_path / 'yolo/data.yaml'),
    )
    _assert_same_objects(expected, _sv_objects(ds))


def _assert_ground_truth_scores_perfectly(coco, shaped):
    """pycocotools' own evaluation of the annotations as detections of themselves: boxes (`coco`) and
    segmentations (`shaped`) each reach an AP of 1.0 only when pycocotools reads them as we meant them."""
    for gt, iou_type in ((coco, 'bbox'), (shaped, 'segm')):
        results = gt.loadRes([{**a, 'score': 1.0} for a in gt.dataset['annotations']])
        evaluation = COCOeval(gt, results, iou_type)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
        assert evaluation.stats[0] == pytest.approx(1.0), (iou_type, evaluation.stats)
