"""Benchmark of synapse-storage: upload and download throughput of each provider against its own client
library used directly, on the same servers in the same run.

Usage::

    .venv/bin/python tools/bench/bench_storage.py             # 200 MB file, 5 rounds
    .venv/bin/python tools/bench/bench_storage.py --quick     # 20 MB file
    .venv/bin/python tools/bench/bench_storage.py --size-mb 500 --repeat 5 --providers s3 sftp

Servers (all on 127.0.0.1, the same ones the tests use, from ``tests/storage/servers.py``): moto in server mode
for S3, gcp-storage-emulator for GCS, OpenSSH sshd for SFTP (needs ``openssh-server``), a writable
``http.server`` for HTTP. Baselines: ``shutil.copyfile`` (local), boto3 ``upload_file``/``download_file``,
google-cloud-storage ``upload_from_filename``/``download_to_filename``, paramiko ``SFTPClient.put``/``get``,
requests ``PUT``/streamed ``GET``. Each round runs the baseline and the SDK back to back (their order swapped
every round); MB/s are medians, the ratio is the median over rounds of SDK throughput / baseline throughput
in that round (target: >= 0.9); "best" compares the fastest run of each, the figure least disturbed by other
load on the machine.

The servers run in this process (except sshd) and share its two cores, so absolute MB/s are low and noisy;
the ratios are what matters.

``--dead-endpoints`` measures instead how long each S3 and GCS operation takes to fail against a closed port,
a server that accepts and never answers, and one that answers the headers and stalls the body
(``servers.silent_server``), with the SDK's ``--timeout`` (default 30 s); ``--baseline`` also runs the same
calls through boto3 and google-cloud-storage with their own defaults, in the same invocation (all at once, in
threads: a few minutes, the baseline's longest wait). Figures are seconds to the exception, and the SDK's
time as a multiple of its ``timeout``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests

from synapse_sdk.utils.storage import get_storage

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def load_servers() -> Any:
    spec = importlib.util.spec_from_file_location(
        'bench_storage_servers', ROOT / 'tests' / 'storage' / 'servers.py'
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def make_file(path: Path, size: int) -> Path:
    with path.open('wb') as out:
        for _ in range(size // MB):
            out.write(os.urandom(MB))
        out.write(os.urandom(size % MB))
    return path


class Case:
    """One provider: an SDK storage and the direct-library equivalents of upload and download."""

    def __init__(
        self,
        name: str,
        storage: Any,
        direct_upload: Callable[[Path, str], None],
        direct_download: Callable[[str, Path], None],
    ) -> None:
        self.name = name
        self.storage = storage
        self.direct_upload = direct_upload
        self.direct_download = direct_download


def local_case(work: Path) -> Case:
    root = work / 'local-store'
    root.mkdir()
    storage = get_storage({'provider': 'local', 'configuration': {'location': str(root)}})

    def upload(src: Path, key: str) -> None:
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, root / key)

    return Case('local', storage, upload, lambda key, dest: shutil.copyfile(root / key, dest))


def s3_case(server: Any) -> Case:
    bucket = f'bench-{uuid.uuid4().hex[:8]}'
    client = server.client()
    client.create_bucket(Bucket=bucket)
    return Case(
        's3',
        get_storage(server.config(bucket)),
        lambda src, key: client.upload_file(str(src), bucket, key),
        lambda key, dest: client.download_file(bucket, key, str(dest)),
    )


def gcs_case(server: Any) -> Case:
    name = f'bench-{uuid.uuid4().hex[:8]}'
    bucket = server.client().create_bucket(name)
    return Case(
        'gcs',
        get_storage(server.config(name)),
        lambda src, key: bucket.blob(key).upload_from_filename(str(src)),
        lambda key, dest: bucket.blob(key).download_to_filename(str(dest)),
    )


def sftp_case(server: Any) -> Case:
    import paramiko

    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        '127.0.0.1',
        port=server.port,
        username=server.username,
        key_filename=str(server.client_key),
        look_for_keys=False,
        allow_agent=False,
    )
    sftp = client.open_sftp()
    root = server.root / 'bench'
    root.mkdir()
    sftp.mkdir(str(root / 'direct'))
    return Case(
        'sftp',
        get_storage(server.config(root)),
        lambda src, key: sftp.put(str(src), str(root / key)),
        lambda key, dest: sftp.get(str(root / key), str(dest)),
    )


def http_case(server: Any) -> Case:
    session = requests.Session()
    base = server.base_url + 'bench/'
    (server.root / 'bench').mkdir()

    def upload(src: Path, key: str) -> None:
        with src.open('rb') as stream:
            session.put(base + key, data=stream, timeout=300).raise_for_status()

    def download(key: str, dest: Path) -> None:
        with session.get(base + key, stream=True, timeout=300) as response, dest.open('wb') as out:
            response.raise_for_status()
            for chunk in response.iter_content(8 * MB):
                out.write(chunk)

    return Case(
        'http', get_storage({'provider': 'http', 'configuration': {'base_url': base}}), upload, download
    )


def timed(action: Callable[[], Any]) -> float:
    os.sync()  # start from clean page-cache writeback, so one run's dirty pages do not slow the next
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_case(case: Case, source: Path, work: Path, repeat: int, verbose: bool = False) -> dict[str, float]:
    """Median times, and the median of the per-round ratios direct/SDK (each round's two runs are adjacent in
    time, so a pairwise ratio is less sensitive to load changes on a shared machine than a ratio of medians)."""
    size = source.stat().st_size
    warm = work / 'warm.bin'
    warm.write_bytes(b'warm')
    case.storage.upload(warm, 'sdk/warm.bin')  # connect / create clients outside the timings
    case.direct_upload(warm, 'direct/warm.bin')
    times: dict[str, list[float]] = {'sdk_up': [], 'direct_up': [], 'sdk_down': [], 'direct_down': []}
    for round_ in range(repeat):
        sdk_first = round_ % 2 == 0
        order = ['sdk', 'direct'] if sdk_first else ['direct', 'sdk']
        for who in order:
            key = f'{who}/blob-{round_}.bin'
            if who == 'sdk':
                times['sdk_up'].append(timed(lambda: case.storage.upload(source, key)))  # noqa: B023
            else:
                times['direct_up'].append(timed(lambda: case.direct_upload(source, key)))  # noqa: B023
        for who in order:
            key = f'{who}/blob-{round_}.bin'
            dest = work / f'down-{who}.bin'
            if who == 'sdk':
                times['sdk_down'].append(timed(lambda: case.storage.download(key, dest)))  # noqa: B023
            else:
                times['direct_down'].append(timed(lambda: case.direct_download(key, dest)))  # noqa: B023
            if dest.stat().st_size != size:
                raise RuntimeError(
                    f'{case.name}: {who} download returned {dest.stat().st_size} of {size} bytes'
                )
            dest.unlink()
        for who in order:
            case.storage.delete(f'{who}/blob-{round_}.bin')
    if verbose:
        for name, values in times.items():
            print(f'  {case.name} {name:<12}', ' '.join(f'{value:6.2f}' for value in values), file=sys.stderr)
    result = {name: statistics.median(values) for name, values in times.items()}
    for op in ('up', 'down'):
        pairs = zip(times[f'direct_{op}'], times[f'sdk_{op}'], strict=True)
        result[f'ratio_{op}'] = statistics.median(direct / sdk for direct, sdk in pairs)
        result[f'best_{op}'] = min(times[f'direct_{op}']) / min(times[f'sdk_{op}'])
    return result


DEAD_OPERATIONS = ('exists', 'size', 'open', 'download', 'upload', 'list')


def sdk_calls(provider: str, url: str, timeout: float, work: Path) -> dict[str, Callable[[], Any]]:
    """Each operation of the SDK against the endpoint `url`."""
    if provider == 's3':
        configuration: dict[str, Any] = {'access_key': 'AKIDEXAMPLE', 'secret_key': 'bench-secret'}
    else:
        configuration = {'project': 'bench'}
    store = get_storage(
        {
            'provider': provider,
            'configuration': {
                'bucket_name': 'bucket',
                'endpoint_url': url,
                'timeout': timeout,
                **configuration,
            },
        }
    )
    _ = store.client  # built (and its library imported) before any clock starts
    source = make_file(work / 'source.bin', 1000)
    return {
        'exists': lambda: store.exists('k/a.bin'),
        'size': lambda: store.size('k/a.bin'),
        'open': lambda: store.open('k/a.bin').read(),
        'download': lambda: store.download('k/a.bin', work / 'sdk-out.bin'),
        'upload': lambda: store.upload(source, 'k/a.bin'),
        'list': lambda: list(store.list('k')),
    }


def library_calls(provider: str, url: str, work: Path) -> dict[str, Callable[[], Any]]:
    """The same operations through the provider's library with its own default timeouts and retries."""
    source = make_file(work / 'source.bin', 1000)
    if provider == 's3':
        import boto3
        from botocore.config import Config

        s3 = boto3.session.Session().client(
            's3',
            endpoint_url=url,
            aws_access_key_id='AKIDEXAMPLE',
            aws_secret_access_key='bench-secret',
            region_name='us-east-1',
            config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}),
        )
        return {
            'exists': lambda: s3.head_object(Bucket='bucket', Key='k/a.bin'),
            'size': lambda: s3.head_object(Bucket='bucket', Key='k/a.bin')['ContentLength'],
            'open': lambda: s3.get_object(Bucket='bucket', Key='k/a.bin')['Body'].read(),
            'download': lambda: s3.download_file('bucket', 'k/a.bin', str(work / 'lib-out.bin')),
            'upload': lambda: s3.upload_file(str(source), 'bucket', 'k/a.bin'),
            'list': lambda: s3.list_objects_v2(Bucket='bucket', Prefix='k/'),
        }
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(
        project='bench', credentials=AnonymousCredentials(), client_options={'api_endpoint': url}
    )
    bucket = client.bucket('bucket')
    return {
        'exists': lambda: bucket.blob('k/a.bin').exists(),
        'size': lambda: bucket.get_blob('k/a.bin'),
        'open': lambda: bucket.blob('k/a.bin').open('rb').read(),
        'download': lambda: bucket.blob('k/a.bin').download_to_filename(str(work / 'lib-out.bin')),
        'upload': lambda: bucket.blob('k/a.bin').upload_from_filename(str(source)),
        'list': lambda: list(client.list_blobs('bucket', prefix='k/')),
    }


