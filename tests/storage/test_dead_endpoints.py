"""S3 and GCS against an endpoint that is down or silent fail with the typed error within a small multiple of
their ``timeout``, naming the action, the object and the endpoint, and holding no secret.

Three dead endpoints: a closed port, a server that accepts and never answers, one that answers the headers
and stalls the body (`servers.silent_server`); every public operation that talks to the server. Before
``timeout`` existed, a silent S3 endpoint held each call for 3 attempts of botocore's 60 s read timeout
(~180 s) and a GCS one for google-cloud-storage's 120 s retry deadline (docs/storage, "Timeouts and dead
endpoints"). Each test runs the eight operations of one provider against one endpoint at once, in threads,
so the whole module takes about 20 s. The deadline asserted is generous (CI machines are loaded): it tells a
bounded wait from an unbounded one, it is not a benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import synapse_storage_test_servers as servers  # registered by conftest.py

from synapse_sdk.utils.storage import get_storage
from synapse_sdk.utils.storage.errors import StorageConfigError, StorageConnectionError

TIMEOUT = 1.0
#: The generous bound of a failure. On a quiet machine the slowest is an S3 upload to a silent endpoint,
#: ~6 s: 3 attempts, each waiting 1 s for a '100 Continue' (botocore's fixed wait before sending a PUT
#: body) and then TIMEOUT for the answer; everything else takes 1-3.5 s.
LIMIT = 15.0
SECRETS = ('PLANTED-s3-secret-4471', 'PLANTED-endpoint-pw-5123')
KEY = 'frames/a.bin'


def _config(provider: str, url: str) -> dict[str, Any]:
    # The endpoint carries a password of its own: it must not be shown either.
    endpoint = url.replace('http://', f'http://planted-user:{SECRETS[1]}@')
    if provider == 's3':
        pytest.importorskip('boto3')
        config = servers.S3Server(endpoint, access_key='AKIDEXAMPLE', secret_key=SECRETS[0]).config('bucket')
        config['configuration']['timeout'] = TIMEOUT
        return config
    pytest.importorskip('google.cloud.storage')
    return {
        'provider': 'gcs',
        'configuration': {
            'bucket_name': 'bucket',
            'project': 'p',
            'endpoint_url': endpoint,
            'timeout': TIMEOUT,
        },
    }


def _operations(store: Any, tmp_path: Path, *, head_first: bool) -> dict[str, tuple[str, Callable[[], Any]]]:
    """Each public operation: the action and key its error must name, and the call."""
    source = tmp_path / 'source.bin'
    source.write_bytes(b'frame' * 100)
    where = f'{store.provider.replace("gcs", "gs")}://bucket/'
    return {
        'exists': (f'stat of {where}{KEY}', lambda: store.exists(KEY)),
        'size': (f'stat of {where}{KEY}', lambda: store.size(KEY)),
        'open': (f'read of {where}{KEY}', lambda: store.open(KEY).read()),
        'download': (f'download of {where}{KEY}', lambda: store.download(KEY, tmp_path / 'out' / 'a.bin')),
        'upload': (f'upload to {where}{KEY}', lambda: store.upload(source, KEY)),
        'list': (f'listing of {where}frames', lambda: list(store.list('frames'))),
        'is_dir': (f'listing of {where}frames', lambda: store.is_dir('frames')),
        # S3 deletes after a HEAD (a missing key is reported): against a dead endpoint that HEAD fails first.
        'delete': (f'{"stat" if head_first else "delete"} of {where}{KEY}', lambda: store.delete(KEY)),
    }


def _timed(call: Callable[[], Any]) -> tuple[float, BaseException | None, Any]:
    started = time.monotonic()
    try:
        result = call()
    except Exception as exc:
        return time.monotonic() - started, exc, None
    return time.monotonic() - started, None, result


@pytest.fixture(params=['closed', 'silent', 'stalled'])
def dead_endpoint(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    if request.param == 'closed':
        yield 'closed', f'http://127.0.0.1:{servers.free_port()}'  # nothing listens there
        return
    with servers.silent_server(answer_headers=request.param == 'stalled') as url:
        yield request.param, url


@pytest.mark.parametrize('provider', ['s3', 'gcs'])
def test_every_operation_fails_typed_and_bounded_against_a_dead_endpoint(
    provider: str, dead_endpoint: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = dead_endpoint
    store = get_storage(_config(provider, url))
    assert store.client is not None  # the library imported and its client built before the clock starts
    operations = _operations(store, tmp_path, head_first=provider == 's3' and kind != 'stalled')
    if provider == 's3' and kind == 'stalled':
        # A HEAD is answered by the headers alone: exists/size succeed there, truly.
        assert store.exists(KEY) and store.size(KEY) == 100_000
        del operations['exists'], operations['size']
    with ThreadPoolExecutor(len(operations)) as pool:
        outcomes = dict(
            zip(operations, pool.map(_timed, [call for _, call in operations.values()]), strict=True)
        )
    problems = []
    for name, (elapsed, error, result) in outcomes.items():
        text = str(error)
        expected = operations[name][0]
        if not isinstance(error, StorageConnectionError):
            problems.append(f'{name}: {type(error).__name__} {text!r} (returned {result!r})')
        elif not text.startswith(expected) or url.rsplit(':', 1)[1] not in text:
            problems.append(f'{name}: {text!r} does not name {expected!r} and the endpoint {url}')
        elif any(secret in text for secret in SECRETS) or error.__cause__ or not error.__suppress_context__:
            problems.append(f'{name}: {text!r} shows a secret or chains the library exception')
        elif elapsed > LIMIT:
            problems.append(f'{name}: failed after {elapsed:.1f} s, over {LIMIT:g} s')
    assert problems == [], f'{provider} against a {kind} endpoint:\n' + '\n'.join(problems)
    assert not (tmp_path / 'out').exists() or list((tmp_path / 'out').iterdir()) == []  # no partial file
    store.close()


@pytest.mark.parametrize('provider', ['s3', 'gcs'])
@pytest.mark.parametrize('timeout', [0, -1, 'soon', True, float('inf')])
def test_a_timeout_that_is_not_a_positive_number_is_a_config_error(provider: str, timeout: object) -> None:
    config = _config(provider, 'http://127.0.0.1:9')
    config['configuration']['timeout'] = timeout
    with pytest.raises(StorageConfigError, match=rf"{provider} storage: 'timeout' must be a positive number"):
        get_storage(config)


@pytest.mark.parametrize('provider', ['s3', 'gcs'])
def test_the_timeout_reaches_the_library(provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The option as the libraries see it: botocore's timeouts and retry mode (whatever the environment
    asks for), the default 30 s."""
    monkeypatch.setenv('AWS_MAX_ATTEMPTS', '10')
    monkeypatch.setenv('AWS_RETRY_MODE', 'legacy')
    config = _config(provider, 'http://127.0.0.1:9')
    del config['configuration']['timeout']
    store = get_storage(config)
    assert store.timeout == 30
    if provider == 's3':
        seen = store.client.meta.config
        assert (seen.connect_timeout, seen.read_timeout) == (30, 30)
        assert seen.retries == {'mode': 'standard', 'total_max_attempts': 3}
    else:
        limits = store._limits()
        assert limits['timeout'] == 30 and limits['retry'].timeout == 30
