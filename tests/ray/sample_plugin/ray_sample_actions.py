"""Sample actions for the Ray executor tests (imported by workers from the working dir)."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import time
from pathlib import Path

from pydantic import BaseModel, Field

from synapse_sdk.plugins import BaseAction, RuntimeContext, action


class AddParams(BaseModel):
    a: int
    b: int = 0


class AddResult(BaseModel):
    total: int
    path: Path


@action(name='add', params=AddParams, result=AddResult)
def add(params: AddParams, ctx: RuntimeContext) -> AddResult:
    ctx.log_message(f'adding {params.a} and {params.b}')
    # A Path in the result: every mode must return the same JSON-compatible value.
    return AddResult(total=params.a + params.b, path=Path('/out') / str(params.a))


class SummarizeParams(BaseModel):
    values: list[float] = Field(min_length=1)
    label: str = 'values'


class SummarizeResult(BaseModel):
    label: str
    count: int
    mean: float


class SummarizeAction(BaseAction[SummarizeParams]):
    action_name = 'summarize'
    result_model = SummarizeResult

    def execute(self) -> SummarizeResult:
        n = len(self.params.values)
        for i in range(n):
            self.set_progress(i + 1, n, 'summarize')
        return SummarizeResult(label=self.params.label, count=n, mean=sum(self.params.values) / n)


class FailParams(BaseModel):
    reason: str = 'boom'


def _deep_helper_that_raises(reason: str) -> None:
    raise ValueError(f'sample failure: {reason}')


@action(name='fail', params=FailParams)
def fail(params: FailParams, ctx: RuntimeContext) -> dict:
    _deep_helper_that_raises(params.reason)
    return {}


class WorkerOnlyError(Exception):
    """An exception whose ``__init__`` defeats pickle: it cannot travel back as itself."""

    def __init__(self, code: int, detail: str):
        self.code = code
        super().__init__(f'{code}: {detail}')


@action(name='fail_unpicklable')
def fail_unpicklable(params: dict, ctx: RuntimeContext) -> dict:
    raise WorkerOnlyError(params.get('code', 500), 'worker-only failure')


class ChattyParams(BaseModel):
    lines: int = 5
    interval: float = 0.5


@action(name='chatty', params=ChattyParams)
def chatty(params: ChattyParams, ctx: RuntimeContext) -> dict:
    for i in range(params.lines):
        ctx.log_message(f'chatty line {i}')
        time.sleep(params.interval)
    return {'lines': params.lines}


@action(name='whoami')
def whoami(params: dict, ctx: RuntimeContext) -> dict:
    """Report what the worker's context was built with (never the token itself)."""
    token = os.environ.get('SYNAPSE_ACCESS_TOKEN', '')
    return {
        'pid': os.getpid(),
        'client': type(ctx.client).__name__ if ctx.client is not None else None,
        'v2_client': type(ctx.v2_client).__name__ if ctx.v2_client is not None else None,
        'language': ctx.language,
        'job_id': ctx.job_id,
        'token_sha': hashlib.sha256(token.encode()).hexdigest()[:16] if token else None,
        'env_has_token': 'SYNAPSE_ACCESS_TOKEN' in ctx.env,
        'host': os.environ.get('SYNAPSE_HOST'),
        'leaked': os.environ.get('SYNAPSE_TEST_NOT_ALLOWED'),
    }


class SleepParams(BaseModel):
    marker: str
    seconds: float = 30


def _sleep_until_killed(params: SleepParams) -> dict:
    marker = Path(params.marker)
    if marker.exists():  # second attempt (after the first actor was killed): finish at once
        return {'attempt': 2, 'pid': os.getpid()}
    marker.write_text(str(os.getpid()))
    time.sleep(params.seconds)
    return {'attempt': 1, 'pid': os.getpid()}


@action(name='sleepy', params=SleepParams)
def sleepy(params: SleepParams, ctx: RuntimeContext) -> dict:
    return _sleep_until_killed(params)


@action(name='sleepy_safe', params=SleepParams, retry_safe=True)
def sleepy_safe(params: SleepParams, ctx: RuntimeContext) -> dict:
    return _sleep_until_killed(params)


# -- a three-action pipeline: prepare -> train -> evaluate ---------------------------------------


class PrepareParams(BaseModel):
    n: int
    workdir: str


class PrepareResult(BaseModel):
    dataset_path: Path
    count: int


def _bump(workdir: str, name: str) -> None:
    counter = Path(workdir) / f'{name}.count'
    counter.write_text(str(int(counter.read_text()) + 1 if counter.exists() else 1))


@action(name='prepare', params=PrepareParams, result=PrepareResult)
def prepare(params: PrepareParams, ctx: RuntimeContext) -> PrepareResult:
    _bump(params.workdir, 'prepare')
    return PrepareResult(dataset_path=Path(params.workdir) / 'data', count=params.n * 10)


class TrainParams(BaseModel):
    dataset_path: str
    count: int
    workdir: str
    epochs: int = 2


class TrainResult(BaseModel):
    model: str
    epochs: int


@action(name='train', params=TrainParams, result=TrainResult)
def train(params: TrainParams, ctx: RuntimeContext) -> TrainResult:
    _bump(params.workdir, 'train')
    if (Path(params.workdir) / 'fail-train').exists():
        raise RuntimeError('train failed on purpose')
    return TrainResult(model=f'{params.dataset_path}/model-{params.count}.pt', epochs=params.epochs)


class EvaluateParams(BaseModel):
    model: str
    count: int


class EvaluateResult(BaseModel):
    score: float
    model: str


