"""The Ray executors' own errors pickle round trip, and a worker exception the caller cannot rebuild
arrives as a `RemoteActionError` with the worker's facts (pure logic: no cluster needed)."""

from __future__ import annotations

import pickle

import pytest

from synapse_sdk.plugins.errors import CapturedError, ParamsValidationError
from synapse_sdk.plugins.executors.ray.errors import (
    ActorDiedError,
    JobFailedError,
    JobPendingTimeoutError,
    JobStoppedError,
    RayExecutorError,
    RemoteActionError,
    WorkingDirTooLargeError,
)
from synapse_sdk.plugins.executors.ray.remote_errors import capture_exception, restore_exception

SAMPLES = [
    RayExecutorError('no cluster'),
    ActorDiedError('actor died'),
    RemoteActionError('pkg.Boom', 'bad', 'Traceback...\npkg.Boom: bad\n'),
    JobFailedError('raysubmit_1', 'FAILED', 'boom', error_type='ValueError', remote_traceback='Traceback x'),
    JobStoppedError('raysubmit_2', 'STOPPED', 'stopped', logs_tail='last line'),
    JobPendingTimeoutError('raysubmit_3', 30.0, ['no GPU in the cluster']),
    WorkingDirTooLargeError('/plugin', 300 * 2**20, 100 * 2**20, [('data/big.bin', 290 * 2**20)]),
]


@pytest.mark.parametrize('exc', SAMPLES, ids=lambda e: type(e).__name__)
def test_ray_errors_round_trip(exc):
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc) and str(back) == str(exc)
    assert vars(back) == vars(exc)
    assert getattr(back, '__notes__', None) == getattr(exc, '__notes__', None)


def test_remote_action_error_is_a_captured_error_with_the_old_names():
    err = RemoteActionError('pkg.Boom', 'bad', 'tb text')
    assert isinstance(err, CapturedError) and str(err) == 'pkg.Boom: bad'
    assert (err.type_name, err.remote_message, err.remote_traceback) == ('pkg.Boom', 'bad', 'tb text')


def test_sdk_error_comes_back_as_itself_with_the_worker_traceback():
    try:
        raise ParamsValidationError('add', [{'loc': 'a', 'msg': 'not a number', 'type': 'int_parsing'}])
    except ParamsValidationError as exc:
        payload = capture_exception(exc)
    back = restore_exception(payload)
    assert type(back) is ParamsValidationError and back.errors[0]['loc'] == 'a'
    assert back.__notes__[0].startswith('Traceback on the Ray worker:\nTraceback (most recent call last):')


def test_exception_the_caller_cannot_unpickle_becomes_remote_action_error():
    try:
        raise KeyError('worker-side')
    except KeyError as exc:
        payload = capture_exception(exc)
    payload['pickled'] = payload['pickled'].replace(b'KeyError', b'KeyErrox')  # a class this side lacks
    back = restore_exception(payload)
    assert isinstance(back, RemoteActionError)
    assert (back.type_name, back.message) == ('builtins.KeyError', "'worker-side'")
    assert "KeyError: 'worker-side'" in back.remote_traceback and back.__notes__
