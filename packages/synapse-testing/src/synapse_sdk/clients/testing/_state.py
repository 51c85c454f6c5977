"""The fake backend's data: plain dict rows in named tables, plus seeding helpers.

Rows are stored once in a neutral shape (foreign keys as ``project``, ``task``, ``data_unit`` ...) and
rendered per API: v1 returns the row as is, v2 renders the OpenAPI fields (``project_id`` ...).
Tests seed with ``state.add_*`` and inspect tables directly (``state.tasks[3]``, ``state.job_logs``).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TABLES = (
    'users',
    'tenants',
    'tokens',
    'projects',
    'tasks',
    'task_tags',
    'assignments',
    'data_collections',
    'data_files',
    'data_units',
    'chunked_uploads',
    'ground_truth_datasets',
    'ground_truth_versions',
    'ground_truths',
    'ground_truth_events',
    'models',
    'jobs',
    'plugins',
    'plugin_releases',
    'storages',
    'agents',
    'serve_applications',
    'async_jobs',
)

#: A table: rows (plain dicts) by primary key.
Table = dict[Any, dict[str, Any]]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class RecordedRequest:
    """One request the fake received (headers as sent: tests may assert on auth headers)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    request_id: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


class RequestLog:
    """The requests the fake received, oldest first, keeping only a recent window.

    A long test run or a benchmark sends hundreds of thousands of requests; keeping each with its
    headers and body grew the fake by ~150 MB per 100,000-item export. The log keeps the last
    ``max_requests`` requests (default 10,000) and drops the oldest while their bodies together exceed
    ``max_body_bytes`` (default 64 MiB; the newest request is always kept). Reads look like a list:
    iterate, ``len``, index or slice (``log[-1]``, ``log[n:]``: positions count from the oldest request
    still kept), compare with a list; ``dropped`` counts the requests evicted so far.
    """

    def __init__(self, max_requests: int = 10_000, max_body_bytes: int = 64 * 1024 * 1024) -> None:
        if max_requests < 1 or max_body_bytes < 0:
            raise ValueError('max_requests must be at least 1 and max_body_bytes not negative')
        self.max_requests = max_requests
        self.max_body_bytes = max_body_bytes
        self.dropped = 0
        self._items: deque[RecordedRequest] = deque()
        self._body_bytes = 0

    def append(self, request: RecordedRequest) -> None:
        self._items.append(request)
        self._body_bytes += len(request.body)
        while len(self._items) > self.max_requests or (
            self._body_bytes > self.max_body_bytes and len(self._items) > 1
        ):
            self._body_bytes -= len(self._items.popleft().body)
            self.dropped += 1

    def clear(self) -> None:
        self._items.clear()
        self._body_bytes = 0

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return list(self._items)[index]
        return self._items[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestLog | list | tuple):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable record: unhashable on purpose

    def __repr__(self) -> str:
        return f'RequestLog(<{len(self._items)} kept, {self.dropped} dropped>)'


