"""Smoke for synapse-cli installed alone (with synapse-core, synapse-clients and synapse-testing only).

Runs the installed ``synapse`` console script: --version, --help, ``plugin run`` / ``validate`` of a tiny
plugin written here, and checks that commands needing an absent distribution say what to install.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

SYNAPSE = str(Path(sys.executable).parent / 'synapse')
work = Path(tempfile.mkdtemp(prefix='synapse-cli-smoke-'))
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


version = synapse('--version').stdout
assert 'synapse-cli' in version and 'synapse-core' in version and 'synapse-clients' in version, version
assert 'synapse-storage' not in version, version
assert 'plugin' in synapse('--help').stdout

plugin = work / 'hello'
plugin.mkdir()
(plugin / 'hello_actions.py').write_text(
    textwrap.dedent(
        """
        from pydantic import BaseModel
        from synapse_sdk.plugins import action

        class Params(BaseModel):
            name: str

        @action(name='greet', params=Params)
        def greet(params, ctx):
            for i in range(3):
                ctx.set_progress(i + 1, 3, 'greet')
            ctx.log_message({'en': f'Hello {params.name}!', 'ko': f'안녕하세요 {params.name}님!'}, 'info')
            return {'message': f'Hello {params.name}!'}
        """
    ),
    encoding='utf-8',
)
(plugin / 'config.yaml').write_text(
    'name: Hello\ncode: hello\nactions:\n  greet:\n    entrypoint: hello_actions:greet\n', encoding='utf-8'
)

ran = synapse('plugin', 'run', 'greet', '--params', '{"name": "Ada"}', '--json', cwd=plugin)
assert json.loads(ran.stdout)['result'] == {'message': 'Hello Ada!'}, ran.stdout
korean = synapse('plugin', 'run', 'greet', '-l', 'ko', '--params', '{"name": "Ada"}', cwd=plugin)
assert '안녕하세요 Ada님!' in korean.stderr, korean.stderr
bad = synapse('plugin', 'run', 'greet', '--params', '{}', cwd=plugin, expect=2)
assert 'name: Field required' in bad.stderr and 'Traceback' not in bad.stderr, bad.stderr
assert 'is valid' in synapse('plugin', 'validate', '--path', str(plugin)).stdout

created = synapse('plugin', 'create', '--code', 'smoke-train', '-c', 'neural_net', '--yes')
synapse('plugin', 'validate', cwd=work / 'smoke-train')
trained = synapse('plugin', 'run', 'train', '--json', cwd=work / 'smoke-train')
assert json.loads(trained.stdout)['ok'] is True

# The templates ship in the wheel (sample data and images included), and an export scaffold's printed
# commands run as printed on the fake backend (all but pytest, which this venv does not have).
created = json.loads(
    synapse('plugin', 'create', '--code', 'smoke-export', '-c', 'export', '--yes', '--json').stdout
)
assert created['next'][-1] == 'pytest' and 'samples/backend.json' in created['files'], created
for step in created['next'][1:-1]:
    followed = synapse(*step.split()[1:], cwd=work / 'smoke-export')
records = (work / 'smoke-export' / 'outputs' / 'export' / 'records.jsonl').read_text(encoding='utf-8')
assert [json.loads(line)['id'] for line in records.splitlines()] == [1, 2, 3], records
upload = json.loads(
    synapse('plugin', 'create', '--code', 'smoke-upload', '-c', 'upload', '--yes', '--json').stdout
)
assert (work / 'smoke-upload' / 'samples' / 'upload' / 'red.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

missing = synapse('convert', 'dm_v2', 'yolo', str(plugin), str(work / 'out'), expect=3)
assert 'pip install synapse-converters' in missing.stderr, missing.stderr
missing = synapse(
    'plugin', 'run', 'greet', '--mode', 'task', '--params', '{"name": "Ada"}', cwd=plugin, expect=3
)
assert 'pip install synapse-executors-ray' in missing.stderr, missing.stderr
missing = synapse('plugin', 'publish', '--dry-run', cwd=plugin, expect=3)
assert 'pip install synapse-storage' in missing.stderr, missing.stderr
doctor = synapse('doctor', '--offline', '--json')
checks = {c['name']: c['status'] for c in json.loads(doctor.stdout)['checks']}
assert checks['synapse-cli'] == 'ok' and checks['synapse-storage'] == 'warn', checks
print('synapse-cli smoke: ok')
