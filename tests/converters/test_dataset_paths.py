"""Paths taken from a dataset stay inside it: ``..``, absolute paths and symbolic links leading out are
``unsafe_path`` problems naming the file, under every policy, and nothing outside the dataset is read or copied."""

from __future__ import annotations

import json
import os

import pytest
from converters_fixtures import png_bytes, write_dm

from synapse_sdk.utils.converters import ConversionError, ProblemKind, get_converter

SECRET = png_bytes(7, 5) + b'secret bytes outside the dataset'


def coco(root, file_names: list[str]):
    (root / 'annotations').mkdir(parents=True)
    (root / 'images').mkdir()
    (root / 'images/good.png').write_bytes(png_bytes(8, 6))
    images = [
        {'id': i + 1, 'file_name': name, 'width': 8, 'height': 6}
        for i, name in enumerate(['good.png', *file_names])
    ]
    anns = [
        {'id': i + 1, 'image_id': i + 1, 'category_id': 1, 'bbox': [1, 1, 2, 2]} for i in range(len(images))
    ]
    doc = {'images': images, 'annotations': anns, 'categories': [{'id': 1, 'name': 'x'}]}
    (root / 'annotations/instances.json').write_text(json.dumps(doc))
    return root


def voc(root, filename: str = 'good.png', stems=('good',), lists: list[str] | None = None):
    for d in ('Annotations', 'JPEGImages'):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / 'JPEGImages/good.png').write_bytes(png_bytes(8, 6))
    obj = '<object><name>x</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object>'
    for stem in stems:
        name = 'good.png' if stem == 'good' else filename
        (root / f'Annotations/{stem}.xml').write_text(
            f'<annotation><filename>{name}</filename>{obj}</annotation>'
        )
    if lists is not None:
        (root / 'ImageSets/Main').mkdir(parents=True)
        (root / 'ImageSets/Main/train.txt').write_text(''.join(f'{s}\n' for s in lists))
    return root


