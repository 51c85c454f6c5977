"""``synapse convert``: DM -> YOLO/COCO with the converters, report table, terminal vs pipe."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest

from .conftest import SYNAPSE_EXE, run_in_pty, subprocess_env


def _item(i: int, cls: str = 'car') -> dict:
    return {
        'classification': {'bounding_box': [cls]},
        'images': [
            {
                'bounding_box': [
                    {
                        'id': f'bb{i:04d}AbCd',
                        'classification': cls,
                        'attrs': [],
                        'data': [2, 2, 10 + i % 5, 8],
                    }
                ]
            }
        ],
    }


def write_dm_dataset(root, count: int = 12, *, broken: int = 0, split: str | None = None):
    """A DM v2 dataset: ``json/<stem>.json`` + ``original_files/<stem>.png`` (64x48), some items broken."""
    from synapse_sdk.utils.converters.png import encode_png

    base = root / split if split else root
    (base / 'json').mkdir(parents=True)
    (base / 'original_files').mkdir(parents=True)
    png = encode_png(64, 48, bytes(64 * 48 * 3), mode='RGB')
    for i in range(count):
        doc = _item(i, 'car' if i % 2 else 'bus')
        if i < broken:
            doc['images'][0]['bounding_box'][0]['data'] = [5, 5, 0, 0]  # degenerate box
        (base / 'json' / f'item_{i:03d}.json').write_text(json.dumps(doc), encoding='utf-8')
        (base / 'original_files' / f'item_{i:03d}.png').write_bytes(png)
    return root


def test_dm_to_yolo_with_summary_table(invoke, tmp_path):
    src = write_dm_dataset(tmp_path / 'dm')
    out = tmp_path / 'yolo'
    result = invoke('convert', 'dm_v2', 'yolo', str(src), str(out))
    assert result.exit_code == 0, result.stderr
    assert f'Converted 12 of 12 item(s) from dm_v2 to yolo into {out}' in result.stdout
    assert 'bounding_box (read -> written)  12 -> 12' in result.stdout
    assert 'classes' in result.stdout and 'bus, car' in result.stdout
    assert len(list((out).rglob('*.txt'))) >= 12
    assert 'convert: 12/12 (100%)' in result.stderr  # plain progress lines (not a terminal)


def test_json_output_and_korean_message(invoke, tmp_path):
    src = write_dm_dataset(tmp_path / 'dm', count=3)
    result = invoke('convert', 'dm_v2', 'coco', str(src), str(tmp_path / 'coco'), '--json')
    payload = json.loads(result.stdout)
    assert payload['ok'] is True and payload['items'] == 3 and payload['target'] == 'coco'
    ko = invoke('convert', 'dm_v2', 'yolo', str(src), str(tmp_path / 'y'), '-l', 'ko')
    assert '3개 중 3개 항목을 dm_v2에서 yolo(으)로 변환하여' in ko.stdout


def test_categorized_dataset(invoke, tmp_path):
    src = tmp_path / 'dm'
    write_dm_dataset(src, count=4, split='train')
    write_dm_dataset(src, count=2, split='valid')
    result = invoke('convert', 'dm_v2', 'yolo', str(src), str(tmp_path / 'y'), '--categorized', '--json')
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)['splits'] == {'train': 4, 'valid': 2}


def test_on_error_policies(invoke, tmp_path):
    src = write_dm_dataset(tmp_path / 'dm', count=6, broken=2)
    failed = invoke('convert', 'dm_v2', 'yolo', str(src), str(tmp_path / 'a'))
    assert failed.exit_code == 2
    assert 'nothing was written' in failed.stderr and '--on-error skip' in failed.stderr
    assert not (tmp_path / 'a').exists()

    collected = invoke(
        'convert', 'dm_v2', 'yolo', str(src), str(tmp_path / 'b'), '--on-error', 'collect', '--json'
    )
    assert collected.exit_code == 2
    error = json.loads(collected.stdout)['error']
    assert error['message'].startswith('2 problem(s)') and len(error['problems']) == 2
    assert not (tmp_path / 'b').exists()

    skipped = invoke('convert', 'dm_v2', 'yolo', str(src), str(tmp_path / 'c'), '--on-error', 'skip')
    assert skipped.exit_code == 0, skipped.stderr
    assert 'problem  degenerate_box' in skipped.stdout
    assert (tmp_path / 'c').is_dir()


def test_refuses_to_overwrite_without_flag(invoke, tmp_path):
    src = write_dm_dataset(tmp_path / 'dm', count=2)
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'keep.txt').write_text('mine', encoding='utf-8')
    result = invoke('convert', 'dm_v2', 'yolo', str(src), str(out))
    assert result.exit_code == 2 and '--overwrite' in result.stderr
    assert (out / 'keep.txt').read_text() == 'mine'
    assert invoke('convert', 'dm_v2', 'yolo', str(src), str(out), '--overwrite').exit_code == 0


def test_unsupported_pair(invoke, tmp_path):
    src = write_dm_dataset(tmp_path / 'dm', count=1)
    result = invoke('convert', 'yolo', 'yolo', str(src), str(tmp_path / 'x'))
    assert result.exit_code == 2
    assert 'no converter from yolo to yolo' in result.stderr


def test_between_two_formats_with_task(invoke, tmp_path):
    src = write_dm_dataset(tmp_path / 'dm', count=3)
    assert invoke('convert', 'dm_v2', 'coco', str(src), str(tmp_path / 'coco')).exit_code == 0
    result = invoke(
        'convert', 'coco', 'yolo', str(tmp_path / 'coco'), str(tmp_path / 'y'), '--task', 'segment'
    )
    assert result.exit_code == 0, result.stderr
    assert 'bounding_box:as_polygon (carried as)  3' in result.stdout
    rows = (tmp_path / 'y/labels/item_000.txt').read_text().split()
    assert len(rows) == 9 and rows[0] == '0'  # a box as its 4 corners
    bad = invoke('convert', 'coco', 'pascal', str(tmp_path / 'coco'), str(tmp_path / 'v'), '--task', 'detect')
    assert bad.exit_code == 2 and '--task' in bad.stderr


def test_voc_convention_option(invoke, tmp_path):
    """--voc-convention picks the corner rule of a Pascal VOC target and of a Pascal VOC source."""
    src = write_dm_dataset(tmp_path / 'dm', count=2)
    doc_path = src / 'json/item_000.json'
    doc = json.loads(doc_path.read_text(encoding='utf-8'))
    doc['images'][0]['bounding_box'][0]['data'] = [0, 0, 10, 8]  # from the first pixel: x 0..9, y 0..7
    doc_path.write_text(json.dumps(doc), encoding='utf-8')
    for convention, corners in ((None, ['1', '1', '10', '8']), ('legacy', ['0', '0', '10', '8'])):
        args = ['--voc-convention', convention] if convention else []
        out = tmp_path / f'voc_{convention}'
        result = invoke('convert', 'dm_v2', 'voc', str(src), str(out), *args)
        assert result.exit_code == 0, result.stderr
        box = ET.parse(out / 'Annotations/item_000.xml').find('object/bndbox')
        assert [box.findtext(k) for k in ('xmin', 'ymin', 'xmax', 'ymax')] == corners
    legacy = str(tmp_path / 'voc_legacy')
    refused = invoke('convert', 'pascal', 'dm_v2', legacy, str(tmp_path / 'refused'))
    assert refused.exit_code == 2 and '--voc-convention legacy' in refused.stderr  # the hint names the option
    back = invoke('convert', 'pascal', 'dm_v2', legacy, str(tmp_path / 'back'), '--voc-convention', 'legacy')
    assert back.exit_code == 0, back.stderr
    read = json.loads((tmp_path / 'back/json/item_000.json').read_text(encoding='utf-8'))
    assert read['images'][0]['bounding_box'][0]['data'] == [0, 0, 10, 8]
    bad = invoke('convert', 'dm_v2', 'yolo', str(src), str(tmp_path / 'y'), '--voc-convention', 'legacy')
    assert bad.exit_code == 2 and '--voc-convention' in bad.stderr and not (tmp_path / 'y').exists()
    wrong = invoke('convert', 'dm_v2', 'voc', str(src), str(tmp_path / 'w'), '--voc-convention', 'zero')
    assert wrong.exit_code == 2 and "'zero' is not one of 'devkit', 'legacy'" in wrong.stderr
    ko = invoke('convert', '--help', '-l', 'ko')
    assert '--voc-convention' in ko.stdout and '0부터 세고 xmax = x + w' in ko.stdout


def test_a_symlink_output_reads_back_with_link_root(invoke, tmp_path):
    src = write_dm_dataset(tmp_path / 'dm', count=3)
    out = tmp_path / 'yolo'
    assert invoke('convert', 'dm_v2', 'yolo', str(src), str(out), '--image-mode', 'symlink').exit_code == 0
    assert all(p.is_symlink() for p in (out / 'images').iterdir())
    refused = invoke('convert', 'yolo', 'coco', str(out), str(tmp_path / 'c1'))
    assert refused.exit_code == 2 and 'unsafe_path' in refused.stderr
    assert '--link-root' in refused.stderr and '--image-mode symlink' in refused.stderr  # how to opt in
    result = invoke(
        'convert', 'yolo', 'coco', str(out), str(tmp_path / 'c2'), '--link-root', str(src), '--json'
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)['items'] == 3
    assert not any(p.is_symlink() for p in (tmp_path / 'c2/images').iterdir())  # copied this time


@pytest.mark.integration
def test_progress_bar_on_a_terminal(tmp_path):
    src = write_dm_dataset(tmp_path / 'dm', count=20)
    code, output = run_in_pty(
        [str(SYNAPSE_EXE), 'convert', 'dm_v2', 'yolo', str(src), str(tmp_path / 'y')], tmp_path
    )
    assert code == 0, output
    assert '\r' in output and 'convert: [' in output and '#' * 30 + ']' in output
    assert 'Converted 20 of 20' in output


@pytest.mark.integration
def test_plain_output_when_piped(tmp_path):
    src = write_dm_dataset(tmp_path / 'dm', count=20)
    proc = subprocess.run(
        [str(SYNAPSE_EXE), 'convert', 'dm_v2', 'yolo', str(src), str(tmp_path / 'y')],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for stream in (proc.stdout, proc.stderr):
        assert '\x1b' not in stream and '\r' not in stream
    assert 'save: 20/20 (100%)' in proc.stderr
    assert 'Converted 20 of 20' in proc.stdout