@dataclass
class FakeState:
    """All tables of the fake backend. Every mutation from a request happens under ``lock``."""

    access_tokens: set[str] = field(default_factory=lambda: {'syn_test'})
    user_tokens: set[str] = field(default_factory=set)
    agent_tokens: set[str] = field(default_factory=lambda: {'agent_test'})
    logins: dict[str, str] = field(default_factory=dict)
    require_auth: bool = True
    multipart_threshold: int = 100 * 1024 * 1024
    multipart_part_size: int = 16 * 1024 * 1024
    job_logs: list[dict[str, Any]] = field(default_factory=list)
    requests: RequestLog = field(default_factory=RequestLog)
    media_latency: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self._ids: dict[str, itertools.count[int]] = {table: itertools.count(1) for table in TABLES}
        # One attribute per name in TABLES (written out so the checker knows them): rows by id
        # (tenants by code).
        self.users: Table = {}
        self.tenants: Table = {}
        self.tokens: Table = {}
        self.projects: Table = {}
        self.tasks: Table = {}
        self.task_tags: Table = {}
        self.assignments: Table = {}
        self.data_collections: Table = {}
        self.data_files: Table = {}
        self.data_units: Table = {}
        self.chunked_uploads: Table = {}
        self.ground_truth_datasets: Table = {}
        self.ground_truth_versions: Table = {}
        self.ground_truths: Table = {}
        self.ground_truth_events: Table = {}
        self.models: Table = {}
        self.jobs: Table = {}
        self.plugins: Table = {}
        self.plugin_releases: Table = {}
        self.storages: Table = {}
        self.agents: Table = {}
        self.serve_applications: Table = {}
        self.async_jobs: Table = {}
        self.agent_job_logs: dict[str, list[str]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.tenants['acme'] = {'code': 'acme', 'name': 'Acme', 'slug': 'acme', 'is_active': True}
        self.users[1] = {'id': 1, 'email': 'tester@example.com', 'name': 'Tester', 'is_synapse_admin': False}

    # -- generic -------------------------------------------------------------------------------
    def table(self, name: str) -> Table:
        if name not in TABLES:
            raise KeyError(f'unknown table {name!r}; tables: {", ".join(TABLES)}')
        rows: Table = getattr(self, name)
        return rows

    def next_id(self, table: str) -> int:
        return next(self._ids[table])

    def add(self, table: str, **fields: Any) -> dict[str, Any]:
        """Insert a row (``id`` assigned unless given) with the table's defaults filled in."""
        with self.lock:
            rows = self.table(table)
            if 'id' not in fields:
                fields['id'] = self.next_id(table)
                while fields['id'] in rows:
                    fields['id'] = self.next_id(table)
            row = {**_DEFAULTS.get(table, dict)(fields), **fields}
            rows[row['id']] = row
            return row

    def seed(self, data: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, int]:
        """Insert rows from ``{table: [row, ...]}``, or from a JSON file holding that; rows per table.

        The shape plugin scaffolds ship as ``samples/backend.json``: plain rows of the tables above,
        with explicit ids where the sample params refer to them. Each row goes through the table's
        ``add_*`` helper where there is one (a task gets its data unit as with `add_task`), else
        `add`. A key starting with ``_`` (a comment) is skipped. A bad table or row raises
        ``ValueError`` naming the file, the table and the row.
        """
        source = '<data>'
        if not isinstance(data, Mapping):
            source = os.fspath(data)
            with open(source, encoding='utf-8') as fh:
                try:
                    data = json.load(fh)
                except json.JSONDecodeError as exc:
                    raise ValueError(f'{source}: not valid JSON (line {exc.lineno}: {exc.msg})') from None
            if not isinstance(data, Mapping):
                raise ValueError(f'{source}: expected an object of tables, got {type(data).__name__}')
        counts: dict[str, int] = {}
        with self.lock:
            for table, rows in data.items():
                if str(table).startswith('_'):
                    continue
                if table not in TABLES:
                    raise ValueError(f'{source}: unknown table {table!r}; tables: {", ".join(TABLES)}')
                if not isinstance(rows, list) or not all(isinstance(row, Mapping) for row in rows):
                    raise ValueError(f'{source}: {table!r} must be a list of objects (rows)')
                insert = getattr(self, f'add_{table[:-1]}', None) or functools.partial(self.add, table)
                for index, row in enumerate(rows):
                    try:
                        insert(**row)
                    except TypeError as exc:  # e.g. a task without its project
                        raise ValueError(f'{source}: {table}[{index}]: {exc}') from None
                counts[table] = len(rows)
        return counts

    def row_counts(self) -> dict[str, int]:
        """How many rows each table holds (to see what a run created)."""
        with self.lock:
            return {table: len(self.table(table)) for table in TABLES}

    # -- seeding helpers -----------------------------------------------------------------------
    def add_project(self, **fields: Any) -> dict[str, Any]:
        return self.add('projects', **fields)

    def add_data_collection(self, **fields: Any) -> dict[str, Any]:
        return self.add('data_collections', **fields)

    def add_data_unit(self, **fields: Any) -> dict[str, Any]:
        return self.add('data_units', **fields)

    def add_task(self, project: int, **fields: Any) -> dict[str, Any]:
        if 'data_unit' not in fields:
            fields['data_unit'] = self.add_data_unit(data_collection=fields.pop('data_collection', None))[
                'id'
            ]
        return self.add('tasks', project=project, **fields)

    def add_tasks(self, project: int, count: int, **fields: Any) -> list[dict[str, Any]]:
        """``count`` tasks in ``project`` (each with its own data unit)."""
        return [self.add_task(project, **fields) for _ in range(count)]

    def add_assignment(self, task: int, **fields: Any) -> dict[str, Any]:
        project = self.tasks[task]['project'] if task in self.tasks else fields.pop('project', None)
        return self.add('assignments', task=task, project=project, **fields)

    def add_ground_truth(self, **fields: Any) -> dict[str, Any]:
        return self.add('ground_truths', **fields)

    def add_ground_truth_event(self, **fields: Any) -> dict[str, Any]:
        return self.add('ground_truth_events', **fields)

    def add_model(self, **fields: Any) -> dict[str, Any]:
        return self.add('models', **fields)

    def add_job(self, **fields: Any) -> dict[str, Any]:
        """A job; its id is a UUID string unless given."""
        fields.setdefault('id', str(uuid.uuid4()))
        return self.add('jobs', **fields)

    def add_plugin(self, **fields: Any) -> dict[str, Any]:
        return self.add('plugins', **fields)

    def add_plugin_release(self, **fields: Any) -> dict[str, Any]:
        return self.add('plugin_releases', **fields)

    def add_storage(self, **fields: Any) -> dict[str, Any]:
        return self.add('storages', **fields)

    def add_agent(self, **fields: Any) -> dict[str, Any]:
        return self.add('agents', **fields)

    def add_async_job(self, events: Iterable[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
        """An async job whose progress stream plays ``events`` (``{'event': name, **data}`` dicts).

        Without ``events`` a default script of three progress events and a completion is used.
        """
        fields.setdefault('id', str(uuid.uuid4()))
        row = self.add('async_jobs', **fields)
        row['_events'] = list(events) if events is not None else default_progress_script(row)
        row['_delivered'] = 0
        return row

    def touch(self) -> None:
        """Invalidate cached list selections after editing rows in place (only needed above 5000 rows)."""
        with self.lock:
            self.__dict__['_touched'] = self.__dict__.get('_touched', 0) + 1

    def logs_for(self, job_id: str) -> list[dict[str, Any]]:
        return [entry for entry in self.job_logs if str(entry.get('job')) == str(job_id)]


def default_progress_script(job: dict[str, Any], total: int = 30) -> list[dict[str, Any]]:
    third = total // 3
    events = [
        {
            'event': 'async_job.progress',
            'processed_count': n,
            'total_count': total,
            'percent': round(100 * n / total, 1),
            'status': 'PROCESSING',
        }
        for n in (third, 2 * third, total)
    ]
    events.append(
        {
            'event': 'async_job.completed',
            'status': 'COMPLETED',
            'data': {'result_uri': f's3://fake-exports/{job["id"]}/manifest.json', 'records': total},
        }
    )
    return events


def _task_defaults(f: dict[str, Any]) -> dict[str, Any]:
    return {
        'project': None,
        'data_unit': None,
        'workshop': None,
        'data': None,
        'meta': {},
        'is_discarded': False,
        'tags': [],
        'status': 'stand_by',
        'files': {},
        'created': now_iso(),
    }


def _assignment_defaults(f: dict[str, Any]) -> dict[str, Any]:
    return {
        'task': None,
        'project': None,
        'user': 1,
        'reviewer': None,
        'status_label': 'completed',
        'status_review': 'stand_by',
        'is_confirmed': False,
        'is_discarded': False,
        'data': None,
        'tags': [],
        'files': {},
        'created': now_iso(),
    }


_DEFAULTS: dict[str, Any] = {
    'projects': lambda f: {
        'title': f'Project {f["id"]}',
        'description': '',
        'category': 'image',
        'data_collection': None,
        'configuration': {},
        'settings': {},
        'access_level': 'private',
        'is_archived': False,
        'created': now_iso(),
    },
    'tasks': _task_defaults,
    'assignments': _assignment_defaults,
    'task_tags': lambda f: {
        'name': f'tag-{f["id"]}',
        'project': None,
        'category': 'project',
        'created': now_iso(),
    },
    'data_collections': lambda f: {
        'name': f'Collection {f["id"]}',
        'description': '',
        'category': 'image',
        'access_level': 'private',
        'is_archived': False,
        'meta': {},
        'file_specifications': [
            {
                'id': 1,
                'name': 'image_1',
                'file_type': 'image',
                'file_type_display': 'Image',
                'is_required': True,
                'is_primary': True,
            }
        ],
        'created': now_iso(),
    },
    'data_units': lambda f: {
        'data_collection': None,
        'is_discarded': False,
        'is_confirmed': False,
        'files': {},
        'meta': {},
        'groups': [],
        'checksum': uuid.uuid4().hex,
        'created': now_iso(),
    },
    'data_files': lambda f: {'checksum': uuid.uuid4().hex, 'size': 0, 'file': None, 'created_at': now_iso()},
    'ground_truths': lambda f: {
        'ground_truth_dataset': 1,
        'ground_truth_dataset_version': None,
        'data_unit': None,
        'category': 'train',
        'project': None,
        'data': {},
        'classes': [],
        'files': {},
    },
    'ground_truth_events': lambda f: {
        'pgh_id': f['id'],
        'pgh_obj_id': f['id'],
        'pgh_label': 'insert',
        'data_unit': None,
        'ground_truth_dataset': 1,
        'ground_truth_dataset_version': None,
        'project': None,
        'category': 'train',
        'data': {},
        'files': {},
        'files_manifest': {},
    },
    'ground_truth_versions': lambda f: {
        'version': '1.0',
        'ground_truth_dataset': 1,
        'description': '',
        'is_archived': False,
        'created': now_iso(),
    },
    'models': lambda f: {
        'name': f'model-{f["id"]}',
        'description': '',
        'plugin': None,
        'version': None,
        'configuration': {},
        'file': None,
        'created': now_iso(),
    },
    'jobs': lambda f: {
        'status': 'PENDING',
        'action': 'train',
        'params': {},
        'progress_record': {},
        'metrics_record': {},
        'console_logs': '',
        'result': None,
        'meta': {},
        'created': now_iso(),
    },
    'plugins': lambda f: {
        'code': f'plugin-{f["id"]}',
        'name': f'Plugin {f["id"]}',
        'category': 'neural_net',
        'description': '',
        'is_active': True,
    },
    'plugin_releases': lambda f: {
        'plugin': None,
        'version': '0.1.0',
        'config': {},
        'requirements': [],
        'debug': False,
        'file': None,
        'created': now_iso(),
    },
    'storages': lambda f: {
        'name': f'storage-{f["id"]}',
        'category': 'internal',
        'provider': 'file_system',
        'configuration': {'location': '/tmp/synapse-fake-storage'},
        'is_default': False,
    },
    'agents': lambda f: {
        'name': f'agent-{f["id"]}',
        'url': None,
        'status': 'connected',
        'token': uuid.uuid4().hex,
    },
    'serve_applications': lambda f: {'job': None, 'status': None, 'data': {}},
    'async_jobs': lambda f: {
        'status': 'PENDING',
        'category': 'plugin_export',
        'type': 'export',
        'queue': 'io_bound',
        'triggered_by': 'user',
        'progress': {'total_count': None, 'processed_count': 0, 'percent': 0.0},
        'data': None,
        'file': None,
        'ray_job_id': None,
        'created': now_iso(),
        'started': None,
        'finished': None,
        'succeeded': None,
        'failed': None,
    },
    'chunked_uploads': lambda f: {
        'filename': 'file',
        'offset': 0,
        'completed_at': None,
        'status': 1,
        'md5': None,
        'content': b'',
    },
}