def yolo(root, data_yaml: str = 'names: [x]\n', split: str = ''):
    images, labels = root / 'images' / split, root / 'labels' / split
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    (images / 'good.png').write_bytes(png_bytes(8, 6))
    (labels / 'good.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    (root / 'data.yaml').write_text(data_yaml)
    return root


def dm(root):
    doc = {
        'images': [{'bounding_box': [{'id': 'b', 'classification': 'x', 'attrs': [], 'data': [1, 1, 2, 2]}]}]
    }
    return write_dm(root, {'good': doc}, images={'good': ('good.png', png_bytes(8, 6))})


def link(path, target):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def outside_file(tmp_path, name='outside.png'):
    (tmp_path / name).write_bytes(SECRET)
    return tmp_path / name


def _coco_dotdot(tmp_path):
    outside_file(tmp_path)
    return 'coco', coco(tmp_path / 'ds', ['../../outside.png']), 'instances.json', {}


def _coco_absolute(tmp_path):
    return 'coco', coco(tmp_path / 'ds', [str(outside_file(tmp_path))]), 'instances.json', {}


def _coco_nested_dotdot(tmp_path):
    outside_file(tmp_path)
    return 'coco', coco(tmp_path / 'ds', ['sub/../../../outside.png']), 'instances.json', {}


def _coco_image_symlink(tmp_path):
    root = coco(tmp_path / 'ds', ['linked.png'])
    link(root / 'images/linked.png', outside_file(tmp_path))
    return 'coco', root, 'linked.png', {}


def _coco_symlinked_images_dir(tmp_path):
    (tmp_path / 'elsewhere').mkdir()
    (tmp_path / 'elsewhere/other.png').write_bytes(SECRET)
    root = coco(tmp_path / 'ds', ['sub/other.png'])
    link(root / 'images/sub', tmp_path / 'elsewhere')
    return 'coco', root, 'other.png', {}


def _coco_annotation_file_symlink(tmp_path):
    root = coco(tmp_path / 'ds', [])
    os.replace(root / 'annotations/instances.json', tmp_path / 'real.json')
    link(root / 'annotations/instances.json', tmp_path / 'real.json')
    return 'coco', root, 'instances.json', {'items': 0}


def _voc_filename_dotdot(tmp_path):
    outside_file(tmp_path)
    return 'pascal', voc(tmp_path / 'ds', '../../outside.png', ('good', 'bad')), 'bad.xml', {}


def _voc_filename_absolute(tmp_path):
    return 'pascal', voc(tmp_path / 'ds', str(outside_file(tmp_path)), ('good', 'bad')), 'bad.xml', {}


def _voc_imagesets_dotdot(tmp_path):
    (tmp_path / 'evil.xml').write_text('<annotation><filename>good.png</filename></annotation>')
    return 'pascal', voc(tmp_path / 'ds', lists=['good', '../../evil']), 'train.txt', {'categorized': True}


def _voc_image_symlink(tmp_path):
    root = voc(tmp_path / 'ds', 'linked.png', ('good', 'bad'))
    link(root / 'JPEGImages/linked.png', outside_file(tmp_path))
    return 'pascal', root, 'linked.png', {}


def _voc_xml_symlink(tmp_path):
    root = voc(tmp_path / 'ds')
    (tmp_path / 'real.xml').write_text((root / 'Annotations/good.xml').read_text())
    link(root / 'Annotations/bad.xml', tmp_path / 'real.xml')
    return 'pascal', root, 'bad.xml', {}


def _voc_mask_symlink(tmp_path):
    root = voc(tmp_path / 'ds', stems=('good', 'bad'))
    link(root / 'SegmentationObject/bad.png', outside_file(tmp_path))
    return 'pascal', root, 'bad.png', {}


def _yolo_image_symlink(tmp_path):
    root = yolo(tmp_path / 'ds')
    link(root / 'images/bad.png', outside_file(tmp_path))
    (root / 'labels/bad.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    return 'yolo', root, 'bad', {}


def _yolo_label_symlink(tmp_path):
    root = yolo(tmp_path / 'ds')
    (root / 'images/bad.png').write_bytes(png_bytes(8, 6))
    (tmp_path / 'real.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    link(root / 'labels/bad.txt', tmp_path / 'real.txt')
    return 'yolo', root, 'bad.txt', {}


def _yolo_split_path_dotdot(tmp_path):
    (tmp_path / 'outside/images').mkdir(parents=True)
    (tmp_path / 'outside/images/stolen.png').write_bytes(SECRET)
    root = yolo(tmp_path / 'ds', 'names: [x]\ntrain: ../outside/images\n', split='train')
    return 'yolo', root, 'data.yaml', {'categorized': True}


def _yolo_split_path_absolute(tmp_path):
    (tmp_path / 'outside/images').mkdir(parents=True)
    (tmp_path / 'outside/images/stolen.png').write_bytes(SECRET)
    root = yolo(tmp_path / 'ds', f'names: [x]\ntrain: {tmp_path}/outside/images\n', split='train')
    return 'yolo', root, 'data.yaml', {'categorized': True}


def _yolo_data_yaml_symlink(tmp_path):
    root = yolo(tmp_path / 'ds')
    (tmp_path / 'real.yaml').write_text('names: [x]\n')
    (root / 'data.yaml').unlink()
    link(root / 'data.yaml', tmp_path / 'real.yaml')
    return 'yolo', root, 'data.yaml', {'items': 0}


def _dm_image_symlink(tmp_path):
    root = dm(tmp_path / 'ds')
    doc = (root / 'json/good.json').read_text()
    (root / 'json/bad.json').write_text(doc)
    link(root / 'original_files/bad.png', outside_file(tmp_path))
    return 'dm_v2', root, 'bad', {}


def _dm_json_symlink(tmp_path):
    root = dm(tmp_path / 'ds')
    (tmp_path / 'real.json').write_text((root / 'json/good.json').read_text())
    link(root / 'json/bad.json', tmp_path / 'real.json')
    (root / 'original_files/bad.png').write_bytes(png_bytes(8, 6))
    return 'dm_v2', root, 'bad.json', {}


CASES = [
    _coco_dotdot,
    _coco_absolute,
    _coco_nested_dotdot,
    _coco_image_symlink,
    _coco_symlinked_images_dir,
    _coco_annotation_file_symlink,
    _voc_filename_dotdot,
    _voc_filename_absolute,
    _voc_imagesets_dotdot,
    _voc_image_symlink,
    _voc_xml_symlink,
    _voc_mask_symlink,
    _yolo_image_symlink,
    _yolo_label_symlink,
    _yolo_split_path_dotdot,
    _yolo_split_path_absolute,
    _yolo_data_yaml_symlink,
    _dm_image_symlink,
    _dm_json_symlink,
]


def _target(source: str) -> str:
    return 'coco' if source == 'dm_v2' else 'dm_v2'


def _everything_written(out) -> bytes:
    return b''.join(p.read_bytes() for p in out.rglob('*') if p.is_file())


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.__name__.lstrip('_'))
def test_paths_leading_out_are_unsafe_path_problems_under_every_policy(tmp_path, case):
    source, root, named, extra = case(tmp_path)
    categorized = extra.get('categorized', False)
    if source == 'yolo' and named == 'data.yaml' and 'items' in extra:
        # a dataset-level file: nothing can be converted without it
        for policy in ('fail', 'skip', 'collect'):
            with pytest.raises(ConversionError) as err:
                get_converter(source, _target(source), root_dir=root, error_policy=policy).convert()
            assert err.value.problems[0].kind is ProblemKind.UNSAFE_PATH
        return
    for policy in ('fail', 'collect'):
        conv = get_converter(
            source, _target(source), root_dir=root, is_categorized=categorized, error_policy=policy
        )
        with pytest.raises(ConversionError) as err:
            conv.save_to_folder(tmp_path / f'out-{policy}')
        unsafe = [p for p in err.value.problems if p.kind is ProblemKind.UNSAFE_PATH]
        assert unsafe, err.value.problems
        assert named in str(unsafe[0]), unsafe[0]  # the problem names the file or the entry
        assert not (tmp_path / f'out-{policy}').exists()
    out = tmp_path / 'out-skip'
    result = get_converter(
        source, _target(source), root_dir=root, is_categorized=categorized, error_policy='skip'
    ).save_to_folder(out)
    assert result.report.problem_counts.get('unsafe_path', 0) >= 1
    assert result.items == extra.get('items', 1)  # the good item is converted
    assert b'secret bytes outside the dataset' not in _everything_written(out)


def test_links_inside_the_dataset_and_a_linked_root_are_fine(tmp_path):
    root = coco(tmp_path / 'real', ['alias.png', 'sub/nested.png'])
    os.symlink('good.png', root / 'images/alias.png')  # relative link inside the dataset
    (root / 'images/sub').mkdir()
    (root / 'images/sub/nested.png').write_bytes(png_bytes(8, 6))
    os.symlink(root, tmp_path / 'linked-root')
    result = get_converter('coco', 'dm_v2', root_dir=tmp_path / 'linked-root').save_to_folder(
        tmp_path / 'out'
    )
    assert result.ok and result.items == 3


def test_roboflow_style_parent_split_paths_are_read_inside_the_dataset(tmp_path):
    """Roboflow writes ``train: ../train/images``; like Ultralytics, it is taken as ``train/images`` when that is
    the folder inside the dataset, which is no unsafe path."""
    root = tmp_path / 'ds'
    for split in ('train', 'valid'):
        (root / split / 'images').mkdir(parents=True)
        (root / split / 'labels').mkdir()
        (root / split / 'images/a.png').write_bytes(png_bytes(8, 6))
        (root / split / 'labels/a.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    (root / 'data.yaml').write_text('train: ../train/images\nval: ../valid/images\nnc: 1\nnames: [x]\n')
    result = get_converter('yolo', 'dm_v2', root_dir=root, is_categorized=True).save_to_folder(
        tmp_path / 'out'
    )
    assert result.ok and result.splits == {'train': 1, 'valid': 1}


_TEXT_CASES = {
    _coco_dotdot,
    _coco_absolute,
    _coco_nested_dotdot,
    _voc_filename_dotdot,
    _voc_filename_absolute,
}


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.__name__.lstrip('_'))
def test_link_roots_widen_nothing_but_links_into_them(tmp_path, case):
    """``link_roots`` naming some other directory changes nothing; a path text with ``..`` or an absolute one is
    refused even when ``link_roots`` contains where it leads (only links may lead into a link root)."""
    source, root, named, extra = case(tmp_path)
    (tmp_path / 'unrelated').mkdir()
    roots = [tmp_path] if case in _TEXT_CASES else [tmp_path / 'unrelated']
    conv = get_converter(
        source,
        _target(source),
        root_dir=root,
        is_categorized=extra.get('categorized', False),
        link_roots=roots,
    )
    with pytest.raises(ConversionError) as err:
        conv.save_to_folder(tmp_path / 'out')
    unsafe = [p for p in err.value.problems if p.kind is ProblemKind.UNSAFE_PATH]
    assert unsafe and named in str(unsafe[0]), err.value.problems
    assert not (tmp_path / 'out').exists()


def test_a_link_into_a_named_root_is_read(tmp_path):
    (tmp_path / 'store').mkdir()
    (tmp_path / 'store/shared.png').write_bytes(png_bytes(8, 6))
    root = coco(tmp_path / 'ds', ['shared.png', 'other.png'])
    link(root / 'images/shared.png', tmp_path / 'store/shared.png')
    link(root / 'images/other.png', outside_file(tmp_path))  # outside the named root: still refused
    result = get_converter(
        'coco', 'dm_v2', root_dir=root, link_roots=tmp_path / 'store', error_policy='skip'
    ).save_to_folder(tmp_path / 'out')
    assert result.items == 2 and result.report.problem_counts == {'unsafe_path': 1}
    assert (tmp_path / 'out/original_files/shared.png').read_bytes() == png_bytes(8, 6)
    assert b'secret bytes outside the dataset' not in _everything_written(tmp_path / 'out')
    for bad in (tmp_path / 'missing', tmp_path / 'store/shared.png', 42):
        with pytest.raises(ValueError, match='link_roots'):
            get_converter('coco', 'dm_v2', root_dir=root, link_roots=bad)


@pytest.mark.parametrize('target', ['yolo', 'coco', 'pascal', 'dm_v1'])
def test_every_image_mode_reads_back(tmp_path, target):
    """DM v2 -> target -> DM v2 with each image_mode: copy and hardlink outputs read back as they are; a symlink
    output links to the source's images, so reading it back is refused (the message says how to opt in) until
    the source's root is named in link_roots, and then gives what the copy gives."""
    from converters_fixtures import read_dm_v2, write_rich

    src = write_rich(tmp_path / 'src', 3, version='v2', categorized=False)
    back = {}
    for mode in ('copy', 'hardlink', 'symlink'):
        out = tmp_path / f'{target}-{mode}'
        get_converter('dm_v2', target, root_dir=src, image_mode=mode).save_to_folder(out)
        images = sorted(p for p in out.rglob('*.png') if not p.parent.name.startswith('Segmentation'))
        assert len(images) == 3
        for image in images:
            source_image = src / 'original_files' / image.name
            assert image.read_bytes() == source_image.read_bytes()
            assert image.is_symlink() == (mode == 'symlink')
            assert os.path.samefile(image, source_image) == (mode != 'copy')
        options = {}
        if mode == 'symlink':
            with pytest.raises(ConversionError) as err:
                get_converter(target, 'dm_v2', root_dir=out).convert()
            assert {p.kind for p in err.value.problems} == {ProblemKind.UNSAFE_PATH}
            assert 'link_roots=' in str(err.value.problems[0])
            options['link_roots'] = [src]
        result = get_converter(target, 'dm_v2', root_dir=out, **options).save_to_folder(
            tmp_path / f'back-{mode}'
        )
        assert result.ok and result.items == 3
        back[mode] = read_dm_v2(tmp_path / f'back-{mode}')
    assert back['copy'] == back['hardlink'] == back['symlink']
