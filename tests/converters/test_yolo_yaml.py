"""``data.yaml`` as other tools write it, read through PyYAML's safe loader, and ours read back by PyYAML.

The files here are laid out the way Ultralytics' dataset files, supervision's ``yaml.dump`` and hand-edited files
are (block scalars, comments, wrapped flow lists, index mappings, zero-indent block lists, escapes); the texts are
written for these tests.
"""

from __future__ import annotations

import json

import pytest
import yaml
from converters_fixtures import png_bytes, write_dm

from synapse_sdk.utils.converters import ConversionError, ProblemKind, get_converter

LONG = [f'class number {i} with a rather long descriptive name' for i in range(12)]


def yolo_dataset(root, data_yaml: str | None, rows: dict[str, str]):
    (root / 'images').mkdir(parents=True)
    (root / 'labels').mkdir()
    for stem, text in rows.items():
        (root / 'images' / f'{stem}.png').write_bytes(png_bytes(20, 10))
        (root / 'labels' / f'{stem}.txt').write_text(text)
    if data_yaml is not None:
        (root / 'data.yaml').write_text(data_yaml, encoding='utf-8')
    return root


def classes_read(tmp_path, data_yaml: str, n: int, **options) -> list[str]:
    """The class of each of ``n`` boxes with ids 0..n-1, as YOLO -> DM v2 reads them."""
    rows = {'a': ''.join(f'{i} 0.5 0.5 0.2 0.2\n' for i in range(n))}
    root = yolo_dataset(tmp_path / 'yolo', data_yaml, rows)
    get_converter('yolo', 'dm_v2', root_dir=root, **options).save_to_folder(tmp_path / 'dm')
    doc = json.loads((tmp_path / 'dm/json/a.json').read_text())
    return [box['classification'] for box in doc['images'][0]['bounding_box']]


def test_yaml_dump_wraps_long_flow_lists_and_quoted_strings(tmp_path):
    text = yaml.dump({'nc': len(LONG), 'names': LONG}, default_flow_style=None, sort_keys=False)
    assert text.count('\n') > 3  # the names list is wrapped over several lines, inside quoted strings too
    quoted = yaml.dump({'names': [f"it's {n}" for n in LONG]}, default_style="'", width=40)
    assert classes_read(tmp_path / 'a', text, len(LONG)) == LONG
    assert classes_read(tmp_path / 'b', quoted, len(LONG)) == [f"it's {n}" for n in LONG]


def test_ultralytics_style_dataset_file_with_block_scalars(tmp_path):
    text = """# A dataset file in the style Ultralytics ships: comments, a relative path, block scalars.
path: ../datasets/demo # dataset root dir
train: images # train images (relative to 'path')
val: images
test: # optional

# Classes
names:
  0: person
  1: bicycle
  2: traffic light

# Download script/URL (optional)
download: |
  from pathlib import Path
  dir = Path(yaml['path'])  # a: colon, # a hash, - a dash
  for x in 'a', 'b':
      print(f"{x}: done")
notes: >
  folded text
  over two lines
"""
    assert classes_read(tmp_path, text, 3) == ['person', 'bicycle', 'traffic light']


@pytest.mark.parametrize(
    ('text', 'expected'),
    [
        ('names: {0: person, 1: car}\n', ['person', 'car']),
        ("names: {'0': person, '1': car}\n", ['person', 'car']),
        ('names:\n- person\n- car\n', ['person', 'car']),  # a block list at zero indent
        ('names: ["caf\\xe9", "\\u00fcber", "tab\\there"]\n', ['café', 'über', 'tab\there']),
        ('nc: 2\nnames: [a, b]  # trailing comment\n', ['a', 'b']),
        ('nc: 2\n', ['class_0', 'class_1']),  # no names: Ultralytics names the ids
        ("names:\n  0: 'yes'\n  1: '1'\n", ['yes', '1']),
    ],
)
def test_names_in_every_form(tmp_path, text, expected):
    assert classes_read(tmp_path, text, len(expected)) == expected


