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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='20 MB instead of 200 MB')
    parser.add_argument('--size-mb', type=int, default=None)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--providers', nargs='+', default=['local', 's3', 'gcs', 'sftp', 'http'])
    parser.add_argument('--verbose', action='store_true', help='print every round (seconds) to stderr')
    args = parser.parse_args()
    size_mb = args.size_mb or (20 if args.quick else 200)
    servers = load_servers()
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
