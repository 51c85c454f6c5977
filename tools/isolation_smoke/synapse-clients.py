"""Smoke for synapse-clients installed alone: both clients, built from the env, against a small stdlib server.

The fake backend is in synapse-testing (not installed here), so this answers the two routes it needs itself.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = 'smoke-token'
TASKS = [
    {
        'id': i,
        'project_id': 7,
        'data_unit_id': i,
        'is_discarded': False,
        'has_data': True,
        'created': '2026-01-01T00:00:00Z',
    }
    for i in (1, 2, 3)
]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        # v1 sends 'Synapse-Access-Token: Token <t>', v2 'SYNAPSE-ACCESS-TOKEN: <t>' (header names ignore case)
        if TOKEN not in (self.headers.get('Synapse-Access-Token') or ''):
            return self._send(401, {'detail': 'no token'})
        if self.path == '/projects/7/':
            return self._send(200, {'id': 7, 'title': 'Smoke'})
        if self.path.startswith('/v2/tasks/'):
            meta = {'request_id': 'req-1', 'pagination': {'next_cursor': None, 'previous_cursor': None}}
            return self._send(200, {'data': TASKS, 'meta': meta})
        return self._send(404, {'detail': 'not found'})

    def _send(self, status, body):
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
try:
    os.environ.update(SYNAPSE_HOST=f'http://127.0.0.1:{server.server_port}', SYNAPSE_ACCESS_TOKEN=TOKEN)
    from synapse_sdk.utils.auth import create_backend_client, create_backend_v2_client

    v1 = create_backend_client()
    v2 = create_backend_v2_client()
    assert v1 is not None and v2 is not None
    assert v1.get_project(7)['id'] == 7
    tasks = list(v2.tasks.list(project=7, list_all=True))
    assert [t.id for t in tasks] == [1, 2, 3], tasks
    try:
        import synapse_sdk.clients.testing  # noqa: F401
    except ImportError:
        pass
    else:
        raise AssertionError('synapse-clients alone must not ship the fake backend (synapse-testing does)')
finally:
    server.shutdown()
print('synapse-clients smoke: ok')
