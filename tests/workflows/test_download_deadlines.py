"""The category actions' own downloads (train's dataset files, inference's model file, to_task's
``read_url``) are bounded as a whole call, against real loopback servers that drip their answer.

urllib's ``timeout`` is per read: a server sending one byte every 0.5 s never trips it. Each test runs
the helper the way a plugin does (inside ``run_action``, through the fake backend) with a total deadline
of 1 s, and checks that the server was cut off before it had sent its answer, that the error is a
`TimeoutError` naming the URL with its credential masked, and that no partial file is left.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import synapse_tests_misbehaving as misbehaving  # registered by tests/conftest.py
from pydantic import BaseModel

from synapse_sdk.plugins.errors import ActionExecutionError, ExecutionError
from synapse_sdk.plugins.execution import run_action

ANSWER = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"box": [1]}\n'
TOKEN = 'drip-tok-0009'


class Dripper:
    """A handler writing `data` one byte every `every` seconds (headers included, as a slow or hostile
    server does); `sent` counts the bytes written before the client went away, `done` is set then."""

    def __init__(self, data: bytes, every: float, head: bytes = b''):
        self.data, self.every, self.head = data, every, head
        self.sent = 0
        self.done = threading.Event()

    def __call__(self, h) -> None:
        h.close_connection = True
        try:
            if self.head:
                h.wfile.write(self.head)
                h.wfile.flush()
            for byte in self.data:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                self.sent += 1
                time.sleep(self.every)
        except OSError:
            pass
        finally:
            self.done.set()

    def cut_off(self) -> bool:
        """The client went away before the whole answer was written."""
        return self.done.wait(5) and self.sent < len(self.data)


@pytest.fixture
def server():
    with misbehaving.http_server() as srv:
        yield srv


def _assert_timeout(err: BaseException, url_path: str) -> None:
    assert isinstance(err, TimeoutError), repr(err)
    text = str(err)
    assert url_path in text and 'deadline of 1 s' in text
    assert TOKEN not in text  # the URL is named with its credential masked


class Params(BaseModel):
    dataset: int | None = None
    model: int | None = None


def test_train_download_dataset_is_cut_off_at_its_file_deadline(fake_backend, make_ctx, server, tmp_path):
    from synapse_sdk.plugins.actions.train import BaseTrainAction

    dripper = server.routes['/blobs/img.png'] = Dripper(ANSWER, every=0.5)
    version = fake_backend.state.add('ground_truth_versions', version='1.0')
    url = f'{server.url}/blobs/img.png?token={TOKEN}'
    fake_backend.state.add_ground_truth_event(
        ground_truth_dataset_version=version['id'],
        category='train',
        data={},
        files={'image_1': {'url': url, 'is_primary': True}},
    )
    dest = tmp_path / 'dataset'

    class Train(BaseTrainAction[Params]):
        def execute(self):
            return self.download_dataset(dest, file_timeout=1.0)

    with pytest.raises(ActionExecutionError) as info:
        run_action(Train, {'dataset': version['id']}, make_ctx())
    _assert_timeout(info.value.original, '/blobs/img.png')
    assert dripper.cut_off()
    assert list((dest / 'train' / 'original_files').iterdir()) == []  # no partial file


def test_inference_download_model_is_cut_off_at_its_deadline(fake_backend, make_ctx, server, tmp_path):
    from synapse_sdk.plugins.actions.inference import BaseInferenceAction

    dripper = server.routes['/models/model.bin'] = Dripper(ANSWER, every=0.5)
    model = fake_backend.state.add_model(file=f'{server.url}/models/model.bin?token={TOKEN}')

    class Infer(BaseInferenceAction[Params]):
        def execute(self):
            return str(self.download_model(self.params.model, tmp_path / 'model', timeout=1.0))

    with pytest.raises(ActionExecutionError) as info:
        run_action(Infer, {'model': model['id']}, make_ctx())
    _assert_timeout(info.value.original, '/models/model.bin')
    assert dripper.cut_off()
    assert list((tmp_path / 'model').iterdir()) == []


def _to_task(timeout: float):
    from synapse_sdk.plugins.actions.to_task import ToTaskAction

    class ToTask(ToTaskAction):
        action_name = 'to_task'

        def convert_data_from_file(self, primary_url, primary_name, data_file_url, data_name):
            return self.read_json_url(data_file_url, timeout=timeout)

    return ToTask


def _project_with_label_at(fake_backend, url: str, monkeypatch) -> int:
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)
    project = fake_backend.state.add_project()
    files = {
        'image_1': {'url': f'{url}-image', 'is_primary': True, 'file_name_original': 'a.png'},
        'label': {'url': url, 'file_name_original': 'a.json'},
    }
    fake_backend.state.add_task(project['id'], files=files)
    return project['id']


def test_to_task_read_url_is_cut_off_while_the_headers_drip(fake_backend, make_ctx, server, monkeypatch):
    dripper = server.routes['/labels/a.json'] = Dripper(ANSWER, every=0.5)
    project = _project_with_label_at(fake_backend, f'{server.url}/labels/a.json?token={TOKEN}', monkeypatch)
    params = {'project': project, 'method': 'file', 'target_specification_name': 'label'}
    with pytest.raises(ExecutionError) as info:  # every task failed: the run fails quoting the first error
        run_action(_to_task(1.0), params, make_ctx())
    assert dripper.cut_off()
    assert '/labels/a.json' in str(info.value) and 'deadline of 1 s' in str(info.value)
    assert TOKEN not in str(info.value)


def test_read_url_does_not_return_a_body_cut_short_by_its_deadline(server):
    # Headers at once, then a body without a length dripping forever: when the deadline shuts the
    # socket down, urllib sees an ordinary end of body. It must be a TimeoutError, not short content.
    from synapse_sdk.plugins.actions.to_task import ToTaskAction

    head = b'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n'
    dripper = server.routes['/body'] = Dripper(b'x' * 100, every=0.1, head=head)
    with pytest.raises(TimeoutError) as info:
        ToTaskAction.read_url(f'{server.url}/body?token={TOKEN}', timeout=1.0)
    _assert_timeout(info.value, '/body')
    assert dripper.cut_off()


def test_within_its_deadline_a_slow_answer_arrives_whole(server, tmp_path):
    # The deadline is not a blanket failure: the same answer, dripped quickly, arrives in full, and
    # an HTTP error keeps its type and names the URL in a note.
    from urllib.error import HTTPError

    from synapse_sdk.plugins.actions._downloads import download_url
    from synapse_sdk.plugins.actions.to_task import ToTaskAction

    server.routes['/quick.json'] = Dripper(ANSWER, every=0.002)
    assert json.loads(ToTaskAction.read_url(f'{server.url}/quick.json', timeout=5.0)) == {'box': [1]}
    server.routes['/quick.bin'] = Dripper(ANSWER, every=0.002)
    download_url(f'{server.url}/quick.bin', tmp_path / 'quick.bin', timeout=5.0, setting='timeout=')
    assert (tmp_path / 'quick.bin').read_bytes() == b'{"box": [1]}\n'
    with pytest.raises(HTTPError) as info:
        download_url(f'{server.url}/missing?token={TOKEN}', tmp_path / 'm.bin', timeout=5.0, setting='')
    assert info.value.code == 404
    notes = ' '.join(getattr(info.value, '__notes__', []))
    assert '/missing' in notes and TOKEN not in notes
    assert not (tmp_path / 'm.bin').exists()
