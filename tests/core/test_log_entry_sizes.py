"""The job logger's byte caps without a network: cutting an entry to fit, and a backend refusing all.

The servers that refuse big bodies (the fake backend and an nginx-like stdlib server) are in
tests/clients/test_job_log_size_limits.py; here the cut itself is checked on arbitrary entries.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_sdk.loggers._sizing import TRUNCATION_MARKER, cut_entry, wire_size
from synapse_sdk.loggers.job import BackendJobLogger

_long_text = st.builds(str.__mul__, st.text(max_size=12), st.integers(0, 300))  # long, yet cheap to draw
_leaf = st.one_of(_long_text, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
_data = st.one_of(_leaf, st.lists(_leaf, max_size=6), st.dictionaries(st.text(max_size=6), _leaf, max_size=4))


def _entry(data, event='log'):
    return {
        'event': event,
        'data': data,
        'datetime': '2026-01-01T00:00:00+00:00',
        'level': 'info',
        'job': 'j',
    }


@settings(max_examples=50, deadline=None)
@given(data=st.dictionaries(st.text(max_size=10), _data, max_size=6), limit=st.integers(300, 3000))
def test_a_cut_entry_fits_keeps_its_identity_and_says_so(data, limit):
    record = _entry(data)
    original = wire_size(record)
    out = cut_entry(record, limit, original)
    if original <= limit:
        assert out == record
        return
    assert out is not None and wire_size(out) <= limit
    assert {k: out[k] for k in ('job', 'datetime', 'level')} == {
        k: record[k] for k in ('job', 'datetime', 'level')
    }
    marker = TRUNCATION_MARKER.format(size=original).strip()
    assert marker in json.dumps(out, ensure_ascii=False)
    assert record == _entry(data)  # the input is not mutated


def test_a_string_is_cut_once_even_when_cut_again_under_a_smaller_cap():
    record = _entry({'content': 'é' * 50_000, 'small': 'kept'})
    original = wire_size(record)
    first = cut_entry(record, 20_000, original)
    second = cut_entry(first, 5_000, original)
    marker = TRUNCATION_MARKER.format(size=original)
    for out, limit in ((first, 20_000), (second, 5_000)):
        assert wire_size(out) <= limit and out['data']['small'] == 'kept'
        text = out['data']['content']
        assert text.endswith(marker) and text.count('truncated') == 1
        assert set(text.removesuffix(marker)) == {'é'}
        assert wire_size(out) > limit - 20  # as much as fits, not a fraction of it


def test_an_entry_of_many_small_values_keeps_a_preview():
    record = _entry({'ids': list(range(20_000))})
    out = cut_entry(record, 4096, wire_size(record))
    assert wire_size(out) <= 4096
    assert out['data']['truncated'].startswith('[... truncated: this log entry was')
    assert out['data']['preview'].startswith('{"ids": [0, 1, 2')


class _RefusesBig:
    """A transport behind a body limit: raises like the client does for HTTP 413."""

    class TooLarge(Exception):
        status_code = 413

    def __init__(self, limit):
        self.limit = limit
        self.logs, self.refused = [], 0

    def create_logs(self, logs):
        if wire_size(list(logs)) > self.limit:
            self.refused += 1
            raise self.TooLarge('413')
        self.logs.extend(logs)

    def update_job(self, job_id, data):
        pass


def test_a_backend_refusing_even_the_smallest_request_costs_a_bounded_number_of_sends():
    transport = _RefusesBig(limit=100)  # under the logger's floor: nothing can ever pass
    logger = BackendJobLogger(transport, 'j', background=False, min_request_bytes=2048, max_attempts=2)
    for i in range(300):
        logger.info('line', index=i, pad='p' * 100)
    logger.finish()
    stats = logger.stats
    assert transport.logs == [] and stats['dropped'] == 300 and stats['queued'] == 0
    assert logger.request_cap == 2048 and not logger.breaker_open  # a 413 is not an outage
    assert transport.refused == stats['too_large'] < 300  # halving, then whole batches dropped


def test_entries_over_a_low_limit_are_cut_and_the_rest_batched_under_it():
    transport = _RefusesBig(limit=5000)
    logger = BackendJobLogger(transport, 'j', background=False, min_request_bytes=1024)
    for i in range(50):
        logger.info('line', index=i)
        logger.info('big', index=-1, text='t' * 20_000)
    logger.finish()
    assert [e['data']['index'] for e in transport.logs if e['data']['message'] == 'line'] == list(range(50))
    bigs = [e for e in transport.logs if e['data']['message'] == 'big']
    assert len(bigs) == 50 and all(e['data']['text'].endswith('bytes]') for e in bigs)
    assert logger.stats['truncated'] == 50 and logger.stats['dropped'] == 0
