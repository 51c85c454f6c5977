"""Bad input under each error policy, atomic output, interruption, progress, image modes, the seed examples."""

from __future__ import annotations

import copy
import json
import os

import pytest
from converters_fixtures import WORKED_V2, png_bytes, tree, write_dm, write_rich

from synapse_sdk.utils.converters import ConversionError, ProblemKind, get_converter


def _box(ann_id, data, cls='car'):
    return {'id': ann_id, 'classification': cls, 'attrs': [], 'data': data}


def _dm(tmp_path, bad_doc, *, image=True):
    good = copy.deepcopy(WORKED_V2)
    root = write_dm(tmp_path / 'src', {'a_good': good, 'b_bad': bad_doc})
    if not image:
        os.remove(root / 'original_files/b_bad.jpg')
    return root


def case_malformed_json(tmp_path):
    root = _dm(tmp_path, {})
    (root / 'json/b_bad.json').write_text('{"images": [\n  {"bounding_box": [}\n]}')
    return 'dm_v2', 'yolo', root, ProblemKind.MALFORMED_JSON, 'b_bad.json', {'line': 2}, True


def case_malformed_xml(tmp_path):
    root = tmp_path / 'src'
    for d in ('Annotations', 'JPEGImages'):
        (root / d).mkdir(parents=True)
    for stem in ('a_good', 'b_bad'):
        (root / f'JPEGImages/{stem}.png').write_bytes(png_bytes(20, 10))
    (root / 'Annotations/a_good.xml').write_text(
        '<annotation><object><name>x</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>'
        '</bndbox></object></annotation>'
    )
    (root / 'Annotations/b_bad.xml').write_text('<annotation>\n<object>\n</annotation>')
    return 'pascal', 'dm_v2', root, ProblemKind.MALFORMED_XML, 'b_bad.xml', {'line': 3}, True


def case_degenerate_box(tmp_path):
    doc = {'images': [{'bounding_box': [_box('ok1', [1, 1, 5, 5]), _box('flat1', [10, 10, 0, 5])]}]}
    return (
        'dm_v2',
        'coco',
        _dm(tmp_path, doc),
        ProblemKind.DEGENERATE_BOX,
        'b_bad.json',
        {'annotation_id': 'flat1'},
        False,
    )


def case_out_of_image_box(tmp_path):
    doc = {'images': [{'bounding_box': [_box('ok1', [1, 1, 5, 5]), _box('out1', [190, 10, 20, 10])]}]}
    return (
        'dm_v2',
        'pascal',
        _dm(tmp_path, doc),
        ProblemKind.OUT_OF_IMAGE,
        'b_bad.json',
        {'annotation_id': 'out1'},
        False,
    )


def case_short_polygon(tmp_path):
    doc = {
        'images': [
            {
                'bounding_box': [_box('ok1', [1, 1, 5, 5])],
                'polygon': [{'id': 'two', 'classification': 'road', 'attrs': [], 'data': [[1, 1], [5, 5]]}],
            }
        ]
    }
    return (
        'dm_v2',
        'yolo',
        _dm(tmp_path, doc),
        ProblemKind.INVALID_POLYGON,
        'b_bad.json',
        {'annotation_id': 'two'},
        False,
    )


