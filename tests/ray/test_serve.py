"""One real Ray Serve deployment of a sample action (HTTP and handle), on the in-process cluster."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from synapse_sdk.plugins.executors.local import LocalExecutor

pytestmark = pytest.mark.integration


def _post(url: str, body: object) -> tuple[int, object]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_served_action_answers_like_local_mode(ray_cluster, sample_plugin_dir):
    pytest.importorskip('ray.serve')
    from ray import serve

    from synapse_sdk.plugins.executors.ray.serve import delete_deployment, deploy_action

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    try:
        app = deploy_action(
            'ray_sample_actions:add', name='add', working_dir=sample_plugin_dir, num_cpus=0.25, http_port=port
        )
        expected = LocalExecutor(console=False).execute('ray_sample_actions:add', {'a': 5, 'b': 6})
        assert _post(app.url, {'a': 5, 'b': 6}) == (200, expected)
        status, body = _post(app.url, {'a': 'five'})
        assert status == 422
        assert body['errors'][0]['loc'] == 'a'
        assert app.handle.remote({'a': 1}).result(timeout_s=60) == {'total': 1, 'path': '/out/1'}
        delete_deployment('add')
    finally:
        serve.shutdown()