def test_ids_missing_from_a_names_mapping_are_unknown_classes(tmp_path):
    root = yolo_dataset(
        tmp_path / 'y', 'names: {0: a, 2: c}\n', {'a': '0 .5 .5 .2 .2\n1 .5 .5 .2 .2\n2 .5 .5 .2 .2\n'}
    )
    with pytest.raises(ConversionError) as err:
        get_converter('yolo', 'dm_v2', root_dir=root).convert()
    [problem] = err.value.problems
    assert (problem.kind, problem.line) == (ProblemKind.UNKNOWN_CLASS, 2)
    result = get_converter('yolo', 'dm_v2', root_dir=root, error_policy='skip').save_to_folder(
        tmp_path / 'dm'
    )
    boxes = json.loads((tmp_path / 'dm/json/a.json').read_text())['images'][0]['bounding_box']
    assert [b['classification'] for b in boxes] == ['a', 'c'] and result.annotations_skipped == 1


def test_unparsable_yaml_is_a_located_problem_unless_class_names_are_given(tmp_path):
    broken = 'names: [a, b\ntrain: images\n'
    root = yolo_dataset(tmp_path / 'y', broken, {'a': '1 0.5 0.5 0.2 0.2\n'})
    for policy in ('fail', 'skip', 'collect'):
        with pytest.raises(ConversionError) as err:
            get_converter('yolo', 'dm_v2', root_dir=root, error_policy=policy).convert()
        [problem] = err.value.problems
        assert problem.kind is ProblemKind.MALFORMED_YAML and problem.file.endswith('data.yaml')
        assert problem.line == 2, problem
    get_converter('yolo', 'dm_v2', root_dir=root, class_names=['x', 'y']).save_to_folder(tmp_path / 'dm')
    doc = json.loads((tmp_path / 'dm/json/a.json').read_text())
    assert doc['images'][0]['bounding_box'][0]['classification'] == 'y'
    for text, where in (('- a\n- b\n', 'mapping'), ('names: 3\n', 'names'), ('names: {x: a}\n', 'class id')):
        (root / 'data.yaml').write_text(text)
        with pytest.raises(ConversionError, match=where):
            get_converter('yolo', 'dm_v2', root_dir=root).convert()


ODD_NAMES = [
    'yes',
    'null',
    '1',
    '0x1F',
    'a: b',
    '#tag',
    ' padded ',
    'café',
    '- dash',
    'quote"s',
    "it's",
    'del\x7f',
]


def test_written_data_yaml_reads_back_exactly_with_pyyaml_and_with_us(tmp_path):
    docs = {
        f'i{k}': {
            'images': [
                {
                    'bounding_box': [
                        {'id': f'b{k}', 'classification': name, 'attrs': [], 'data': [2, 2, 5, 4]},
                    ]
                }
            ]
        }
        for k, name in enumerate(ODD_NAMES)
    }
    src = write_dm(tmp_path / 'src', docs, images={s: (f'{s}.png', png_bytes(20, 10)) for s in docs})
    get_converter('dm_v2', 'yolo', root_dir=src, task='detect').save_to_folder(tmp_path / 'yolo')
    data = yaml.safe_load((tmp_path / 'yolo/data.yaml').read_text(encoding='utf-8'))
    assert data['names'] == dict(enumerate(sorted(ODD_NAMES))) and data['nc'] == len(ODD_NAMES)
    get_converter('yolo', 'dm_v2', root_dir=tmp_path / 'yolo').save_to_folder(tmp_path / 'back')
    for stem, name in zip(docs, ODD_NAMES, strict=True):
        doc = json.loads((tmp_path / f'back/json/{stem}.json').read_text(encoding='utf-8'))
        assert doc['images'][0]['bounding_box'][0]['classification'] == name
