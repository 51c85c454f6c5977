"""SSE framing: what the fake writes (its own writer), the clients read back, however the bytes are chunked."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from synapse_sdk.clients._sse import SSEEvent, iter_response_lines, iter_sse
from synapse_sdk.clients.testing._sse import format_sse

names = st.sampled_from(['connected', 'async_job.progress', 'heartbeat', 'async_job.completed', None])
payloads = st.dictionaries(
    st.text(st.characters(codec='utf-8'), max_size=8),
    st.one_of(st.integers(), st.text(st.characters(codec='utf-8'), max_size=20), st.none()),
    max_size=4,
)


class _Chunked:
    """A stand-in for a streamed ``requests.Response``: yields the body in the given chunk sizes."""

    def __init__(self, body: bytes, cuts: list[int]) -> None:
        self.body, self.cuts = body, cuts

    def iter_content(self, chunk_size: int | None = None) -> Any:
        position = 0
        for cut in self.cuts:
            yield self.body[position : position + cut]
            position += cut
        yield self.body[position:]


@given(
    st.lists(st.tuples(names, payloads), max_size=6), st.lists(st.integers(1, 7), max_size=40), st.booleans()
)
def test_frames_survive_any_chunking(events: list[Any], cuts: list[int], crlf: bool) -> None:
    body = b': heartbeat comment\n\n' + b''.join(format_sse(name, data) for name, data in events)
    if crlf:
        body = body.replace(b'\n', b'\r\n')
    parsed = list(iter_sse(iter_response_lines(_Chunked(body, cuts))))
    assert [(e.event, e.json()) for e in parsed] == [(name or 'message', data) for name, data in events]


def test_cut_frame_is_not_dispatched_and_data_lines_join() -> None:
    lines = ['event: a', 'data: {"x":', 'data: 1}', '', 'event: b', 'data: {"half": ']
    assert list(iter_sse(lines)) == [SSEEvent('a', '{"x":\n1}')]
    assert SSEEvent('a', '{"x":\n1}').json() == {'x': 1}
    assert SSEEvent('m', '[1, 2]').json() == {'data': [1, 2]}
    assert SSEEvent('m', 'not json').json() == {}
