"""Every code example of seeds 001, 003, 004 and the plugin parts of 002 (and 000's wiring), run in
local mode. Fragments are wrapped in the smallest action that makes them runnable; helpers the
seeds leave undefined (train_epoch, get_memory_usage ...) are defined here."""

import importlib
import io
import sys
import textwrap
import warnings

import pytest
from pydantic import BaseModel, Field

from synapse_sdk.plugins.executors.local import LocalExecutor

QUIET = {'console': False, 'client': None, 'v2_client': None, 'agent_client': None}


# -- seed 000 ------------------------------------------------------------------------------------
def _seed_000_export_action():
    """Seed 000's class-based caller example, as written (plus a result saying what it used)."""
    from synapse_sdk.plugins.action import BaseAction
    from synapse_sdk.plugins.enums import PluginCategory

    class MyExportAction(BaseAction):
        category = PluginCategory.EXPORT

        def run(self):
            # v1 path — still works exactly as before
            if self.client:
                projects = self.client.list_projects()  # noqa: F841
            # v2 path — guard against None when running without credentials
            if self.v2_client is not None:
                page = self.v2_client.tasks.list(project=42, per_page=50)
                for task in page.results:  # noqa: B007
                    ...
                with self.v2_client.capture_request_ids():
                    self.v2_client.assignments.list(project=42, list_all=True)
                self.logger.info('export-listing', request_id=self.v2_client.last_request_id)
            return {'v1': self.client is not None, 'v2': self.v2_client is not None}

    return MyExportAction


def test_seed_000_context_fields_and_class_action_with_run():
    from dataclasses import fields

    from synapse_sdk.plugins.context import RuntimeContext

    names = [f.name for f in fields(RuntimeContext) if f.init]
    assert names == [
        'logger',
        'env',
        'job_id',
        'client',
        'v2_client',
        'agent_client',
        'checkpoint',
        'language',
    ]

    MyExportAction = _seed_000_export_action()
    assert LocalExecutor(console=False).execute(MyExportAction, {}) == {'v1': False, 'v2': False}


def test_seed_000_class_example_against_the_fake_backend(request):
    """The same example with credentials: both paths talk to the (fake) backend over HTTP."""
    pytest.importorskip('synapse_sdk.clients.testing')  # synapse-core alone: no backend to talk to
    synapse_backend = request.getfixturevalue('synapse_backend')
    synapse_backend.state.add_project(id=42)
    for task in synapse_backend.state.add_tasks(42, 70):
        synapse_backend.state.add_assignment(task['id'])
    job = synapse_backend.state.add_job()

    result = LocalExecutor(console=False, job_id=job['id']).execute(_seed_000_export_action(), {})

    assert result == {'v1': True, 'v2': True}
    assert [r.query.get('per_page') for r in synapse_backend.requests_to('^/v2/tasks/$')] == [['50']]
    (first_page,) = synapse_backend.requests_to('^/v2/assignments/$')  # list_all fetches page 1 eagerly
    logged = [
        e for e in synapse_backend.state.logs_for(job['id']) if e['data'].get('message') == 'export-listing'
    ]
    assert logged[0]['data']['request_id'] == first_page.request_id


def test_seed_000_monkeypatch_the_v2_factory(monkeypatch, auth_module):
    backend_v2 = pytest.importorskip('synapse_sdk.clients.backend_v2')
    from synapse_sdk.plugins import action

    BackendV2Client = backend_v2.BackendV2Client
    fake = BackendV2Client('https://api.test.synapse.sh', access_token='syn_x')
    monkeypatch.setattr(auth_module, 'create_backend_v2_client', lambda: fake)

    @action(name='probe')
    def probe(params, ctx):
        return {'same': ctx.v2_client is fake}

    assert LocalExecutor(console=False).execute(probe, {}) == {'same': True}


# -- seed 001 ------------------------------------------------------------------------------------
def test_seed_001_function_based_action():
    from synapse_sdk.plugins import RuntimeContext, action

    class TrainParams(BaseModel):
        epochs: int = 10
        batch_size: int = 32
        learning_rate: float = 0.001

    @action(params=TrainParams, description='Train a model')
    def train(params: TrainParams, ctx: RuntimeContext) -> dict:
        ctx.log_message('Training started', 'info')

        for epoch in range(params.epochs):
            ctx.set_progress(epoch + 1, params.epochs, step='train')
            ctx.set_metrics({'epoch': epoch, 'loss': 0.1}, step='training')

        ctx.log_message('Training completed', 'success')
        return {'status': 'completed', 'epochs': params.epochs}

    assert LocalExecutor(**QUIET).execute(train, {'epochs': 3}) == {'status': 'completed', 'epochs': 3}