def case_unknown_class_id(tmp_path):
    root = tmp_path / 'src'
    (root / 'images').mkdir(parents=True)
    (root / 'labels').mkdir()
    for stem in ('a_good', 'b_bad'):
        (root / f'images/{stem}.png').write_bytes(png_bytes(20, 10))
    (root / 'labels/a_good.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    (root / 'labels/b_bad.txt').write_text('0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.1 0.1\n')
    (root / 'data.yaml').write_text('names: [thing]\n')
    return 'yolo', 'dm_v2', root, ProblemKind.UNKNOWN_CLASS, 'b_bad.txt', {'line': 2}, False


def case_missing_image(tmp_path):
    root = _dm(tmp_path, copy.deepcopy(WORKED_V2), image=False)
    return 'dm_v2', 'yolo', root, ProblemKind.MISSING_IMAGE, 'b_bad.json', {}, True


def case_duplicate_annotation_id(tmp_path):
    doc = {'images': [{'bounding_box': [_box('dup', [1, 1, 5, 5]), _box('dup', [2, 2, 5, 5])]}]}
    return (
        'dm_v2',
        'coco',
        _dm(tmp_path, doc),
        ProblemKind.DUPLICATE_ID,
        'b_bad.json',
        {'annotation_id': 'dup'},
        False,
    )


def case_duplicate_coco_image_id(tmp_path):
    root = tmp_path / 'src'
    (root / 'images').mkdir(parents=True)
    for stem in ('a_good', 'b_bad'):
        (root / f'images/{stem}.png').write_bytes(png_bytes(20, 10))
    data = {
        'images': [
            {'id': 1, 'file_name': 'a_good.png', 'width': 20, 'height': 10},
            {'id': 1, 'file_name': 'b_bad.png', 'width': 20, 'height': 10},
        ],
        'categories': [{'id': 1, 'name': 'x'}],
        'annotations': [
            {'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [1, 1, 4, 4], 'area': 16, 'iscrowd': 0}
        ],
    }
    (root / 'annotations.json').write_text(json.dumps(data))
    return 'coco', 'dm_v2', root, ProblemKind.DUPLICATE_ID, 'annotations.json', {}, True


CASES = [
    case_malformed_json,
    case_malformed_xml,
    case_degenerate_box,
    case_out_of_image_box,
    case_short_polygon,
    case_unknown_class_id,
    case_missing_image,
    case_duplicate_annotation_id,
    case_duplicate_coco_image_id,
]


def _check_problem(problem, kind, file_part, where):
    assert problem.kind is kind
    assert file_part in problem.file
    for key, value in where.items():
        assert getattr(problem, key) == value
    text = str(problem)
    assert file_part in text and kind.value in text


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.__name__[5:])
def test_policy_fail(tmp_path, case):
    src, dst, root, kind, file_part, where, _ = case(tmp_path)
    out = tmp_path / 'out'
    with pytest.raises(ConversionError) as info:
        get_converter(src, dst, root_dir=root).save_to_folder(out)
    assert len(info.value.problems) == 1
    _check_problem(info.value.problems[0], kind, file_part, where)
    assert file_part in str(info.value)
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if 'partial' in p.name] == []


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.__name__[5:])
def test_policy_skip(tmp_path, case):
    src, dst, root, kind, file_part, where, whole = case(tmp_path)
    result = get_converter(src, dst, root_dir=root, error_policy='skip').save_to_folder(tmp_path / 'out')
    assert result.written and result.report.problem_counts == {kind.value: 1}
    _check_problem(result.report.problems[0], kind, file_part, where)
    assert result.items_skipped == (1 if whole else 0)
    assert result.items == (1 if whole else 2)
    assert result.annotations_skipped == (0 if whole else 1)
    lines = (tmp_path / 'out/conversion_report.jsonl').read_text().splitlines()
    assert any(json.loads(line)['kind'] == kind.value for line in lines)


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.__name__[5:])
def test_policy_collect(tmp_path, case):
    src, dst, root, kind, file_part, where, _ = case(tmp_path)
    with pytest.raises(ConversionError) as info:
        get_converter(src, dst, root_dir=root, error_policy='collect').convert()
    _check_problem(info.value.problems[0], kind, file_part, where)


def test_collect_lists_every_problem(tmp_path):
    doc = {
        'images': [
            {
                'bounding_box': [_box('z1', [1, 1, 0, 5]), _box('z2', [1, 1, 5, -1])],
                'polygon': [{'id': 'p', 'classification': 'r', 'attrs': [], 'data': [[1, 1]]}],
            }
        ]
    }
    root = _dm(tmp_path, doc)
    with pytest.raises(ConversionError) as info:
        get_converter('dm_v2', 'yolo', root_dir=root, error_policy='collect').save_to_folder(tmp_path / 'o')
    assert [p.annotation_id for p in info.value.problems] == ['z1', 'z2', 'p']
    assert not (tmp_path / 'o').exists()