class EvaluateAction(BaseAction[EvaluateParams]):
    action_name = 'evaluate'
    result_model = EvaluateResult

    def execute(self) -> EvaluateResult:
        return EvaluateResult(score=self.params.count / 100, model=self.params.model)


@action(name='greet')
def greet(params: dict, ctx: RuntimeContext) -> dict:
    ctx.log_message(f'hello {params["name"]}')
    return {'greeted': params['name']}


@action(name='wiring_probe')
def wiring_probe(params: dict, ctx: RuntimeContext) -> dict:
    """Use both clients the running process built (seed 000's caller pattern) and say where it ran."""
    project = params['project']
    page = ctx.v2_client.tasks.list(project=project, per_page=50)
    with ctx.v2_client.capture_request_ids() as ids:
        assignments = list(ctx.v2_client.assignments.list(project=project, list_all=True))
    ctx.logger.info('export-listing', request_id=ctx.v2_client.last_request_id)
    return {
        'pid': os.getpid(),
        'client_ids': [id(ctx.client), id(ctx.v2_client)],
        'v1': type(ctx.client).__name__,
        'v2': type(ctx.v2_client).__name__,
        'v1_url': ctx.client.base_url,
        'v2_tenant_prefix': ctx.v2_client.tenant_token_prefix,
        'project': ctx.client.get_project(project)['title'],
        'tasks': len(page.results),
        'assignments': len(assignments),
        'request_ids': list(ids),
        'job_id': ctx.job_id,
        'language': ctx.language,
        'leaked': os.environ.get('SYNAPSE_TEST_NOT_ALLOWED'),
    }


@action(name='env_view')
def env_view(params: dict, ctx: RuntimeContext) -> dict:
    """What `ctx.env` and the worker's process environment hold for the requested names."""
    return {name: [ctx.env.get(name), os.environ.get(name)] for name in params['names']}


# -- console output: what a person sees in task mode (test_task_console.py) ---------------------------


def _wait_for(gate: str, why: str) -> None:
    """Wait (60 s at most) for the file the test writes once it has seen what it waits for."""
    deadline = time.monotonic() + 60
    while not Path(gate).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(why)
        time.sleep(0.05)


class ShowParams(BaseModel):
    steps: int = 30
    gate: str | None = None  # a file to wait for after the first line (proves lines arrive while running)


@action(name='show', params=ShowParams)
def show(params: ShowParams, ctx: RuntimeContext) -> dict:
    import sys

    ctx.log_message('show started', 'info')
    if params.gate:
        _wait_for(params.gate, 'the driver never saw the first line while the action ran')
    print('a print on stdout')
    print('a print on stderr', file=sys.stderr)
    for i in range(params.steps):
        ctx.set_progress(i + 1, params.steps, step='show')
    ctx.set_metrics({'steps': params.steps}, step='show')
    ctx.log_message('show finished', 'success')
    return {'steps': params.steps}


# -- output that bypasses sys.stdout (test_task_console.py) ------------------------------------------

# Set up when the module is imported, as plugins often do: the handler keeps `sys.stderr` as it is now.
_NOISY_LOG = logging.getLogger('ray_sample_actions.noisy')
if not _NOISY_LOG.handlers:
    _NOISY_LOG.addHandler(logging.StreamHandler())
    _NOISY_LOG.propagate = False
    _NOISY_LOG.setLevel(logging.INFO)


class NoisyParams(BaseModel):
    tag: str


@action(name='noisy', params=NoisyParams)
def noisy(params: NoisyParams, ctx: RuntimeContext) -> dict:
    _NOISY_LOG.info('handler line %s', params.tag)
    subprocess.run(['echo', f'subprocess line {params.tag}'], check=True)
    os.write(2, f'descriptor line {params.tag}\n'.encode())
    return {'tag': params.tag}


@action(name='leave_running')
def leave_running(params: dict, ctx: RuntimeContext) -> dict:
    """Start a process that outlives the run and keeps writing to the worker's stdout."""
    tag = params['tag']
    subprocess.Popen(['sh', '-c', f'echo early {tag}; sleep 2; echo late {tag}'])
    time.sleep(1)  # the early line is written while the run lasts
    return {'tag': tag}


# -- what Ray itself prints on the driver: `synapse plugin run --json` keeps it off stdout ------------


class OutliveParams(BaseModel):
    tag: str
    lines: int = 100
    interval: float = 0.02


@action(name='outlive', params=OutliveParams)
def outlive(params: OutliveParams, ctx: RuntimeContext) -> dict:
    """Return at once, leaving a process that writes a line every `interval` to the worker's stdout: Ray
    forwards those lines to the driver after the run, while the driver is still connected."""
    script = f'for i in $(seq 1 {params.lines}); do echo "{params.tag} late line $i"; sleep {params.interval}; done'
    subprocess.Popen(['sh', '-c', script])
    return {'tag': params.tag, 'lines': params.lines}


class RelayParams(BaseModel):
    tag: str
    gate: str  # a file to wait for: the test writes it once it has seen what it waits for


@action(name='relay', params=RelayParams)
def relay(params: RelayParams, ctx: RuntimeContext) -> dict:
    """Start a Ray task of its own that prints (Ray forwards that line to the driver: another worker, not
    this run's captured output), then wait for the test's gate."""
    import ray

    @ray.remote(num_cpus=0.1)
    def nested(tag: str) -> None:
        print(f'nested line {tag}', flush=True)

    ray.get(nested.remote(params.tag))
    ctx.log_message(f'relay waiting {params.tag}', 'info')
    _wait_for(params.gate, 'the test never opened the gate')
    return {'tag': params.tag}