def test_seed_001_class_based_action():
    from synapse_sdk.plugins import BaseAction, RuntimeContext  # noqa: F401

    class TrainParams(BaseModel):
        epochs: int = 10

    class TrainAction(BaseAction[TrainParams]):
        def execute(self) -> dict:
            self.ctx.log_message('Training started', 'info')
            for epoch in range(self.params.epochs):
                self.set_progress(epoch + 1, self.params.epochs, step='train')
                self.set_metrics({'epoch': epoch, 'loss': 0.1}, step='training')
            return {'status': 'completed'}

    assert LocalExecutor(**QUIET).execute(TrainAction, {'epochs': 2}) == {'status': 'completed'}


def test_seed_001_context_method_examples(tmp_path):
    from synapse_sdk.plugins import action

    @action(name='all_methods')
    def all_methods(params, ctx):
        # Single progress
        ctx.set_progress(50, 100)
        # Step-based progress (multi-phase operations)
        ctx.set_progress(10, 100, step='download')
        ctx.set_progress(5, 50, step='train')
        ctx.set_progress(3, 10, step='export')
        ctx.set_metrics({'loss': 0.1, 'accuracy': 0.95, 'learning_rate': 0.001}, step='training')
        ctx.set_metrics({'inference_time': 0.05, 'throughput': 200}, step='inference')
        ctx.log('checkpoint_saved', {'epoch': 5, 'path': '/model.pt'})
        ctx.log('data_loaded', {'count': 1000}, file='/data/train.csv')
        ctx.log_message('Training started', 'info')
        ctx.log_message('Low GPU memory detected', 'warning')
        ctx.log_message('Training completed successfully', 'success')
        ctx.log_message('Failed to load checkpoint', 'danger')
        ctx.log_dev_event('Model architecture initialized', {'layers': 12})
        ctx.log_dev_event('Batch processing started')
        # Environment
        value = ctx.env.get('MY_VAR', 'default')
        api_key = ctx.env.get_str('API_KEY')
        batch_size = ctx.env.get_int('BATCH_SIZE', default=32)
        learning_rate = ctx.env.get_float('LEARNING_RATE', default=0.001)
        debug_mode = ctx.env.get_bool('DEBUG', default=False)
        gpu_ids = ctx.env.get_list('GPU_IDS', default=['0'])
        # Checkpoint
        if ctx.checkpoint:
            category = ctx.checkpoint.get('category')
            model_path = ctx.checkpoint.get('path')
            if category == 'base':
                print(f'Using base model from {model_path}')
            else:
                print(f'Using fine-tuned model: {category}')
        # Check for None
        if ctx.client:
            data = ctx.client.fetch_data()
        else:
            ctx.log_message('Backend client not available', 'warning')
            data = 'local'
        # Good: no secrets in logs
        ctx.log('config_loaded', {'api_key_set': bool(api_key)})
        return {
            'value': value,
            'batch_size': batch_size,
            'learning_rate': learning_rate,
            'debug': debug_mode,
            'gpu_ids': gpu_ids,
            'data': data,
            'metrics': ctx.logger.get_metrics(),
            'progress': ctx.logger.get_progress('download').percent,
        }

    log = tmp_path / 'run.jsonl'
    out = LocalExecutor(
        env={'API_KEY': 'k', 'BATCH_SIZE': '16', 'GPU_IDS': '0,1', 'DEBUG': '1'},
        checkpoint={'category': 'base', 'path': '/w.pt'},
        log_file=log,
        console=False,
        client=None,
        v2_client=None,
        agent_client=None,
    ).execute(all_methods, {})
    assert out['value'] == 'default' and out['batch_size'] == 16 and out['learning_rate'] == 0.001
    assert out['debug'] is True and out['gpu_ids'] == ['0', '1'] and out['data'] == 'local'
    assert out['metrics']['inference'] == {'inference_time': 0.05, 'throughput': 200}
    assert out['progress'] == 10.0
    text = log.read_text()
    assert (
        '"level": "danger"' in text and '"event": "dev_event"' in text and '"file": "/data/train.csv"' in text
    )