def test_a_conversion_error_crosses_a_process_boundary_whole(tmp_path):
    """Pickled (a Ray task's error, a worker's) and read in another interpreter, a ``ConversionError`` keeps its
    problems, count and message (the default exception pickling called the class with the message alone)."""
    import pickle
    import subprocess
    import sys

    doc = {'images': [{'bounding_box': [_box('z1', [1, 1, 0, 5]), _box('z2', [1, 1, 5, -1])]}]}
    root = _dm(tmp_path, doc)
    with pytest.raises(ConversionError) as info:
        get_converter('dm_v2', 'yolo', root_dir=root, error_policy='collect').save_to_folder(tmp_path / 'o')
    info.value.add_note('while exporting project 7')
    (tmp_path / 'error.pickle').write_bytes(pickle.dumps(info.value))
    code = (
        'import pickle, sys; e = pickle.load(open(sys.argv[1], "rb")); '
        'print(type(e).__name__, e.total, [(p.kind.value, p.annotation_id) for p in e.problems], e.__notes__); '
        'print(e)'
    )
    out = subprocess.run(
        [sys.executable, '-c', code, str(tmp_path / 'error.pickle')],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    kinds = [(p.kind.value, p.annotation_id) for p in info.value.problems]
    assert out == [f"ConversionError 2 {kinds} ['while exporting project 7']", str(info.value)]
    assert [k for k, _ in kinds] == ['degenerate_box', 'degenerate_box']


def test_interrupted_conversion_leaves_target_untouched(tmp_path):
    src = write_rich(tmp_path / 'src', 30, version='v2', categorized=False)
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'keep.txt').write_text('previous export')

    def interrupt(current, total):
        if current >= 10:
            raise KeyboardInterrupt

    conv = get_converter('dm_v2', 'coco', root_dir=src, overwrite=True)
    conv.convert()
    conv.progress = interrupt  # interrupt the writing pass, a third of the way through
    with pytest.raises(KeyboardInterrupt):
        conv.save_to_folder(out)
    assert tree(out) == ['keep.txt'] and (out / 'keep.txt').read_text() == 'previous export'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out', 'src']
    # the same conversion, once it runs through, replaces the old tree atomically
    conv.progress = None
    conv.save_to_folder(out)
    assert 'keep.txt' not in tree(out) and 'annotations/instances.json' in tree(out)


def test_non_empty_target_is_refused_without_overwrite(tmp_path):
    src = write_rich(tmp_path / 'src', 1, version='v2', categorized=False)
    for target in (src, tmp_path):
        with pytest.raises(ValueError, match='would replace the source'):
            get_converter('dm_v2', 'dm_v1', root_dir=src, overwrite=True).save_to_folder(target)
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out/x').write_text('x')
    with pytest.raises(FileExistsError, match='overwrite=True'):
        get_converter('dm_v2', 'yolo', root_dir=src).save_to_folder(tmp_path / 'out')


def test_progress_callback_and_runtime_context(tmp_path):
    src = write_rich(tmp_path / 'src', 250, version='v2', categorized=False)
    calls, steps = [], []

    class Ctx:
        def set_progress(self, current, total, step=None):
            steps.append((current, total, step))

    conv = get_converter(
        'dm_v2', 'yolo', root_dir=src, task='detect', progress=lambda c, t: calls.append((c, t)), ctx=Ctx()
    )
    conv.convert()
    conv.save_to_folder(tmp_path / 'out')
    assert calls[0] == (0, 250) and calls[-1] == (250, 250)
    assert len(calls) <= 2 * 130  # throttled: about every 1%, never per item
    assert [c for c in calls if c[0] == 250] == [(250, 250), (250, 250)]
    assert {s[2] for s in steps} == {'convert', 'save'} and steps[-1] == (250, 250, 'save')


