"""Property tests of the pure pieces: progress clamping, env parsing, redaction, entrypoints."""

import json
import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_sdk.loggers import NullLogger
from synapse_sdk.plugins.context import PluginEnvironment
from synapse_sdk.plugins.errors import EnvironmentValueError
from synapse_sdk.plugins.loading import normalize_entrypoint, split_entrypoint
from synapse_sdk.security.redaction import MASK, redact

numbers = st.integers(min_value=-1000, max_value=10_000)


@given(st.lists(st.tuples(numbers, numbers), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_progress_never_raises_and_stays_in_range(updates):
    logger = NullLogger()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for current, total in updates:
            data = logger.set_progress(current, total, step='s')
            assert 0 <= data.current <= max(data.total, 0)
            assert 0.0 <= data.percent <= 100.0
    record = logger.progress_record()
    json.dumps(record)
    assert 0.0 <= record['current_progress']['overall'] <= 100.0


@given(
    st.dictionaries(st.sampled_from(['a', 'b', 'c']), st.floats(0, 10)).filter(lambda d: sum(d.values()) > 0),
    st.lists(st.tuples(st.sampled_from(['a', 'b', 'c']), st.integers(0, 100)), max_size=20),
)
@settings(max_examples=100, deadline=None)
def test_overall_with_proportions_never_decreases(proportions, updates):
    logger = NullLogger()
    logger.set_step_proportions(proportions)
    last = 0.0
    for step, current in updates:
        logger.set_progress(current, 100, step=step)
        overall = logger.progress_record()['current_progress']['overall']
        assert overall >= last
        last = overall


@given(st.text(max_size=12))
def test_get_bool_is_true_false_or_a_named_error(value):
    env = PluginEnvironment({'FLAG': value})
    try:
        result = env.get_bool('FLAG', default=None)
    except EnvironmentValueError as exc:
        assert 'FLAG' in str(exc)
    else:
        assert result in (True, False) or (result is None and not value.strip())


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_characters=',', blacklist_categories=['Cs']),
            min_size=1,
            max_size=8,
        ).filter(lambda s: s.strip() == s and s),
        max_size=6,
    )
)
def test_get_list_round_trips_comma_joined_items(items):
    assert PluginEnvironment({'L': ','.join(items)}).get_list('L', default=[]) == items


@given(
    st.recursive(
        st.one_of(st.none(), st.integers(), st.text(max_size=10)),
        lambda children: (
            st.dictionaries(
                st.sampled_from(['token', 'password', 'name', 'value', 'api_key', 'n']), children, max_size=4
            )
            | st.lists(children, max_size=3)
        ),
        max_leaves=15,
    )
)
def test_redact_never_leaves_a_secret_value(data):
    def check(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in ('token', 'password', 'api_key') and v not in (None, ''):
                    assert v == MASK
                else:
                    check(v)
        elif isinstance(obj, list):
            for v in obj:
                check(v)

    check(redact(data))


identifiers = st.from_regex(r'[a-z_][a-z0-9_]{0,6}', fullmatch=True)


@given(st.lists(identifiers, min_size=1, max_size=4), identifiers, st.booleans())
def test_entrypoint_forms_agree(modules, attr, colon):
    module = '.'.join(modules)
    text = f'{module}:{attr}' if colon else f'{module}.{attr}'
    assert split_entrypoint(text) == (module, attr)
    assert normalize_entrypoint(text) == f'{module}:{attr}'
