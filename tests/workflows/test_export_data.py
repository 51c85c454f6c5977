"""A plain export copies each record's ``data`` as the backend's text; text that is not JSON would make a broken
line of ``records.jsonl``. It is checked: under ``error_policy`` ``fail`` (default) the export stops naming the
record, ``skip`` leaves the record out, ``collect`` keeps its data as a string, and both report it (result, log),
resumed or not. The backend is the fake one, its bulk answer carrying the bad texts as they were stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_sdk.plugins.actions.export import BaseExportAction, ExportDataError, ExportParams
from synapse_sdk.plugins.actions.export import action as export_action
from synapse_sdk.plugins.actions.export import targets as export_targets
from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action

ITEMS = 7
BAD = {101: '{"labels": [1,}', 104: '{"labels": [4]} {"labels": [4]}'}  # both look like one object


class Export(BaseExportAction[ExportParams]):
    action_name = 'export'


class Parsed(Export):
    """Looks into each record (so its data is parsed, not copied): what it writes for data that does not parse is
    the text, as a string."""

    def convert_item(self, record):
        return record


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)
    monkeypatch.setattr(export_action, 'CHECKPOINT_SECONDS', 0.0)
    monkeypatch.setattr(export_targets, 'BULK_BATCH', 2)  # four batches: places to stop


@pytest.fixture
def project(fake_backend):
    state = fake_backend.state
    project = state.add_project(title='Data')
    for i in range(ITEMS):
        row = state.add(
            'assignments', id=100 + i, task=0, project=project['id'], data={'labels': [i], 'é': i}
        )
        if row['id'] in BAD:
            row['data_text'] = BAD[row['id']]
    return project


def run(fake_backend, make_ctx, project, path: Path, action=Export, **params):
    ctx = make_ctx(client=None, v2_client=fake_backend.v2_client())
    base = {'target': 'assignment', 'filter': {'project': project['id']}, 'path': str(path)}
    return run_action(action, {**base, **params}, ctx)


def lines(path: Path) -> list[dict]:
    """Every line of records.jsonl, parsed: a broken line fails here."""
    return [json.loads(line) for line in (path / 'records.jsonl').read_text(encoding='utf-8').splitlines()]


def test_data_that_is_not_json_stops_the_export_naming_the_record(fake_backend, make_ctx, project, tmp_path):
    with pytest.raises(ActionExecutionError) as info:
        run(fake_backend, make_ctx, project, tmp_path / 'out')
    assert isinstance(info.value.__cause__, ExportDataError)
    message = str(info.value)
    assert 'assignment 101' in message and 'not JSON' in message and 'line 1 column' in message
    assert list(tmp_path.iterdir()) == []  # rolled back: a bad record is not something resuming fixes


@pytest.mark.parametrize('policy', ['skip', 'collect'])
def test_data_that_is_not_json_is_left_out_or_kept_as_text_and_reported(
    fake_backend, make_ctx, project, tmp_path, policy
):
    result = run(fake_backend, make_ctx, project, tmp_path / 'out', error_policy=policy)
    assert result['data_errors'] == 2 and result['data_error_items'] == [101, 104]
    records = lines(tmp_path / 'out')
    if policy == 'skip':
        assert result['exported'] == ITEMS - 2
        assert [r['id'] for r in records] == [i for i in range(100, 100 + ITEMS) if i not in BAD]
    else:
        assert result['exported'] == ITEMS
        # the same records as an export that parses the data writes (the text as a string where it does not parse)
        run(fake_backend, make_ctx, project, tmp_path / 'parsed', action=Parsed)
        assert records == lines(tmp_path / 'parsed')
        assert {r['id']: r['data'] for r in records if r['id'] in BAD} == BAD
    assert all(
        r['data'] == {'labels': [r['id'] - 100], 'é': r['id'] - 100} for r in records if r['id'] not in BAD
    )


def test_a_clean_export_reports_no_data_errors(fake_backend, make_ctx, project, tmp_path):
    for row in fake_backend.state.assignments.values():
        row.pop('data_text', None)
    result = run(fake_backend, make_ctx, project, tmp_path / 'out')
    assert result['data_errors'] == 0 and 'data_error_items' not in result
    assert len(lines(tmp_path / 'out')) == ITEMS


@pytest.mark.parametrize('stop_at', [1, 3, 5])
def test_an_interrupted_export_resumes_with_the_same_records_and_report(
    fake_backend, make_ctx, project, tmp_path, stop_at
):
    """Ctrl-C once `stop_at` records are done (kept or left out), then the same export again: the records and the
    report of an uninterrupted run, no record reported twice."""
    reference = run(fake_backend, make_ctx, project, tmp_path / 'reference', error_policy='skip')

    class Interrupted(Export):
        def set_progress(self, current, total, step=None):
            super().set_progress(current, total, step)
            if stop_at <= current < total:
                raise KeyboardInterrupt

    Interrupted.__name__ = Interrupted.__qualname__ = 'Export'
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run(fake_backend, make_ctx, project, out, action=Interrupted, error_policy='skip')
    result = run(fake_backend, make_ctx, project, out, error_policy='skip')
    assert result['resumed'] is True
    for key in ('exported', 'data_errors', 'data_error_items'):
        assert result[key] == reference[key], key
    assert (out / 'records.jsonl').read_bytes() == (tmp_path / 'reference' / 'records.jsonl').read_bytes()


# -- the check itself, against the json module ----------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
#: What a broken document is made of: JSON's own characters, escapes, and what json refuses or accepts only there.
PIECES = st.sampled_from(
    ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u', '\\ud800', 'e', '-', '.', '0', '1', 'NaN', 'Infinity', 'tru',
     'null', ' ', '\t', '\n', '\x0c', '\x00', '\x1f', '\x7f', 'é', '\u2028', '//']
)  # fmt: skip


def json_verdict(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def check_verdict(text: str) -> bool:
    try:
        export_targets.RawJSON(text).check()
    except ValueError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=5),
    ascii_only=st.booleans(),
    cuts=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3), PIECES), max_size=3),
)
def test_the_data_check_accepts_what_json_accepts_and_nothing_else(value, ascii_only, cuts):
    """`RawJSON.check` lets a text through where ``json.loads`` parses it, and only there: documents as written, and
    the same documents with pieces deleted, inserted or replaced. The fast parser it asks first is held to the same
    on its own: where it accepts, ``json`` must (what it refuses, ``json`` decides)."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    for at, cut, piece in cuts:
        at %= len(text) + 1
        text = text[:at] + piece + text[at + cut :]
    if not text.startswith('{'):  # the fast parser takes objects; other texts go to json directly
        text = '{' + text
    expected = json_verdict(text)
    assert check_verdict(text) == expected, text
    try:
        export_targets._json_object().validate_json(text)
    except ValueError:
        return
    assert expected, f'the fast parser accepted what json refuses: {text!r}'


@pytest.mark.parametrize(
    ('text', 'is_json'),
    [
        ('{"a": ' + '[' * 300 + ']' * 300 + '}', True),  # deeper than the fast parser goes: json decides
        ('{"a": "\\ud800 \\udfff"}', True),  # lone surrogates: json takes them
        ('{"a": NaN, "b": -Infinity, "c": 1e400, "d": 123456789012345678901234567890}', True),
        ('{"a": 1, "a": 2}', True),
        ('{"a": "\x01"}', False),  # a control character inside a string
        ('{"a": 1}\x0c', False),  # form feed is not JSON whitespace
        ('{"a": 01}', False),
        ('{"a": 1,}', False),
        ('{"a": [1] ]}', False),
        ('{"a": {"b": [1, {"c": tru}]}}', False),  # broken deep inside: the whole text is read
        ('{"a": 1} {"a": 1}', False),
        ('[{"a": 1}, 2]', True),  # an array: json alone
        ('[{"a": 1},]', False),
    ],
)
def test_the_data_check_on_texts_json_and_the_fast_parser_see_differently(text, is_json):
    assert json_verdict(text) is is_json  # the premise
    assert check_verdict(text) is is_json