def test_seed_001_step_context_example():
    steps = pytest.importorskip('synapse_sdk.plugins.steps')
    from dataclasses import dataclass, field
    from typing import Any

    BaseStepContext = steps.BaseStepContext

    @dataclass
    class MyStepContext(BaseStepContext):
        params: dict[str, Any] = field(default_factory=dict)
        results: list[Any] = field(default_factory=list)

    from synapse_sdk.plugins.execution import build_runtime_context

    runtime_ctx = build_runtime_context(**QUIET)
    step_ctx = MyStepContext(runtime_ctx=runtime_ctx)
    step_ctx.runtime_ctx.set_progress(0, 100, step='load')
    step_ctx.runtime_ctx.log_message('Loading dataset...', 'info')
    assert runtime_ctx.logger.get_progress('load').current == 0


# -- seed 002 ------------------------------------------------------------------------------------
YOLOV8 = """
from synapse_sdk.plugins.decorators import action
from pydantic import BaseModel

class TrainParams(BaseModel):
    epochs: int = 10
    batch_size: int = 32

@action(name='train', description='Train YOLOv8 model', params=TrainParams)
def train(params: TrainParams, ctx):
    # Training logic here
    return {'accuracy': 0.95}

@action(name='infer')
def infer(params, ctx):
    # Inference logic
    return {'predictions': [...]}
"""

YOLOV8_CLASS = """
from synapse_sdk.plugins.action import BaseAction
from pydantic import BaseModel

class TrainParams(BaseModel):
    epochs: int = 10

class TrainAction(BaseAction[TrainParams]):
    action_name = 'train'
    params_model = TrainParams

    def execute(self):
        # self.params contains validated TrainParams
        # self.ctx contains RuntimeContext (logger, env, job_id)
        return {'accuracy': 0.95}
"""


def _write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


