"""BaseUploadAction against the fake backend (loopback HTTP) and a real local storage provider.

The acceptance property: an upload that fails at any point leaves no files in storage and no data
units on the backend.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from synapse_sdk.plugins.actions.upload import (
    BaseUploadAction,
    OrganizedUnit,
    UploadContext,
    UploadParams,
    file_checksum,
)
from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action
from synapse_sdk.plugins.steps import BaseStep, StepFailedError, StepResult


class Upload(BaseUploadAction[UploadParams]):
    action_name = 'upload'


def make_files(root: Path, count: int, *, ext: str = '.jpg') -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = root / f'img_{i:03d}{ext}'
        path.write_bytes(f'image-{i}'.encode() * 50)
        paths.append(path)
    return paths


def storage_files(location: Path) -> list[str]:
    return sorted(str(p.relative_to(location)) for p in location.rglob('*') if p.is_file())


@pytest.fixture
def world(fake_backend, storage_dir, make_ctx):
    collection = fake_backend.state.add_data_collection(name='photos')
    return fake_backend, collection, storage_dir, make_ctx


def test_upload_creates_units_and_files(world, tmp_path):
    backend, collection, storage_dir, make_ctx = world
    sources = make_files(tmp_path / 'src', 5)
    ctx = make_ctx()
    result = run_action(
        Upload, {'data_collection': collection['id'], 'path': str(tmp_path / 'src'), 'batch_size': 2}, ctx
    )
    assert result['files_uploaded'] == 5 and result['data_units_created'] == 5
    units = list(backend.state.data_units.values())
    assert len(units) == 5 and sorted(u['id'] for u in units) == sorted(result['data_unit_ids'])
    prefix = result['storage_prefix']
    assert storage_files(storage_dir) == sorted(f'{prefix}/{p.name}' for p in sources)
    first = next(u for u in units if u['files']['image_1']['path'].endswith('img_000.jpg'))
    assert first['files']['image_1']['checksum'] == file_checksum(sources[0])
    assert first['data_collection'] == collection['id']
    # three batches of at most 2 units
    assert len(backend.requests_to(r'^/data_units/$', 'POST')) == 3
    assert ctx.logger.get_progress('create_data_units').percent == 100.0


def test_units_group_files_by_specification_directories(world, tmp_path):
    backend, _, _, make_ctx = world
    collection = backend.state.add_data_collection(
        file_specifications=[
            {'id': 1, 'name': 'image_1', 'file_type': 'image', 'is_required': True, 'is_primary': True},
            {'id': 2, 'name': 'label', 'file_type': 'data', 'is_required': False, 'is_primary': False},
        ]
    )
    make_files(tmp_path / 'src' / 'image_1', 3)
    make_files(tmp_path / 'src' / 'label', 2, ext='.json')
    run_action(Upload, {'data_collection': collection['id'], 'path': str(tmp_path / 'src')}, make_ctx())
    units = sorted(backend.state.data_units.values(), key=lambda u: u['files']['image_1']['path'])
    assert [sorted(u['files']) for u in units] == [['image_1', 'label'], ['image_1', 'label'], ['image_1']]


class ExplodingFinalize(BaseStep[UploadContext]):
    name = 'finalize'

    def execute(self, context):
        raise RuntimeError('finalize exploded')


class FailsAtTheEnd(Upload):
    def setup_steps(self, registry):
        super().setup_steps(registry)
        registry.replace('finalize', ExplodingFinalize())


def test_failure_after_everything_was_created_undoes_it_all(world, tmp_path):
    backend, collection, storage_dir, make_ctx = world
    make_files(tmp_path / 'src', 4)
    with pytest.raises(ActionExecutionError) as info:
        run_action(
            FailsAtTheEnd, {'data_collection': collection['id'], 'path': str(tmp_path / 'src')}, make_ctx()
        )
    error = info.value.__cause__
    assert isinstance(error, StepFailedError) and error.step == 'finalize'
    assert error.rolled_back == [
        'create_data_units',
        'upload_files',
        'organize_files',
        'validate_files',
        'initialize',
    ]
    assert error.rollback_errors == []
    assert backend.state.data_units == {}
    assert storage_files(storage_dir) == []
    assert len(backend.requests_to(r'^/data_units/\d+/$', 'DELETE')) == 4


def test_backend_failure_midway_through_unit_creation_leaves_nothing(world, tmp_path):
    backend, collection, storage_dir, make_ctx = world
    make_files(tmp_path / 'src', 5)
    client = None

    class FailsOnSecondBatch(Upload):
        def create_context(self):
            context = super().create_context()
            nonlocal client
            client = context.client
            original = client.create_data_units
            calls = []

            def create(payload):
                calls.append(payload)
                if len(calls) == 2:
                    backend.inject(r'^/data_units/$', method='POST', status=500)
                return original(payload)

            client.create_data_units = create
            return context

    params = {'data_collection': collection['id'], 'path': str(tmp_path / 'src'), 'batch_size': 2}
    with pytest.raises(ActionExecutionError) as info:
        run_action(FailsOnSecondBatch, params, make_ctx())
    error = info.value.__cause__
    assert error.step == 'create_data_units' and 'ServerError' in str(error)
    assert len(backend.requests_to(r'^/data_units/$', 'POST')) == 2  # first batch was created, then undone
    assert backend.state.data_units == {}
    assert storage_files(storage_dir) == []


def test_failure_midway_through_file_upload_leaves_nothing(world, tmp_path):
    backend, collection, storage_dir, make_ctx = world
    make_files(tmp_path / 'src', 4)

    class LosesAFile(Upload):
        def organize_files(self, context):
            units = super().organize_files(context)
            return [*units[:3], OrganizedUnit(files={'image_1': tmp_path / 'src' / 'vanished.jpg'})]

    with pytest.raises(ActionExecutionError) as info:
        run_action(
            LosesAFile, {'data_collection': collection['id'], 'path': str(tmp_path / 'src')}, make_ctx()
        )
    error = info.value.__cause__
    assert error.step == 'upload_files' and isinstance(error.__cause__, FileNotFoundError)
    assert storage_files(storage_dir) == []
    assert backend.state.data_units == {}
    assert backend.requests_to(r'^/data_units/', 'POST') == []


def test_validation_lists_disallowed_files_and_uploads_nothing(world, tmp_path):
    backend, collection, storage_dir, make_ctx = world
    make_files(tmp_path / 'src', 2)
    make_files(tmp_path / 'src', 1, ext='.exe')
    params = {
        'data_collection': collection['id'],
        'path': str(tmp_path / 'src'),
        'allowed_extensions': ['.jpg', 'png'],
    }
    with pytest.raises(ActionExecutionError, match=r'extension not allowed.*img_000\.exe'):
        run_action(Upload, params, make_ctx())
    assert storage_files(storage_dir) == [] and backend.state.data_units == {}


def test_rollback_failure_is_reported_not_hidden(world, tmp_path):
    backend, collection, storage_dir, make_ctx = world
    make_files(tmp_path / 'src', 2)
    backend.inject(r'^/data_units/\d+/$', method='DELETE', status=500, times=None)
    with pytest.raises(ActionExecutionError) as info:
        run_action(
            FailsAtTheEnd, {'data_collection': collection['id'], 'path': str(tmp_path / 'src')}, make_ctx()
        )
    error = info.value.__cause__
    assert [f.step for f in error.rollback_errors] == ['create_data_units']
    assert 'could not delete 2 data unit(s)' in str(error)
    assert storage_files(storage_dir) == []  # the other rollbacks still ran


def test_missing_backend_is_a_clear_error(tmp_path, make_ctx):
    make_files(tmp_path / 'src', 1)
    with pytest.raises(ActionExecutionError, match='needs the backend') as info:
        run_action(Upload, {'data_collection': 1, 'path': str(tmp_path / 'src')}, make_ctx(client=None))
    assert info.value.__cause__.step == 'initialize'


class CustomStep(BaseStep[UploadContext]):
    name = 'tag_units'

    def execute(self, context):
        context.log('tagging', {'count': len(context.data_units)})
        return StepResult(data={'tagged': len(context.data_units)})


def test_authors_can_insert_steps(world, tmp_path):
    _, collection, _, make_ctx = world
    make_files(tmp_path / 'src', 2)

    class Tagged(Upload):
        def setup_steps(self, registry):
            super().setup_steps(registry)
            registry.insert_after('create_data_units', CustomStep())

    result = run_action(
        Tagged, {'data_collection': collection['id'], 'path': str(tmp_path / 'src')}, make_ctx()
    )
    assert result['steps_executed'][-2:] == ['tag_units', 'finalize']


def test_unit_deletion_uses_v2_when_v1_cannot(fake_backend):
    from types import SimpleNamespace

    from synapse_sdk.plugins.actions.upload import delete_data_unit

    unit = fake_backend.state.add_data_unit(data_collection=1)
    delete_data_unit(SimpleNamespace(client=None, v2_client=fake_backend.v2_client()), unit['id'])
    assert fake_backend.state.data_units == {}
    assert fake_backend.requests_to(rf'^/v2/data-units/{unit["id"]}/$', 'DELETE')
    with pytest.raises(NotImplementedError, match='cannot delete data unit 5'):
        delete_data_unit(SimpleNamespace(client=None, v2_client=None), 5)


def test_existing_storage_objects_are_never_overwritten_nor_deleted(world, tmp_path):
    backend, collection, storage_dir, make_ctx = world
    make_files(tmp_path / 'src', 3)
    (storage_dir / 'shared').mkdir()
    (storage_dir / 'shared' / 'img_001.jpg').write_bytes(b'somebody else')
    params = {'data_collection': collection['id'], 'path': str(tmp_path / 'src'), 'prefix': 'shared'}
    with pytest.raises(ActionExecutionError, match=r"'shared/img_001\.jpg' already exists") as info:
        run_action(Upload, params, make_ctx())
    assert info.value.__cause__.step == 'upload_files'
    assert storage_files(storage_dir) == ['shared/img_001.jpg']
    assert (storage_dir / 'shared' / 'img_001.jpg').read_bytes() == b'somebody else'
    assert backend.state.data_units == {}


@pytest.fixture(scope='module')
def moto_s3():
    """A real S3 API (moto in server mode) on a loopback port."""
    moto_server = pytest.importorskip('moto.server')
    boto3 = pytest.importorskip('boto3')
    server = moto_server.ThreadedMotoServer(ip_address='127.0.0.1', port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f'http://{host}:{port}'
    client = boto3.client(
        's3',
        endpoint_url=endpoint,
        aws_access_key_id='testing',
        aws_secret_access_key='testing',
        region_name='us-east-1',
    )
    yield endpoint, client
    server.stop()


def test_failed_upload_leaves_nothing_in_s3(fake_backend, moto_s3, make_ctx, tmp_path):
    endpoint, s3 = moto_s3
    s3.create_bucket(Bucket='uploads-rollback')
    storage = fake_backend.state.add_storage(
        name='s3',
        category='internal',
        provider='s3',
        configuration={
            'bucket_name': 'uploads-rollback',
            'access_key': 'testing',
            'secret_key': 'testing',
            'region_name': 'us-east-1',
            'endpoint_url': endpoint,
        },
    )
    collection = fake_backend.state.add_data_collection()
    make_files(tmp_path / 'src', 4)
    params = {'data_collection': collection['id'], 'path': str(tmp_path / 'src'), 'storage': storage['id']}

    result = run_action(Upload, params, make_ctx())  # works end to end on S3
    listed = s3.list_objects_v2(Bucket='uploads-rollback').get('Contents', [])
    assert len(listed) == 4 and all(o['Key'].startswith(result['storage_prefix'] + '/') for o in listed)
    for obj in listed:
        s3.delete_object(Bucket='uploads-rollback', Key=obj['Key'])
    fake_backend.state.data_units.clear()

    with pytest.raises(ActionExecutionError):
        run_action(FailsAtTheEnd, params, make_ctx())
    assert s3.list_objects_v2(Bucket='uploads-rollback').get('KeyCount') == 0
    assert fake_backend.state.data_units == {}


class FlakyStorage:
    """Wraps the real storage: uploads overlap (a short sleep) and the 10th one fails after writing."""

    def __init__(self, inner):
        import threading

        self.inner = inner
        self.lock = threading.Lock()
        self.calls = 0
        self.active = 0
        self.max_active = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def upload(self, source, key):
        import time

        with self.lock:
            self.calls += 1
            number = self.calls
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(0.02)
            url = self.inner.upload(source, key)
            if number == 10:
                raise ConnectionError('storage went away')
            return url
        finally:
            with self.lock:
                self.active -= 1


class WrapStorage(BaseStep[UploadContext]):
    name = 'wrap_storage'

    def execute(self, context):
        context.storage = FlakyStorage(context.storage)
        return StepResult()


def test_parallel_upload_failing_midway_leaves_nothing(world, tmp_path):
    backend, collection, storage_dir, make_ctx = world
    make_files(tmp_path / 'src', 30)
    seen = {}

    class Parallel(Upload):
        def setup_steps(self, registry):
            super().setup_steps(registry)
            registry.insert_after('initialize', WrapStorage())

        def create_context(self):
            seen['context'] = context = super().create_context()
            return context

    params = {'data_collection': collection['id'], 'path': str(tmp_path / 'src'), 'max_workers': 4}
    with pytest.raises(ActionExecutionError, match='storage went away') as info:
        run_action(Parallel, params, make_ctx())
    assert info.value.__cause__.step == 'upload_files'
    flaky = seen['context'].storage
    assert flaky.max_active > 1  # uploads really overlapped
    assert 10 <= flaky.calls < 30  # queued uploads were dropped after the failure
    assert storage_files(storage_dir) == [] and seen['context'].uploaded_files == {}
    assert backend.state.data_units == {}