@pytest.mark.parametrize('mode', ['hardlink', 'symlink'])
def test_image_modes(tmp_path, mode):
    src = write_rich(tmp_path / 'src', 1, version='v2', categorized=False)
    get_converter('dm_v2', 'pascal', root_dir=src, image_mode=mode).save_to_folder(tmp_path / 'out')
    image = tmp_path / 'out/JPEGImages/img_0_000.png'
    original = src / 'original_files/img_0_000.png'
    if mode == 'hardlink':
        assert image.stat().st_ino == original.stat().st_ino
    else:
        assert image.is_symlink() and image.resolve() == original.resolve()


def test_seed_002_examples_run_as_written(tmp_path, monkeypatch):
    from synapse_sdk.utils.converters import FromDMToYOLOConverter  # noqa: F401 - the seed's import line

    write_rich(tmp_path / 'data/dm_dataset', 2, version='v2', categorized=True)
    monkeypatch.chdir(tmp_path)
    from synapse_sdk.utils.converters import get_converter as gc

    converter = gc('dm_v2', 'yolo', root_dir='data/dm_dataset', is_categorized=True)
    converter.convert()
    converter.save_to_folder('data/yolo_output')
    converter = gc(source='dm_v2', target='yolo', root_dir='data/dm_dataset', is_categorized=True)
    result = converter.convert()
    assert result.items == 6 and result.ok
    converter.save_to_folder('data/yolo_output2')
    (tmp_path / 'data/yolo_dataset').mkdir()
    for sub in ('images', 'labels'):
        os.rename(tmp_path / f'data/yolo_output/{sub}/train', tmp_path / f'data/yolo_dataset/{sub}')
    os.rename(tmp_path / 'data/yolo_output/data.yaml', tmp_path / 'data/yolo_dataset/data.yaml')
    converter = gc(source='yolo', target='dm_v2', root_dir='data/yolo_dataset', is_categorized=False)
    converter.convert()
    converter.save_to_folder('data/dm_output')
    assert len(list((tmp_path / 'data/dm_output/json').iterdir())) == 2


def test_renamed_and_unknown_options_are_clear(tmp_path):
    with pytest.raises(TypeError, match='renamed to is_categorized'):
        get_converter('dm_v2', 'yolo', root_dir=tmp_path, is_categorized_dataset=True)
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['tsk'\]; format options: task"):
        get_converter('dm_v2', 'yolo', root_dir=tmp_path, tsk='detect')
    with pytest.raises(FileNotFoundError, match='Required directory "json"'):
        get_converter('dm_v2', 'yolo', root_dir=tmp_path).convert()
    with pytest.raises(FileNotFoundError, match='needs a "valid" directory'):
        write_dm(tmp_path / 'cat', {'a': WORKED_V2}, split='train')
        get_converter('dm_v2', 'coco', root_dir=tmp_path / 'cat', is_categorized=True).convert()


def test_same_stem_in_two_splits_is_a_duplicate_for_voc(tmp_path):
    for split in ('train', 'valid'):
        write_dm(tmp_path / 'src', {'same': WORKED_V2}, split=split)
    with pytest.raises(ConversionError, match='duplicate_id'):
        get_converter('dm_v2', 'pascal', root_dir=tmp_path / 'src', is_categorized=True).save_to_folder(
            tmp_path / 'o'
        )
    result = get_converter(
        'dm_v2', 'pascal', root_dir=tmp_path / 'src', is_categorized=True, error_policy='skip'
    ).save_to_folder(tmp_path / 'o')
    assert result.items == 1 and result.items_skipped == 1
    assert (tmp_path / 'o/ImageSets/Main/train.txt').read_text() == 'same\n'
    assert (tmp_path / 'o/ImageSets/Main/val.txt').read_text() == ''