@pytest.fixture
def plugin_root(tmp_path, monkeypatch):
    """A scratch directory on sys.path whose `plugins`/`plugin` packages are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name in ('plugins', 'plugin') or name.startswith(('plugins.', 'plugin.')):
            del sys.modules[name]


def test_seed_002_run_plugin_module_options(plugin_root):
    from synapse_sdk.plugins.runner import run_plugin

    _write(plugin_root, 'plugins/__init__.py', '')
    _write(plugin_root, 'plugins/yolov8.py', YOLOV8)
    assert run_plugin('plugins.yolov8', 'train', {'epochs': 20}, **QUIET) == {'accuracy': 0.95}
    with pytest.warns(UserWarning, match='ellipsis that is not JSON-serialisable'):
        assert run_plugin('plugins.yolov8', 'infer', {}, **QUIET) == {'predictions': ['Ellipsis']}
    _write(plugin_root, 'plugins/yolov8_cls.py', YOLOV8_CLASS)
    assert run_plugin('plugins.yolov8_cls', 'train', {'epochs': 20}, **QUIET) == {'accuracy': 0.95}
    # Explicit action class (skips discovery)
    from plugins.yolov8_cls import TrainAction

    assert run_plugin('yolov8', 'train', {'epochs': 10}, action_cls=TrainAction, **QUIET) == {
        'accuracy': 0.95
    }
    result = run_plugin('plugins.yolov8', 'train', {'epochs': 1}, mode='local', **QUIET)
    assert result == {'accuracy': 0.95}


def test_seed_002_config_yaml_option_and_discovery(plugin_root):
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.enums import RunMethod
    from synapse_sdk.plugins.runner import run_plugin
    from synapse_sdk.plugins.utils import (
        get_action_config,
        get_action_method,
        get_plugin_actions,
        read_requirements,
    )

    root = plugin_root / 'yolo_plugin'
    _write(
        root,
        'config.yaml',
        """\
        name: YOLOv8 Plugin
        code: yolov8
        version: 1.0.0
        category: neural_net
        description: YOLOv8 object detection plugin

        actions:
          train:
            entrypoint: plugin.train.TrainAction   # or plugin.train:TrainAction
            method: job
            description: Train YOLOv8 model

          infer:
            entrypoint: plugin.inference.InferAction
            method: task
            description: Run inference

          export:
            entrypoint: plugin.export.export_model
            method: task
        """,
    )
    _write(root, 'plugin/__init__.py', '')
    _write(root, 'plugin/train.py', YOLOV8_CLASS)
    _write(
        root,
        'plugin/inference.py',
        """\
        from synapse_sdk.plugins.action import BaseAction

        class InferAction(BaseAction):
            def execute(self):
                return {'predictions': []}
        """,
    )
    # The seed names `plugin.export.export_model` and shows no `@action` for it: a plain (params, ctx) function.
    _write(
        root,
        'plugin/export.py',
        """\
        def export_model(params, ctx):
            '''Export the trained model.'''
            ctx.log_message('exporting')
            return {'exported': True, 'format': params.get('format', 'onnx')}
        """,
    )
    _write(root, 'requirements.txt', 'numpy>=1.20\ntorch>=2.0\n')
    assert run_plugin(str(root), 'train', {'epochs': 20}, **QUIET) == {'accuracy': 0.95}
    assert run_plugin(str(root), 'infer', {}, **QUIET) == {'predictions': []}
    assert run_plugin(str(root), 'export', {}, **QUIET) == {'exported': True, 'format': 'onnx'}
    assert run_plugin(str(root), 'export', {'format': 'tflite'}, **QUIET)['format'] == 'tflite'

    discovery = PluginDiscovery.from_path(root)
    assert discovery.list_actions() == ['train', 'infer', 'export']
    # name and method from config.yaml; the description too when it gives one (the export has none)
    export = discovery.get_action_definition('export')
    assert (export.name, export.method, export.kind) == ('export', RunMethod.TASK, 'function')
    assert export.description == 'Export the trained model.'
    train = discovery.get_action_definition('train')
    assert (train.method, train.description) == (RunMethod.JOB, 'Train YOLOv8 model')
    assert discovery.has_action('train') is True
    assert discovery.get_action_method('train') == RunMethod.JOB
    assert discovery.get_action_config('train').entrypoint == 'plugin.train.TrainAction'
    assert discovery.get_action_class('train').__name__ == 'TrainAction'
    import plugin.train

    assert PluginDiscovery.from_module(plugin.train).list_actions() == ['train']

    config = discovery.config
    action_method = get_action_method(config, 'train')
    assert action_method == RunMethod.JOB
    assert get_plugin_actions(str(root)) == ['train', 'infer', 'export']
    assert get_action_config(config, 'train')['entrypoint'] == 'plugin.train.TrainAction'
    assert read_requirements(root / 'requirements.txt') == ['numpy>=1.20', 'torch>=2.0']


def test_seed_002_plain_function_entrypoints(plugin_root):
    """A plain function named as an entrypoint runs in every entry point of core: run_plugin, LocalExecutor
    with the entrypoint string, and the subprocess entrypoint (what Ray jobs run); its name, method and
    description come from config.yaml. A pydantic annotation on its params is its params model."""
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.enums import RunMethod
    from synapse_sdk.plugins.errors import ParamsValidationError
    from synapse_sdk.plugins.runner import run_plugin

    root = plugin_root / 'plain'
    _write(
        root,
        'config.yaml',
        """\
        name: Plain
        code: plain
        actions:
          export:
            entrypoint: plugin.export.export_model
            method: job
            description: Export the dataset
          convert:
            entrypoint: plugin.export:convert
        """,
    )
    _write(root, 'plugin/__init__.py', '')
    _write(
        root,
        'plugin/export.py',
        """\
        from pydantic import BaseModel

        class ConvertParams(BaseModel):
            target: str = 'yolo'

        def export_model(params, ctx):
            return {'params': dict(params), 'job': ctx.job_id}

        def convert(params: ConvertParams, ctx):
            return {'target': params.target}
        """,
    )
    discovery = PluginDiscovery.from_path(root)
    export = discovery.get_action_definition('export')
    assert (export.name, export.method, export.description) == ('export', RunMethod.JOB, 'Export the dataset')
    assert discovery.get_action_params_model('convert').__name__ == 'ConvertParams'

    assert run_plugin(str(root), 'export', {'a': 1}, **QUIET) == {'params': {'a': 1}, 'job': None}
    assert run_plugin(str(root), 'convert', {'target': 'coco'}, **QUIET) == {'target': 'coco'}
    with pytest.raises(ParamsValidationError, match='target'):
        run_plugin(str(root), 'convert', {'target': 3}, **QUIET)
    assert LocalExecutor(**QUIET).execute('plugin.export:export_model', {'b': 2}) == {
        'params': {'b': 2},
        'job': None,
    }

    import json
    import subprocess

    from synapse_sdk.plugins.entrypoint import parse_result_output

    done = subprocess.run(
        [
            sys.executable,
            '-m',
            'synapse_sdk.plugins.entrypoint',
            '--entrypoint',
            'plugin.export.export_model',
            '--plugin-dir',
            str(root),
            '--params',
            json.dumps({'c': 3}),
            '--job-id',
            '',
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_clean_env(), 'SYNAPSE_ACTION_NAME': 'export'},
    )
    assert done.returncode == 0, done.stderr
    assert parse_result_output(done.stdout) == {
        'status': 'succeeded',
        'result': {'params': {'c': 3}, 'job': None},
    }


def _clean_env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith('SYNAPSE_')}


def test_seed_002_serve_application_is_run_method_serve(plugin_root):
    """Seed 002 calls the serve method `serve_application` (get_action_method's docstring, the platform's
    name): config.yaml accepts it and it reads back as `RunMethod.SERVE` from every helper."""
    from synapse_sdk.plugins.config import PluginConfig
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.enums import RunMethod
    from synapse_sdk.plugins.utils import get_action_method

    raw = {
        'name': 'YOLO',
        'code': 'yolo',
        'actions': {'deploy': {'entrypoint': 'plugin.serve:App', 'method': 'serve_application'}},
    }
    assert RunMethod('serve_application') is RunMethod.SERVE
    assert get_action_method(raw, 'deploy') == RunMethod.SERVE
    assert get_action_method(PluginConfig.from_dict(raw), 'deploy') == RunMethod.SERVE
    root = plugin_root / 'served'
    _write(
        root,
        'config.yaml',
        'name: YOLO\ncode: yolo\nactions:\n  deploy:\n    entrypoint: plugin.serve:App\n    method: serve_application\n',
    )
    assert PluginDiscovery.from_path(root).get_action_method('deploy') is RunMethod.SERVE
    assert get_action_method(str(root), 'deploy') == RunMethod.SERVE

    # the seed's dispatch example, as written
    method = get_action_method(raw, 'deploy')
    if method == RunMethod.JOB:
        branch = 'job'
    elif method == RunMethod.TASK:
        branch = 'task'
    else:
        branch = method.value
    assert branch == 'serve'


def test_seed_002_i18n_with_executors_and_custom_messages():
    from synapse_sdk.i18n import LocalizedMessage
    from synapse_sdk.plugins import BaseAction
    from synapse_sdk.plugins.log_messages import LogMessageCode
    from synapse_sdk.plugins.models.logger import LogLevel

    class TrainParams(BaseModel):
        epochs: int = 10

    msg = LocalizedMessage({'en': 'Processing {count} files', 'ko': '{count}개의 파일을 처리 중'})
    stream = io.StringIO()

    class TrainAction(BaseAction[TrainParams]):
        def execute(self):
            first = self.ctx.log_message(msg, count=3)
            second = self.ctx.log_message(
                LogMessageCode.CUSTOM_MESSAGE,
                message={'en': 'Custom message', 'ko': '사용자 정의 메시지'},
                level=LogLevel.INFO,
            )
            return [first, second]

    executor = LocalExecutor(
        env={'DEBUG': 'true'}, language='ko', console=stream, client=None, v2_client=None, agent_client=None
    )
    result = executor.execute(TrainAction, {'epochs': 10})
    assert result == ['3개의 파일을 처리 중', '사용자 정의 메시지']
    assert '사용자 정의 메시지' in stream.getvalue()
    assert LocalExecutor(**QUIET).execute(TrainAction, {}) == ['Processing 3 files', 'Custom message']


# -- seed 003 ------------------------------------------------------------------------------------
def test_seed_003_context_methods_and_complete_example():
    from synapse_sdk.plugins.action import BaseAction

    items = list(range(5))

    def process(item):
        return item

    def process_data():
        return {'processed': True}

    class Methods(BaseAction):
        def execute(self):
            self.ctx.log('checkpoint', {'epoch': 5, 'loss': 0.25})
            self.ctx.log('prediction', {'class': 'cat', 'confidence': 0.95}, file='/data/img.jpg')
            total_items = 100
            for i, item in enumerate(items):
                process(item)
                self.ctx.set_progress(i + 1, total_items)
            self.ctx.set_progress(50, 100, step='preprocessing')
            self.ctx.set_progress(100, 100, step='training')
            self.ctx.set_metrics({'accuracy': 0.95, 'loss': 0.05, 'learning_rate': 0.001})
            self.ctx.set_metrics({'mAP': 0.87}, step='validation')
            self.ctx.log_message('Starting model training...', context='info')
            self.ctx.log_message('GPU memory low, reducing batch size', context='warning')
            self.ctx.log_message('Training completed successfully!', context='success')
            self.ctx.log_message('Failed to load checkpoint', context='danger')
            self.ctx.log_dev_event('Variable state checkpoint', {'variable_x': 42})
            self.ctx.log_dev_event('Processing time recorded', {'duration_ms': 1500})
            self.ctx.log_dev_event('Cache hit rate', {'hits': 95, 'misses': 5})
            storage_path = self.ctx.env.storage_path
            api_url = self.ctx.env.api_url
            if self.ctx.env.debug:
                self.ctx.log_dev_event('Debug mode enabled')
            try:
                result = process_data()
                return {**result, 'storage_path': storage_path, 'api_url': api_url}
            finally:
                self.ctx.end_log()

    out = LocalExecutor(
        env={'STORAGE_PATH': '/s', 'SYNAPSE_HOST': 'https://h', 'DEBUG': 'on'}, **QUIET
    ).execute(Methods, {})
    assert out == {'processed': True, 'storage_path': '/s', 'api_url': 'https://h'}

    class TrainParams(BaseModel):
        epochs: int = Field(default=50, ge=1, le=1000)
        batch_size: int = Field(default=8, ge=1, le=512)
        learning_rate: float = Field(default=0.001)

    def train_epoch(batch_size, learning_rate):
        return 1.0 / batch_size

    def get_memory_usage():
        return 1024

    class TrainAction(BaseAction[TrainParams]):
        action_name = 'train'
        params_model = TrainParams

        def execute(self):
            self.ctx.log_message('Starting training...')
            if self.ctx.checkpoint:
                self.ctx.log(
                    'checkpoint_loaded',
                    {'category': self.ctx.checkpoint['category'], 'path': self.ctx.checkpoint['path']},
                )
            total_epochs = self.params.epochs
            for epoch in range(total_epochs):
                loss = train_epoch(self.params.batch_size, self.params.learning_rate)
                self.ctx.set_progress(epoch + 1, total_epochs, step='training')
                self.ctx.set_metrics(
                    {'epoch': epoch + 1, 'loss': loss, 'learning_rate': self.params.learning_rate}
                )
                self.ctx.log_dev_event(
                    'Epoch completed', {'epoch': epoch + 1, 'memory_usage': get_memory_usage()}
                )
            self.ctx.log_message('Training completed!', context='success')
            self.ctx.end_log()
            return {'final_loss': loss, 'epochs_trained': total_epochs}

    out = LocalExecutor(checkpoint={'category': 'base', 'path': '/w.pt'}, **QUIET).execute(
        TrainAction, {'epochs': 3}
    )
    assert out == {'final_loss': 0.125, 'epochs_trained': 3}
    from synapse_sdk.plugins.errors import ParamsValidationError

    with pytest.raises(ParamsValidationError, match='epochs: Input should be less than or equal to 1000'):
        LocalExecutor(**QUIET).execute(TrainAction, {'epochs': 5000})


def test_seed_003_models():
    from synapse_sdk.plugins.models import ActionStatus, RunStatus
    from synapse_sdk.plugins.models.logger import LogLevel

    assert LogLevel.DEBUG and LogLevel.INFO and LogLevel.WARNING and LogLevel.ERROR
    assert RunStatus.PENDING and RunStatus.RUNNING and RunStatus.COMPLETED and RunStatus.FAILED
    assert RunStatus.CANCELLED and ActionStatus.SKIPPED


# -- seed 004 ------------------------------------------------------------------------------------
def test_seed_004_convert_and_greet_function_actions():
    from synapse_sdk.plugins import RuntimeContext, action
    from synapse_sdk.plugins.enums import PluginCategory

    class ConvertParams(BaseModel):
        source_path: str
        target_format: str = 'yolo'

    class ConvertResult(BaseModel):
        output_path: str
        files_converted: int

    @action(
        name='convert',
        description='Convert dataset format',
        params=ConvertParams,
        result=ConvertResult,
        category=PluginCategory.EXPORT,
    )
    def convert(params: ConvertParams, ctx: RuntimeContext) -> ConvertResult:
        ctx.log_message(f'Converting to {params.target_format}')
        return ConvertResult(output_path='/converted', files_converted=100)

    class GreetParams(BaseModel):
        name: str = Field(description='Name to greet')
        formal: bool = False

    @action(name='greet', params=GreetParams)
    def greet(params: GreetParams, ctx: RuntimeContext) -> dict:
        prefix = 'Dear' if params.formal else 'Hello'
        message = f'{prefix} {params.name}!'
        ctx.log_message(message, 'info')
        return {'message': message}

    ex = LocalExecutor(**QUIET)
    assert ex.execute(convert, {'source_path': '/d'}) == {'output_path': '/converted', 'files_converted': 100}
    assert ex.execute(greet, {'name': 'Ada', 'formal': True}) == {'message': 'Dear Ada!'}


def test_seed_004_class_action_with_types_and_result_model():
    from synapse_sdk.plugins.action import BaseAction
    from synapse_sdk.plugins.enums import PluginCategory
    from synapse_sdk.plugins.types import ModelWeights, YOLODataset

    class TrainParams(BaseModel):
        dataset: int = Field(description='Dataset ID to train on')
        epochs: int = Field(default=100, ge=1)
        batch_size: int = Field(default=32, ge=1)

    class TrainResult(BaseModel):
        model_path: str
        final_loss: float
        metrics: dict[str, float]

    class TrainAction(BaseAction[TrainParams]):
        category = PluginCategory.NEURAL_NET
        input_type = YOLODataset
        output_type = ModelWeights
        result_model = TrainResult

        def execute(self) -> TrainResult:
            self.set_progress(0, self.params.epochs, 'training')
            for epoch in range(self.params.epochs):
                self.set_progress(epoch + 1, self.params.epochs, 'training')
                self.set_metrics({'loss': 0.5, 'mAP50': 0.85}, 'training')
            return TrainResult(
                model_path='/models/best.pt', final_loss=0.05, metrics={'mAP50': 0.92, 'mAP50-95': 0.78}
            )

    assert TrainAction.params_model is TrainParams
    out = LocalExecutor(**QUIET).execute(TrainAction, {'dataset': 123, 'epochs': 2})
    assert out == {
        'model_path': '/models/best.pt',
        'final_loss': 0.05,
        'metrics': {'mAP50': 0.92, 'mAP50-95': 0.78},
    }
    assert YOLODataset.is_compatible_with(TrainAction.input_type)


def test_seed_004_config_and_run_plugin_by_plugin_code(plugin_root, monkeypatch):
    from synapse_sdk.plugins.runner import run_plugin

    root = plugin_root / 'my-training-plugin'
    _write(
        root,
        'config.yaml',
        """\
        name: My Training Plugin
        code: my-training-plugin
        version: 1.0.0
        category: neural_net
        description: Custom training plugin with YOLO support
        package_manager: pip
        actions:
          greet:
            entrypoint: my_plugin.actions:greet
            method: task
            description: Simple greeting action
          train:
            entrypoint: my_plugin.train:TrainAction
            method: job
            description: Train model on dataset
            input_type: yolo_dataset
            output_type: model_weights
        """,
    )
    _write(root, 'my_plugin/__init__.py', '')
    _write(
        root,
        'my_plugin/actions.py',
        """\
        from pydantic import BaseModel
        from synapse_sdk.plugins import action

        class GreetParams(BaseModel):
            name: str = 'world'

        @action(name='greet', params=GreetParams)
        def greet(params, ctx):
            return {'message': f'Hello {params.name}!'}
        """,
    )
    _write(
        root,
        'my_plugin/train.py',
        """\
        from pydantic import BaseModel
        from synapse_sdk.plugins.action import BaseAction

        class TrainParams(BaseModel):
            dataset: int
            epochs: int = 1

        class TrainAction(BaseAction[TrainParams]):
            def execute(self):
                for e in range(self.params.epochs):
                    self.set_progress(e + 1, self.params.epochs, 'training')
                return {'dataset': self.params.dataset, 'epochs': self.params.epochs}
        """,
    )
    monkeypatch.chdir(plugin_root)
    result = run_plugin(
        plugin_code='my-training-plugin',
        action='train',
        params={'dataset': 123, 'epochs': 10},
        mode='local',
        **QUIET,
    )
    assert result == {'dataset': 123, 'epochs': 10}
    assert run_plugin('my-training-plugin', 'greet', {}, **QUIET) == {'message': 'Hello world!'}
    for name in list(sys.modules):
        if name == 'my_plugin' or name.startswith('my_plugin.'):
            del sys.modules[name]


def test_seed_004_action_name_is_injected_from_the_config_key(plugin_root, monkeypatch):
    """Seed 004: `action_name` is "injected from config.yaml during discovery if not set". Inside `execute`,
    `self.action_name` is the config key the action was loaded under; the class is not changed."""
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.runner import run_plugin

    root = plugin_root / 'named'
    _write(
        root,
        'config.yaml',
        """\
        name: Named
        code: named
        actions:
          fit:
            entrypoint: plugin.train:TrainAction
          fit_again:
            entrypoint: plugin.train:TrainAction
          fixed:
            entrypoint: plugin.train:FixedAction
        """,
    )
    _write(root, 'plugin/__init__.py', '')
    _write(
        root,
        'plugin/train.py',
        """\
        from synapse_sdk.plugins.action import BaseAction

        class TrainAction(BaseAction):
            def __init__(self, params, ctx):
                super().__init__(params, ctx)
                self.seen_in_init = self.action_name

            def execute(self):
                return {'action_name': self.action_name, 'in_init': self.seen_in_init}

        class FixedAction(BaseAction):
            action_name = 'fixed_by_class'

            def execute(self):
                return {'action_name': self.action_name}
        """,
    )
    assert run_plugin(str(root), 'fit', {}, **QUIET) == {'action_name': 'fit', 'in_init': 'fit'}
    assert run_plugin(str(root), 'fit_again', {}, **QUIET) == {
        'action_name': 'fit_again',
        'in_init': 'fit_again',
    }
    assert run_plugin(str(root), 'fixed', {}, **QUIET) == {'action_name': 'fixed_by_class'}  # "if not set"
    cls = PluginDiscovery.from_path(root).get_action_class('fit')
    assert cls.action_name is None and 'action_name' not in vars(cls)
    # without a config.yaml: the name derived from the class, as discovery lists it
    assert LocalExecutor(**QUIET).execute(cls, {}) == {'action_name': 'train', 'in_init': 'train'}

    # the subprocess entrypoint (what a Ray job runs) gets the key as SYNAPSE_ACTION_NAME
    import subprocess

    from synapse_sdk.plugins.entrypoint import parse_result_output

    done = subprocess.run(
        [
            sys.executable,
            '-m',
            'synapse_sdk.plugins.entrypoint',
            '--entrypoint',
            'plugin.train:TrainAction',
            '--plugin-dir',
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_clean_env(), 'SYNAPSE_ACTION_NAME': 'fit'},
    )
    assert parse_result_output(done.stdout)['result'] == {'action_name': 'fit', 'in_init': 'fit'}, done.stderr


def test_seed_004_data_types_without_a_name(plugin_root):
    """Seed 004 declares types as `class Dataset(DataType): ...`, without a name: a subclass written that way
    is named after its class and works where names are used (config.yaml, compatibility); names stay unique."""
    from synapse_sdk.plugins import types
    from synapse_sdk.plugins.config import PluginConfig
    from synapse_sdk.plugins.types import Dataset, DataType, Model, get_data_type

    # the SDK's own hierarchy is the seed's
    seed = {
        'Dataset': 'DataType',
        'DMDataset': 'Dataset',
        'DMv1Dataset': 'DMDataset',
        'DMv2Dataset': 'DMDataset',
        'YOLODataset': 'Dataset',
        'COCODataset': 'Dataset',
        'PascalVOCDataset': 'Dataset',
        'Model': 'DataType',
        'ModelWeights': 'Model',
        'ONNXModel': 'Model',
        'TensorRTModel': 'Model',
        'Result': 'DataType',
        'TestResults': 'Result',
        'InferenceResults': 'Result',
    }
    assert {name: getattr(types, name).__bases__[0].__name__ for name in seed} == seed

    _write(
        plugin_root,
        'plugin/types.py',
        """\
        from synapse_sdk.plugins.types import Dataset, Model

        class PointCloudDataset(Dataset): ...   # the seed's form: no name
        class KITTIPointCloudDataset(PointCloudDataset): ...
        class TorchScriptModel(Model): ...
        """,
    )
    import plugin.types as mine

    assert [c.name for c in (mine.PointCloudDataset, mine.KITTIPointCloudDataset, mine.TorchScriptModel)] == [
        'point_cloud_dataset',
        'kitti_point_cloud_dataset',
        'torch_script_model',
    ]
    assert get_data_type('kitti_point_cloud_dataset') is mine.KITTIPointCloudDataset
    assert mine.KITTIPointCloudDataset.is_compatible_with(Dataset)
    assert not mine.TorchScriptModel.is_compatible_with(mine.PointCloudDataset)
    assert issubclass(mine.TorchScriptModel, Model)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # an unknown type name would be a ConfigWarning
        PluginConfig.from_dict(
            {
                'name': 'p',
                'code': 'p',
                'actions': {'a': {'entrypoint': 'm:f', 'input_type': 'point_cloud_dataset'}},
            }
        )
    # a module imported again may redefine its own types; another class may not take a name in use
    importlib.reload(mine)
    assert get_data_type('point_cloud_dataset') is mine.PointCloudDataset
    with pytest.raises(
        TypeError, match=r"'point_cloud_dataset' of .*\.PointCloudDataset is already used by plugin\.types"
    ):

        class PointCloudDataset(DataType): ...
