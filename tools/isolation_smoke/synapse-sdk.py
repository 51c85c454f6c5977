"""Smoke for the synapse-sdk meta-package: everything but Ray, driven through the ``synapse`` command.

Scaffolds a neural_net plugin, validates and runs its actions, previews a publish (which must change no file) and converts a
one-image DM v2 dataset to YOLO.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from synapse_sdk.version import installed_distributions

SYNAPSE = str(Path(sys.executable).parent / 'synapse')
work = Path(tempfile.mkdtemp(prefix='synapse-sdk-smoke-'))
atexit.register(shutil.rmtree, work, True)
(work / 'tmp').mkdir()
env = {k: v for k, v in os.environ.items() if not k.startswith('SYNAPSE_')}
env.update(
    HOME=str(work / 'home'), SYNAPSE_CONFIG_PATH=str(work / 'home' / 'config.json'), TMPDIR=str(work / 'tmp')
)


def synapse(*args: str, cwd: Path = work, expect: int = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([SYNAPSE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != expect:
        raise SystemExit(
            f'synapse {" ".join(args)} exited {proc.returncode} (expected {expect}):\n{proc.stdout}\n{proc.stderr}'
        )
    return proc


installed = installed_distributions()
version = synapse('--version').stdout
for name in (
    'synapse-sdk',
    'synapse-core',
    'synapse-cli',
    'synapse-clients',
    'synapse-storage',
    'synapse-converters',
):
    assert name in installed and f'{name} ' in version, (name, version)

synapse('plugin', 'create', '--name', 'Smoke Trainer', '-c', 'neural_net', '--yes')
plugin = work / 'smoke-trainer'
synapse('plugin', 'validate', cwd=plugin)
trained = synapse('plugin', 'run', 'train', '--params', '{"epochs": 2}', '--json', cwd=plugin)
assert json.loads(trained.stdout)['result']['steps_executed'] == ['train'], (
    trained.stdout
)  # no backend: no upload
inferred = synapse('plugin', 'run', 'inference', '--json', cwd=plugin)
assert json.loads(inferred.stdout)['result']['count'] == 2, inferred.stdout

before = {p: p.read_bytes() for p in plugin.rglob('*') if p.is_file()}
dry = synapse('plugin', 'publish', '--dry-run', '--json', cwd=plugin)
assert json.loads(dry.stdout)['dry_run'] is True
assert {p: p.read_bytes() for p in plugin.rglob('*') if p.is_file()} == before, (
    'publish --dry-run changed files'
)

from synapse_sdk.utils.converters.png import encode_png  # noqa: E402

dm = work / 'dm'
(dm / 'json').mkdir(parents=True)
(dm / 'original_files').mkdir()
(dm / 'original_files' / 'a.png').write_bytes(encode_png(32, 16, bytes(32 * 16 * 3), mode='RGB'))
doc = {
    'images': [
        {'bounding_box': [{'id': 'bb01AbCdEf', 'classification': 'car', 'attrs': [], 'data': [1, 1, 8, 8]}]}
    ]
}
(dm / 'json' / 'a.json').write_text(json.dumps(doc), encoding='utf-8')
converted = synapse('convert', 'dm_v2', 'yolo', str(dm), str(work / 'yolo'), '--json')
assert json.loads(converted.stdout)['items'] == 1, converted.stdout
print('synapse-sdk smoke: ok')
