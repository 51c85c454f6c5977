"""Bounded-memory reading: the external sort that fixes item order, the incremental COCO JSON reader, and
readers that use them giving byte-identical output whether or not anything spilled to disk."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pytest
from converters_fixtures import png_bytes, tree, write_dm, write_rich

from synapse_sdk.utils.converters import extsort, get_converter
from synapse_sdk.utils.converters.extsort import ExternalSort, unique_sorted
from synapse_sdk.utils.converters.jsonstream import JSONStreamError, iter_object

# ---------------------------------------------------------------- the external sort


def _records(n: int, seed: int = 3) -> list[tuple]:
    rng = random.Random(seed)
    # few distinct keys, so equal keys land in different runs; the value is the insertion index (stability)
    return [(rng.choice(['b', 'a', 'c', 'ab', '', 'é', 'z\n']) + str(rng.randint(0, 3)), i) for i in range(n)]


@pytest.mark.parametrize(('max_records', 'fan_in'), [(1, 2), (3, 2), (7, 3), (100_000, 32)])
def test_external_sort_equals_a_stable_sorted(tmp_path, max_records, fan_in):
    records = _records(200)
    sorter = ExternalSort(str(tmp_path / 'scratch'), max_records=max_records, fan_in=fan_in)
    for key, value in records:
        sorter.add(key, value)
    expected = sorted(records, key=lambda r: r[0])  # sorted() is stable: equal keys keep insertion order
    assert [tuple(r) for r in sorter] == expected
    assert [tuple(r) for r in sorter] == expected  # iterating again gives the same
    assert len(sorter) == 200
    assert sorter.spilled is (max_records < 200)
    if sorter.spilled:  # the cascade merged runs down to at most fan_in
        run_dir = next((tmp_path / 'scratch').iterdir())
        assert 1 <= len(list(run_dir.iterdir())) <= fan_in
    sorter.close()
    assert not (tmp_path / 'scratch').exists() or not any((tmp_path / 'scratch').iterdir())


def test_external_sort_only_touches_disk_when_a_chunk_fills(tmp_path):
    sorter = ExternalSort(str(tmp_path), max_records=10)
    for name in ('b', 'a'):
        sorter.add(name)
    assert list(sorter.sorted_keys()) == ['a', 'b']
    assert not sorter.spilled and list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match='after iteration'):
        sorter.add('c')


def test_external_sort_byte_budget_spills_large_records(tmp_path):
    sorter = ExternalSort(str(tmp_path), max_records=1000, max_bytes=100)
    for i in range(5):
        sorter.add(5 - i, {'payload': 'x' * 10}, size=60)
    assert sorter.spilled
    assert [k for k, _ in sorter] == [1, 2, 3, 4, 5]


def test_external_sort_keeps_undecodable_and_odd_file_names(tmp_path):
    # os.scandir gives lone surrogates for bytes that are not UTF-8; names may hold newlines and quotes
    names = ['b\udcff.json', 'a\nb.json', 'a"q.json', 'ä.json', 'A.json', '\udc80.json']
    sorter = ExternalSort(str(tmp_path), max_records=2, fan_in=2)
    for name in names:
        sorter.add(name)
    assert list(sorter.sorted_keys()) == sorted(names)


def test_iterating_a_spilled_sort_keeps_nothing_it_has_passed(tmp_path):
    """Merging runs holds one record per run, not the records already handed out (a reused unpickler kept
    every record it had loaded in its memo: peak memory grew ~150 bytes per image)."""
    import tracemalloc

    sorter = ExternalSort(str(tmp_path), max_records=10_000)  # two runs, read side by side
    for i in range(20_000):
        sorter.add(f'name_{i:06d}.json')
    records = iter(sorter)
    tracemalloc.start()
    try:
        for _ in range(1_000):
            next(records)
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in records:
            pass
        grown = tracemalloc.get_traced_memory()[1] - base  # the peak: a run releases its memory when it ends
    finally:
        tracemalloc.stop()
    assert grown < 100_000, f'{grown} bytes held at the peak of merging 19,000 more records'


def test_unique_sorted_finds_duplicates_split_across_runs(tmp_path):
    sorter = ExternalSort(str(tmp_path), max_records=1)  # every record is its own run
    for key, value in [('b', 0), ('a', 1), ('c', 2), ('a', 3), ('b', 4), ('a', 5)]:
        sorter.add(key, value)
    assert sorter.spilled
    assert list(unique_sorted(sorter)) == [('a', [1, 3, 5]), ('b', [0, 4]), ('c', [2])]


# ---------------------------------------------------------------- the incremental JSON reader


def _rebuild(text: str, chunk: int) -> object:
    """The document as ``iter_object`` sees it, streaming the arrays named ``images`` and ``annotations``."""
    import io

    out: dict = {}
    for event, key, value, _ in iter_object(io.StringIO(text), {'images', 'annotations'}, chunk=chunk):
        if event == 'document':
            return value
        if event == 'value':
            out[key] = value
        elif event == 'begin':
            out[key] = []
        else:
            out[key].append(value)
    return out


DOCS = [
    '{}',
    ' \n{ }\n',
    '[1, 2]',
    '"text"',
    '{"images": []}',
    '{"images": [ ] , "x": null}',
    json.dumps(
        {
            'info': {'description': 'a "quoted" \\ text', 'nested': [[1, 2], {'k': [3]}]},
            'images': [{'id': i, 'file_name': f'ü_{i}.png', 'w': 12345678901234567890} for i in range(5)],
            'categories': [{'id': 1, 'name': 'x'}],
            'annotations': [{'id': 10**i, 'bbox': [1e-7, -2.5e10, 0.1, 3]} for i in range(6)]
            + [7, 8.25, 'é'],
        },
        indent=1,
        ensure_ascii=False,
    ),
    '{"annotations": [123456789, 1e5, -0.0, true, false, null], "annotations": [1]}',
]


@pytest.mark.parametrize('chunk', [1, 2, 3, 5, 64, 1 << 20])
@pytest.mark.parametrize('text', DOCS, ids=range(len(DOCS)))
def test_iter_object_reads_what_json_load_reads(text, chunk):
    assert _rebuild(text, chunk) == json.loads(text)


BAD = [
    '',
    '{',
    '{"a" 1}',
    '{"a": 1 "b": 2}',
    '{"images": [1, 2,, 3]}',
    '{"images": [1 2]}',
    '{\n"a": 1,\n"b": tru}',
    '{"a": 1}\n  x',
    '{"images": [{"id": 1}\n,\n{"id": }]}',
    '{"a": "unterminated\n}',
    '{"images": [1, 2]',
    '{"images": [1, 2]\n\n',
    '{\n\n 5: 1}',
    '[1, 2] [3]',
]


@pytest.mark.parametrize('chunk', [1, 4, 1 << 20])
@pytest.mark.parametrize('text', BAD, ids=range(len(BAD)))
def test_iter_object_fails_where_json_load_fails(text, chunk):
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(JSONStreamError) as got:
        _rebuild(text, chunk)
    assert (got.value.msg, got.value.lineno) == (expected.value.msg, expected.value.lineno)


# ---------------------------------------------------------------- readers: spilled == in memory


@pytest.fixture
def spill(monkeypatch, tmp_path):
    """Force every external sort to spill (2 records per run, merged 2 at a time) and count the spills; the
    system temp directory (used by convert()) is redirected so leftovers can be checked."""
    calls = []
    original = ExternalSort._spill

    def counting(self):
        calls.append(1)
        original(self)

    temp = tmp_path / 'systemp'
    temp.mkdir()

    def force():
        monkeypatch.setattr(extsort, 'CHUNK_RECORDS', 2)
        monkeypatch.setattr(extsort, 'FAN_IN', 2)
        monkeypatch.setattr(ExternalSort, '_spill', counting)
        monkeypatch.setattr(tempfile, 'tempdir', str(temp))
        return calls

    return force


def _files(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in tree(root)}


def _both_ways(spill, make_converter, out: Path, sorts: bool = True):
    """Run a conversion in memory, then spilled, into the same ``out``; return both file maps and results.
    ``sorts``: whether the reader sorts at all (a categorized VOC dataset follows its ImageSets lists)."""
    first = make_converter().save_to_folder(out)
    files = _files(out)
    calls = spill()
    second = make_converter(overwrite=True).save_to_folder(out)
    assert bool(calls) is sorts, 'the external sort did not spill: the merge path was not exercised'
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith('.synapse-sort-')]
    assert list((out.parent / 'systemp').iterdir()) == []
    return files, _files(out), first, second


def _shuffled_dm(root: Path, n: int) -> Path:
    """A DM dataset whose files are created in a shuffled order (listing order is not name order)."""
    stems = [f'item_{i:03d}' for i in range(n)] + ['Item_x', 'item.10', 'item_1']
    random.Random(5).shuffle(stems)
    docs = {
        s: {
            'images': [
                {'bounding_box': [{'id': s, 'classification': 'c', 'attrs': [], 'data': [1, 1, 5, 5]}]}
            ]
        }
        for s in stems
    }
    return write_dm(root, docs)


def test_dm_reader_order_and_output_do_not_depend_on_spilling(tmp_path, spill):
    src = _shuffled_dm(tmp_path / 'src', 11)
    out = tmp_path / 'out'

    def make(**kw):
        return get_converter('dm_v2', 'coco', root_dir=src, **kw)

    before, after, first, second = _both_ways(spill, make, out)
    assert before == after
    data = json.loads(after['annotations/instances.json'])
    names = [img['file_name'] for img in data['images']]
    assert names == sorted(names)  # name order, whatever order the files were created in
    assert first.model_dump(exclude={'output_dir'}) == second.model_dump(exclude={'output_dir'})


@pytest.mark.parametrize('categorized', [False, True], ids=['flat', 'split'])
@pytest.mark.parametrize('fmt', ['yolo', 'pascal', 'coco'])
def test_format_readers_do_not_depend_on_spilling(tmp_path, spill, fmt, categorized):
    src = write_rich(tmp_path / 'dm', 7, version='v2', categorized=categorized)
    options = {'task': 'segment'} if fmt == 'yolo' else {}
    get_converter(
        'dm_v2', fmt, root_dir=src, is_categorized=categorized, error_policy='skip', **options
    ).save_to_folder(tmp_path / fmt)
    if fmt == 'yolo':  # a background image and a label without an image join by stem with the others
        sub = 'train/' if categorized else ''
        (tmp_path / 'yolo/images' / f'{sub}img_0_000.jpg').write_bytes(png_bytes(64, 48))
        (tmp_path / 'yolo/labels' / f'{sub}zz_orphan.txt').write_text('0 0.5 0.5 0.1 0.1\n')

    def make(**kw):
        return get_converter(
            fmt, 'dm_v2', root_dir=tmp_path / fmt, is_categorized=categorized, error_policy='skip', **kw
        )

    before, after, first, second = _both_ways(
        spill, make, tmp_path / 'back', sorts=not (fmt == 'pascal' and categorized)
    )
    assert before == after
    assert first.model_dump(exclude={'output_dir'}) == second.model_dump(exclude={'output_dir'})
    assert first.items >= 7


# ---------------------------------------------------------------- COCO reading: duplicates and the join


def _coco_with_problems(root: Path) -> Path:
    (root / 'images').mkdir(parents=True)
    for name in ('a.png', 'b.png', 'c.png', 'd.png', 'dup.png'):
        (root / 'images' / name).write_bytes(png_bytes(20, 10))

    def box(ann_id, image_id, x=1):
        return {
            'id': ann_id,
            'image_id': image_id,
            'category_id': 1,
            'bbox': [x, 1, 4, 4],
            'area': 16,
            'iscrowd': 0,
        }

    data = {
        'info': {'description': 'hand-made'},
        # annotations before images, image ids out of file order, ids mixed int and str
        'annotations': [
            box(5, 'c'),
            box(1, 30),
            'not an object',
            box(2, 30, x=2),
            box(1, 10),  # duplicate annotation id (first one wins)
            box(3, 99),  # unknown image
            box('x', 10),
            box(4, 20.0),  # 20.0 is image 20, as a dict lookup would have it
            box(2, 20),  # duplicate again
        ],
        'images': [
            {'id': 30, 'file_name': 'a.png', 'width': 20, 'height': 10},
            {'id': 10, 'file_name': 'b.png', 'width': 20, 'height': 10},
            {'file_name': 'no_id.png'},
            {'id': 'c', 'file_name': 'c.png', 'width': 20, 'height': 10},
            {'id': 30, 'file_name': 'dup.png', 'width': 20, 'height': 10},  # duplicate image id
            {'id': 20, 'file_name': 'd.png', 'width': 20, 'height': 10},
        ],
        'categories': [{'id': 1, 'name': 'thing'}, {'id': 1, 'name': 'again'}],
    }
    (root / 'annotations.json').write_text(json.dumps(data, indent=1))
    return root


EXPECTED_COCO_PROBLEMS = [
    ('duplicate_id', 'category id 1 is used twice', None),
    ('malformed_json', "image entry without id or file_name: {'file_name': 'no_id.png'}", None),
    ('duplicate_id', 'image id 30 is used twice', None),
    ('malformed_annotation', "annotation without id: 'not an object'", None),
    ('duplicate_id', 'annotation id 1 is used twice', '1'),
    ('malformed_annotation', 'annotation 3 refers to unknown image_id 99', '3'),
    ('duplicate_id', 'annotation id 2 is used twice', '2'),
]


@pytest.mark.parametrize('spilled', [False, True], ids=['memory', 'spilled'])
def test_coco_reader_problems_and_join(tmp_path, spill, spilled):
    src = _coco_with_problems(tmp_path / 'coco')
    if spilled:
        calls = spill()
    result = get_converter('coco', 'dm_v2', root_dir=src, error_policy='skip').save_to_folder(tmp_path / 'dm')
    if spilled:
        assert calls
    got = [(p.kind.value, p.message, p.annotation_id) for p in result.report.problems]
    assert got == EXPECTED_COCO_PROBLEMS  # categories, images, annotations; each in file order
    boxes = {
        stem: [
            (b['id'], b['data'][0])
            for b in json.loads((tmp_path / f'dm/json/{stem}.json').read_text())['images'][0].get(
                'bounding_box', []
            )
        ]
        for stem in ('a', 'b', 'c', 'd')
    }
    assert boxes == {'a': [('1', 1), ('2', 2)], 'b': [('x', 1)], 'c': [('5', 1)], 'd': [('4', 1)]}
    assert result.items == 4 and not (tmp_path / 'dm/json/dup.json').exists()


@pytest.mark.parametrize('spilled', [False, True], ids=['memory', 'spilled'])
def test_coco_reader_with_ids_in_file_order_joins_without_resorting(tmp_path, spill, spilled, monkeypatch):
    """Image ids that increase along the file (converter output) take the merge-join order directly."""
    from synapse_sdk.utils.converters import coco

    scans = []
    original = coco._Scan

    class Recording(original):
        def join(self):
            scans.append(self)
            original.join(self)

    monkeypatch.setattr(coco, '_Scan', Recording)
    root = tmp_path / 'coco'
    (root / 'images').mkdir(parents=True)
    images = []
    for i in range(1, 8):
        (root / f'images/i{i}.png').write_bytes(png_bytes(20, 10))
        images.append({'id': i, 'file_name': f'i{i}.png', 'width': 20, 'height': 10})
    images.insert(3, {'id': 3, 'file_name': 'again.png'})  # a duplicate id keeps the order non-decreasing

    def box(ann_id, image_id):
        return {'id': ann_id, 'image_id': image_id, 'category_id': 1, 'bbox': [1, 1, 4, 4]}

    anns = [box(10 + k, 7 - k % 7) for k in range(14)] + [box(10, 2), box(99, 8)]
    data = {'categories': [{'id': 1, 'name': 'x'}], 'images': images, 'annotations': anns}
    (root / 'annotations.json').write_text(json.dumps(data))
    if spilled:
        spill()
    result = get_converter('coco', 'dm_v2', root_dir=root, error_policy='skip').save_to_folder(
        tmp_path / 'dm'
    )
    assert scans and scans[0].in_order and scans[0].joined is None
    assert [(p.kind.value, p.message) for p in result.report.problems] == [
        ('duplicate_id', 'image id 3 is used twice'),
        ('duplicate_id', 'annotation id 10 is used twice'),
        ('malformed_annotation', 'annotation 99 refers to unknown image_id 8'),
    ]
    data = json.loads((tmp_path / 'dm/json/i7.json').read_text())
    assert [b['id'] for b in data['images'][0]['bounding_box']] == ['10', '17']
    assert result.items == 7


def test_coco_reader_reports_the_line_of_a_json_error(tmp_path):
    root = tmp_path / 'coco'
    (root / 'images').mkdir(parents=True)
    text = '{\n "images": [\n  {"id": 1, "file_name": "a.png"},\n  {"id": 2 "file_name": "b.png"}\n ]\n}\n'
    (root / 'annotations.json').write_text(text)
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    result = get_converter('coco', 'dm_v2', root_dir=root, error_policy='skip').convert()
    (problem,) = result.report.problems
    assert (problem.kind.value, problem.line, problem.message) == (
        'malformed_json',
        expected.value.lineno,
        "Expecting ',' delimiter",
    )


def test_coco_reader_repeated_key_keeps_the_last_like_json_load(tmp_path):
    root = tmp_path / 'coco'
    (root / 'images').mkdir(parents=True)
    (root / 'images/b.png').write_bytes(png_bytes(20, 10))
    text = (
        '{"images": [{"id": 1, "file_name": "gone.png"}], "categories": [{"id": 1, "name": "x"}],'
        ' "images": [{"id": 1, "file_name": "b.png"}], "annotations": []}'
    )
    (root / 'annotations.json').write_text(text)
    result = get_converter('coco', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    assert result.items == 1 and (tmp_path / 'dm/json/b.json').exists()
