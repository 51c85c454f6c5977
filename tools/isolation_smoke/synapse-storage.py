"""Smoke for synapse-storage installed alone: local storage round trip and a helpful ImportError for S3."""

import tempfile
from pathlib import Path

from synapse_sdk.utils.file import calculate_checksum
from synapse_sdk.utils.storage import get_storage

work = Path(tempfile.mkdtemp())
source = work / 'hello.txt'
source.write_text('hello storage\n')
storage = get_storage({'provider': 'local', 'configuration': {'location': str(work / 'root')}})
storage.upload(source, 'uploads/hello.txt')
assert storage.exists('uploads/hello.txt')
storage.download('uploads/hello.txt', work / 'back.txt')
assert calculate_checksum(work / 'back.txt') == calculate_checksum(source)

s3 = {'provider': 's3', 'configuration': {'bucket_name': 'b', 'access_key': 'k', 'secret_key': 's'}}
try:
    get_storage(s3).exists('x')
except ImportError as exc:
    assert 'synapse-storage[s3]' in str(exc) or 'synapse-sdk[s3]' in str(exc), str(exc)
else:
    raise AssertionError('S3 worked without boto3 installed')
print('synapse-storage smoke: ok')
