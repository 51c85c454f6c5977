"""`url_suffix` (the file name suffix of a record's file URL) finds the URL's path without `urlsplit` when the URL
is plain: proved equal to the standard library's ``PurePosixPath(urlsplit(url).path).suffix`` on generated URLs,
the odd ones included (no scheme, brackets, whitespace, control characters, non-ASCII, ``?`` and ``#`` anywhere)."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from synapse_sdk.plugins.actions.export import files as export_files
from synapse_sdk.plugins.actions.export.files import url_suffix


def reference(url: str) -> str:
    """The suffix by the standard library alone, made safe the way file names are."""
    suffix = PurePosixPath(urlsplit(url).path).suffix
    return export_files._safe(suffix) if suffix else ''


# Characters that matter to urlsplit or PurePosixPath, and some that do not.
_CHARS = st.sampled_from([*'aZ9./?#:@[]%-_+~ \t\n\r\x00\x7fé', '..', '//', '.jpg', '.tar.gz'])
_PART = st.lists(_CHARS, max_size=12).map(''.join)
_SCHEME = st.sampled_from(['http', 'https', 'HTTP', 's3', 'git+ssh', 'a.b-c', '9x', 'a_b', '', ' http'])


@st.composite
def urls(draw: st.DrawFn) -> str:
    """Mostly URL-shaped (scheme://netloc/path?query#fragment, every part drawn from odd characters), sometimes
    any text."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=40))
    scheme = draw(_SCHEME)
    separator = draw(st.sampled_from(['://', ':/', ':', '//', '']))
    netloc = draw(st.sampled_from(['127.0.0.1:8000', 'host', '[::1]', 'ho[st', 'hé', '', 'user@h']))
    path = draw(st.lists(_PART, max_size=4).map('/'.join))
    tail = draw(st.sampled_from(['', '?', '#', '?a=b.c/d', '#x.y', '?q#f.g']))
    return f'{scheme}{separator}{netloc}/{path}{tail}'


@settings(max_examples=400, deadline=None)
@given(urls())
@example('http://127.0.0.1:8000/media/files/abc/frame_1.jpg')
@example('https://bucket.s3.amazonaws.com/a/b.tar.gz?X-Amz-Signature=abc.def#frag.x')
@example('http://host')
@example('http://host/dir/.')
@example('http://host/dir/..')
@example('http://host/.hidden')
@example('http://host/name.')
@example('http://h?x/y.jpg')
@example('http://h/a#b?c.png')
@example('http://[::1]/x.jpg')
@example('http://[::1/x.jpg')
@example('/relative/x.jpg')
@example(' http://host/x.jpg')
@example('http://host/x\t.jpg')
@example('http://hé/x.jpg')
@example('http://host/é.jpg')
@example('http://host/x.j pg')
def test_url_suffix_equals_urlsplit_and_purepath(url: str) -> None:
    try:
        expected = reference(url)
    except ValueError:  # urlsplit refuses it (a malformed IPv6 netloc): so must url_suffix
        with pytest.raises(ValueError):
            url_suffix(url)
        return
    assert url_suffix(url) == expected


def test_plain_urls_take_the_fast_path() -> None:
    """The URLs backends send are plain: they must not fall back to urlsplit (else the fast path is dead code)."""
    for url in (
        'http://127.0.0.1:8000/media/files/abc/frame_1.jpg',
        'https://bucket.s3.amazonaws.com/a/b.tar.gz?X-Amz-Signature=abc.def',
        'https://storage.googleapis.com/b/o.png#x',
    ):
        assert export_files._PLAIN_URL.match(url) is not None, url
    assert export_files._PLAIN_URL.match('http://[::1]/x.jpg') is None
