"""Benchmark: listing tasks through v2 cursor pagination from the fake backend.

    .venv/bin/python tools/bench/bench_clients.py [--quick]

Measures, against a fake backend running in a separate process (so client and server do not share
a GIL or a heap):

1. items/s of ``BackendV2Client.tasks.list(project=..., per_page=..., list_all=True)`` (envelope
   unwrap, cursor following, typed ``TaskV2List`` models) as a ratio to a bare ``requests`` loop
   that fetches the same pages and only parses the JSON (the floor any client pays);
2. the client's peak Python memory (tracemalloc) while iterating 1/4, 1/2 and all of the tasks:
   it must stay flat as the count grows, because pages are fetched lazily and not retained.

Figures are medians over the repeats.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
import tracemalloc


def serve(sizes: list[int]) -> None:
    """Child process: seed one project per size, print the URL, serve until stdin closes."""
    from synapse_sdk.clients.testing import FakeBackend

    with FakeBackend() as backend:
        state = backend.state
        for project_id, size in enumerate(sizes, start=1):
            state.add_project(id=project_id)
            for _ in range(size):
                # Direct inserts: seeding 100k tasks through add_task would also create 100k data units.
                state.add('tasks', project=project_id, data_unit=1)
        print(backend.url, flush=True)
        sys.stdin.read()


def bare_requests(url: str, project: int, per_page: int) -> int:
    import requests

    session = requests.Session()
    session.headers['SYNAPSE-ACCESS-TOKEN'] = 'syn_test'
    count = 0
    response = session.get(f'{url}/v2/tasks/', params={'project': project, 'per_page': per_page}, timeout=60)
    while True:
        response.raise_for_status()
        body = response.json()
        count += len(body['data'])
        next_url = body['meta']['pagination']['next_cursor']
        if not next_url:
            return count
        response = session.get(next_url, timeout=60)


def sdk_client(url: str, project: int, per_page: int) -> int:
    from synapse_sdk.clients.backend_v2 import BackendV2Client

    client = BackendV2Client(url, access_token='syn_test')
    count = 0
    for _task in client.tasks.list(project=project, per_page=per_page, list_all=True):
        count += 1
    client.close()
    return count


def timed(fn, *args) -> tuple[float, int]:
    started = time.perf_counter()
    count = fn(*args)
    return time.perf_counter() - started, count


def peak_memory(url: str, project: int, per_page: int) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    count = sdk_client(url, project, per_page)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--quick', action='store_true', help='10,000 tasks and 2 repeats instead of 100,000 and 3'
    )
    parser.add_argument('--per-page', type=int, default=1000)
    args = parser.parse_args()
    total = 10_000 if args.quick else 100_000
    repeats = 2 if args.quick else 3
    sizes = [total, total // 4, total // 2]

    print(f'seeding the fake backend with {sum(sizes):,} tasks in a child process ...', flush=True)
    child = subprocess.Popen(
        [sys.executable, __file__, '--serve', *map(str, sizes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = child.stdout.readline().strip()
        if not url.startswith('http'):
            raise SystemExit(f'fake backend did not start (got {url!r})')
        bare_requests(url, 1, args.per_page)  # warm up: server-side filter cache, connections
        sdk_client(url, 1, args.per_page)  # warm up: imports and pydantic validator build

        bare_times, sdk_times = [], []
        for _ in range(repeats):
            elapsed, count = timed(bare_requests, url, 1, args.per_page)
            assert count == total, count
            bare_times.append(elapsed)
            elapsed, count = timed(sdk_client, url, 1, args.per_page)
            assert count == total, count
            sdk_times.append(elapsed)
        bare, sdk = statistics.median(bare_times), statistics.median(sdk_times)
        pages = -(-total // args.per_page)
        print(f'\nlisting {total:,} tasks, per_page={args.per_page} ({pages} pages), median of {repeats}:')
        print(f'  bare requests loop (JSON only)       {total / bare:12,.0f} items/s  ({bare:.2f} s)')
        print(f'  BackendV2Client (typed, list_all)    {total / sdk:12,.0f} items/s  ({sdk:.2f} s)')
        print(f'  ratio client / bare                  {bare / sdk:12.2f}')

        print('\npeak client memory while iterating (tracemalloc):')
        peaks = {}
        for project, size in sorted(
            zip((2, 3, 1), (sizes[1], sizes[2], sizes[0]), strict=True), key=lambda p: p[1]
        ):
            samples = []
            for _ in range(repeats):
                peak, count = peak_memory(url, project, args.per_page)
                assert count == size, count
                samples.append(peak)
            peaks[size] = statistics.median(samples)
            print(f'  {size:>9,} tasks  {peaks[size] / 1024 / 1024:8.2f} MiB')
        smallest, largest = min(peaks), max(peaks)
        growth = peaks[largest] / peaks[smallest]
        print(
            f'  ratio peak({largest:,}) / peak({smallest:,}) = {growth:.2f} (flat is ~1; count grew {largest / smallest:.0f}x)'
        )
    finally:
        child.stdin.close()
        child.wait(timeout=30)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--serve':
        serve([int(v) for v in sys.argv[2:]])
    else:
        main()