def test_other_media_are_reported_for_format_targets_and_kept_by_dm(tmp_path):
    doc = copy.deepcopy(WORKED_V2)
    doc['images'].append({'bounding_box': [_box('second', [1, 1, 2, 2])]})
    doc['texts'] = [
        {
            'named_entity': [
                {'id': 'ne1', 'classification': 'org', 'attrs': [], 'data': {'ranges': [], 'content': 'ACME'}}
            ]
        }
    ]
    write_dm(tmp_path / 'src', {'a': doc})
    result = get_converter('dm_v2', 'coco', root_dir=tmp_path / 'src').convert()
    assert result.report.loss_counts == {'bounding_box:other_media': 1, 'named_entity:other_media': 1}
    get_converter('dm_v2', 'dm_v1', root_dir=tmp_path / 'src').save_to_folder(tmp_path / 'v1')
    v1 = json.loads((tmp_path / 'v1/json/a.json').read_text())
    assert sorted(v1['annotations']) == ['image_1', 'image_2', 'text_1']


def test_yolo_to_dm_categorized_output_always_has_train_and_valid(tmp_path):
    root = tmp_path / 'y'
    (root / 'images/train').mkdir(parents=True)
    (root / 'labels/train').mkdir(parents=True)
    (root / 'images/train/a.png').write_bytes(png_bytes(8, 8))
    (root / 'data.yaml').write_text('names: [x]\n')
    get_converter('yolo', 'dm_v2', root_dir=root, is_categorized=True).save_to_folder(tmp_path / 'dm')
    assert (tmp_path / 'dm/valid/json').is_dir()
    assert get_converter('dm_v2', 'coco', root_dir=tmp_path / 'dm', is_categorized=True).convert().items == 1


def test_failure_with_worker_pool_leaves_nothing_behind(tmp_path):
    src = write_rich(tmp_path / 'src', 150, version='v2', categorized=False)
    (src / 'json/img_0_005.json').write_text('{"images": [')
    out = tmp_path / 'out'
    conv = get_converter(
        'dm_v2',
        'yolo',
        root_dir=src,
        task='detect',
        class_names=['car', 'person', 'puddle', 'road', 'truck'],
        workers=2,
    )
    with pytest.raises(ConversionError, match=r'img_0_005\.json'):
        conv.save_to_folder(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['src']


def test_import_is_light_and_independent_of_core():
    import subprocess
    import sys

    code = (
        'import sys, synapse_sdk.utils.converters as c; '
        "print(sorted(m for m in ('synapse_sdk.plugins', 'numpy', 'PIL', 'yaml', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '[]'


def test_v1_editor_state_is_reported(tmp_path):
    from converters_fixtures import WORKED_V1

    doc = copy.deepcopy(WORKED_V1)
    doc['annotations']['image_1'][0]['isLocked'] = True
    write_dm(tmp_path / 'src', {'a': doc})
    result = get_converter('dm_v1', 'dm_v2', root_dir=tmp_path / 'src').convert()
    assert result.report.loss_counts == {'document:assignment_id': 1, 'bounding_box:editor_state': 1}
    assert [(loss.annotation_id, loss.detail) for loss in result.report.losses][1] == (
        'bb01AbCdEf',
        'isLocked',
    )


def test_a_problem_record_has_the_fields_of_a_problem_in_its_order():
    """Workers send problems as `ProblemRecord` tuples (no pydantic there), made `Problem` models in the main
    process by position: the two must not drift apart."""
    from synapse_sdk.utils.converters.problems import ProblemRecord
    from synapse_sdk.utils.converters.result import Problem

    assert ProblemRecord._fields == tuple(Problem.model_fields)
    defaults = {
        name: field.default for name, field in Problem.model_fields.items() if not field.is_required()
    }
    assert ProblemRecord._field_defaults == defaults
    record = ProblemRecord(ProblemKind.DEGENERATE_BOX, 'a.json', 'bad box', 'a', '3', 4, True)
    assert Problem(**record._asdict()).model_dump() == record._asdict()