def time_to_fail(call: Callable[[], Any]) -> tuple[float, str]:
    started = time.monotonic()
    try:
        call()
    except Exception as exc:
        return time.monotonic() - started, type(exc).__name__
    return time.monotonic() - started, 'returned'


def dead_endpoints(servers: Any, timeout: float, baseline: bool, providers: list[str]) -> int:
    from concurrent.futures import ThreadPoolExecutor

    load = os.getloadavg()
    print(
        f'synapse-storage against dead endpoints: SDK timeout={timeout:g} s'
        f'{", baseline = the library with its defaults" if baseline else ""}; '
        f'load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}'
    )
    runs: dict[tuple[str, str, str, str], Any] = {}
    with (
        ExitStack() as stack,
        tempfile.TemporaryDirectory(prefix='bench-dead-') as tmp,
        ThreadPoolExecutor(64) as pool,
    ):
        endpoints = {
            'closed': f'http://127.0.0.1:{servers.free_port()}',
            'silent': stack.enter_context(servers.silent_server()),
            'stalled': stack.enter_context(servers.silent_server(answer_headers=True)),
        }
        for provider in [p for p in providers if p in ('s3', 'gcs')]:
            for kind, url in endpoints.items():
                sides = {'sdk': sdk_calls(provider, url, timeout, Path(tempfile.mkdtemp(dir=tmp)))}
                if baseline:
                    sides['library'] = library_calls(provider, url, Path(tempfile.mkdtemp(dir=tmp)))
                for side, calls in sides.items():
                    for op in DEAD_OPERATIONS:
                        runs[provider, kind, op, side] = pool.submit(time_to_fail, calls[op])
        header = (
            f'{"provider":<8} {"endpoint":<8} {"op":<9} {"SDK s":>7} {"x timeout":>9} {"SDK outcome":<24}'
        )
        if baseline:
            header += f' {"library s":>9} {"library outcome":<22}'
        print(header)
        print('-' * len(header))
        for (provider, kind, op, side), future in runs.items():
            if side != 'sdk':
                continue
            seconds, outcome = future.result()
            line = f'{provider:<8} {kind:<8} {op:<9} {seconds:>7.1f} {seconds / timeout:>9.2f} {outcome:<24}'
            if baseline:
                lib_seconds, lib_outcome = runs[provider, kind, op, 'library'].result()
                line += f' {lib_seconds:>9.1f} {lib_outcome:<22}'
            print(line, flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='20 MB instead of 200 MB')
    parser.add_argument('--size-mb', type=int, default=None)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--providers', nargs='+', default=['local', 's3', 'gcs', 'sftp', 'http'])
    parser.add_argument('--verbose', action='store_true', help='print every round (seconds) to stderr')
    parser.add_argument(
        '--dead-endpoints', action='store_true', help='time S3/GCS failing against dead endpoints'
    )
    parser.add_argument('--timeout', type=float, default=30, help="the SDK's timeout with --dead-endpoints")
    parser.add_argument('--baseline', action='store_true', help='--dead-endpoints: also the libraries alone')
    args = parser.parse_args()
    size_mb = args.size_mb or (20 if args.quick else 200)
    servers = load_servers()
    if args.dead_endpoints:
        return dead_endpoints(servers, args.timeout, args.baseline, args.providers)
    with tempfile.TemporaryDirectory(prefix='bench-storage-') as tmp, ExitStack() as stack:
        work = Path(tmp)
        source = make_file(work / 'source.bin', size_mb * MB)
        builders: dict[str, Callable[[], Case]] = {
            'local': lambda: local_case(work),
            's3': lambda: s3_case(stack.enter_context(servers.moto_server())),
            'gcs': lambda: gcs_case(stack.enter_context(servers.gcs_emulator())),
            'sftp': lambda: sftp_case(stack.enter_context(servers.sshd(Path(tempfile.mkdtemp(dir=work))))),
            'http': lambda: http_case(stack.enter_context(servers.http_file_server(work / 'http-root'))),
        }
        (work / 'http-root').mkdir()
        print(
            f'synapse-storage benchmark: {size_mb} MB file, median of {args.repeat} rounds, Python {sys.version.split()[0]}'
        )
        header = f'{"provider":<8} {"op":<9} {"SDK MB/s":>9} {"direct MB/s":>12} {"ratio":>6} {"best":>6}'
        print(header)
        print('-' * len(header))
        worst = float('inf')
        for name in args.providers:
            try:
                case = builders[name]()
            except servers.Unavailable as exc:
                print(f'{name:<8} skipped: {exc}')
                continue
            result = run_case(case, source, work, args.repeat, args.verbose)
            for op in ('up', 'down'):
                sdk, direct = result[f'sdk_{op}'], result[f'direct_{op}']
                ratio = result[f'ratio_{op}']
                worst = min(worst, ratio)
                label = 'upload' if op == 'up' else 'download'
                best = result[f'best_{op}']
                print(
                    f'{name:<8} {label:<9} {size_mb / sdk:>9.1f} {size_mb / direct:>12.1f} {ratio:>6.2f} {best:>6.2f}'
                )
            case.storage.close()
        print('-' * len(header))
        print(f'lowest ratio: {worst:.2f} (target >= 0.90)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
