"""The storage examples of seed 002, run as written with the configurations pointed at the test servers."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


class TokenHandler(http.server.BaseHTTPRequestHandler):
    """A loopback OAuth token endpoint, so a real service-account JSON file can be used with the emulator."""

    requests_seen: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get('Content-Length', '0'))).decode()
        TokenHandler.requests_seen.append(body)
        payload = json.dumps(
            {'access_token': 'test-token', 'expires_in': 3600, 'token_type': 'Bearer'}
        ).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture(scope='module')
def token_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), TokenHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}/token'
    server.shutdown()
    server.server_close()


def service_account_file(path: Path, token_uri: str) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        'type': 'service_account',
        'project_id': 'test',
        'private_key_id': 'k1',
        'private_key': pem,
        'client_email': 'plugin@test.iam.gserviceaccount.com',
        'client_id': '1',
        'token_uri': token_uri,
    }
    path.write_text(json.dumps(info))
    return path


@pytest.fixture(params=['local', 's3', 'gcs', 'sftp', 'http'])
def seed_config(
    request: pytest.FixtureRequest, provider_factory: Any, tmp_path: Path, token_url: str
) -> dict[str, Any]:
    """The seed's configuration for each provider, with the same keys, aimed at the test servers."""
    case = provider_factory(request.param)
    configuration = dict(case.config['configuration'])
    if request.param == 'gcs':
        # Seed keys: bucket_name + credentials (a service-account file); endpoint_url aims at the emulator.
        configuration['credentials'] = str(service_account_file(tmp_path / 'service-account.json', token_url))
        configuration.pop('project')
    return {'provider': request.param, 'configuration': configuration}


def test_seed_basic_usage(
    seed_config: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path('/tmp/synapse-seed-file.txt').write_text('seed example\n')
    config = seed_config
    # --- seed 002, "Basic usage" (the local location and the file name are the only changes) ---
    from synapse_sdk.utils.storage import (
        get_path_file_count,
        get_path_total_size,
        get_pathlib,
        get_storage,
    )

    # Get storage instance
    storage = get_storage(config)

    # Upload a file
    url = storage.upload(Path('/tmp/synapse-seed-file.txt'), 'uploads/file.txt')

    # Check existence
    exists = storage.exists('uploads/file.txt')

    # Get pathlib object for path operations
    path = get_pathlib(config, '/uploads')
    for file in path.rglob('*.txt'):
        print(file)

    # Get file count and total size
    count = get_path_file_count(config, '/uploads')
    size = get_path_total_size(config, '/uploads')
    # --- end of seed example ---
    assert url == storage.get_url('uploads/file.txt')
    assert exists is True
    assert capsys.readouterr().out.strip().endswith('uploads/file.txt')
    assert count == 1
    assert size == len('seed example\n')
    if config['provider'] == 'gcs':
        assert TokenHandler.requests_seen  # the service-account file was really used to get a token


def test_seed_provider_configurations_are_accepted(tmp_path: Path) -> None:
    """Every configuration block of the seed builds its provider (no server needed until first use)."""
    from synapse_sdk.utils.storage import (
        GCSStorage,
        HTTPStorage,
        LocalStorage,
        S3Storage,
        SFTPStorage,
        get_storage,
    )

    blocks = [
        ({'provider': 'local', 'configuration': {'location': '/data'}}, LocalStorage),
        (
            {
                'provider': 's3',
                'configuration': {
                    'bucket_name': 'my-bucket',
                    'access_key': 'AKIAIOSFODNN7EXAMPLE',
                    'secret_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
                    'region_name': 'us-east-1',
                    'endpoint_url': 'http://minio:9000',  # optional, for MinIO
                },
            },
            S3Storage,
        ),
        (
            {
                'provider': 'gcs',
                'configuration': {'bucket_name': 'my-bucket', 'credentials': '/path/to/service-account.json'},
            },
            GCSStorage,
        ),
        (
            {
                'provider': 'sftp',
                'configuration': {
                    'host': 'sftp.example.com',
                    'username': 'user',
                    'password': 'secret',  # or 'private_key': '/path/to/id_rsa'
                    'root_path': '/data',
                },
            },
            SFTPStorage,
        ),
        (
            {
                'provider': 'http',
                'configuration': {'base_url': 'https://files.example.com/uploads/', 'timeout': 60},
            },
            HTTPStorage,
        ),
    ]
    for config, cls in blocks:
        assert type(get_storage(config)) is cls


def test_v1_names_still_import() -> None:
    from synapse_sdk.utils.storage import FileSystemStorage, GCPStorage, GCSStorage, LocalStorage

    assert FileSystemStorage is LocalStorage
    assert GCPStorage is GCSStorage
