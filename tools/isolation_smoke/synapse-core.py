"""Smoke for synapse-core installed alone: define, discover and run a function and a class action.

Credentials are set in the environment, as on a platform run: without synapse-clients the action must
still run, with ``ctx.client``, ``ctx.v2_client`` and ``ctx.agent_client`` None.
"""

import os
import sys
import tempfile
import textwrap
from pathlib import Path

plugin_dir = Path(tempfile.mkdtemp()) / 'smoke_plugin'
(plugin_dir / 'smoke').mkdir(parents=True)
(plugin_dir / 'smoke' / '__init__.py').write_text('')
(plugin_dir / 'smoke' / 'actions.py').write_text(
    textwrap.dedent(
        """
        from pydantic import BaseModel
        from synapse_sdk.plugins import BaseAction, action


        class Params(BaseModel):
            n: int = 3


        @action(name='total', params=Params)
        def total(params, ctx):
            for i in range(params.n):
                ctx.set_progress(i + 1, params.n, step='sum')
            return {'total': sum(range(params.n + 1))}


        @action(name='wiring')
        def wiring(params, ctx):
            return {'clients': [ctx.client, ctx.v2_client, ctx.agent_client]}


        class Double(BaseAction[Params]):
            action_name = 'double'

            def execute(self):
                self.set_metrics({'n': self.params.n}, step='double')
                return {'double': self.params.n * 2}
        """
    )
)
(plugin_dir / 'config.yaml').write_text(
    textwrap.dedent(
        """
        name: Smoke
        code: smoke
        version: 0.1.0
        category: custom
        actions:
          total: {entrypoint: 'smoke.actions:total', method: task}
          double: {entrypoint: smoke.actions.Double, method: task}
          wiring: {entrypoint: 'smoke.actions:wiring', method: task}
        """
    )
)

from synapse_sdk.plugins.discovery import PluginDiscovery  # noqa: E402
from synapse_sdk.plugins.errors import ParamsValidationError  # noqa: E402
from synapse_sdk.plugins.executors.local import LocalExecutor  # noqa: E402
from synapse_sdk.plugins.runner import run_plugin  # noqa: E402

os.environ.update(
    SYNAPSE_HOST='http://127.0.0.1:9',
    SYNAPSE_ACCESS_TOKEN='smoke-token',
    SYNAPSE_AGENT_URL='http://127.0.0.1:9',
    SYNAPSE_AGENT_TOKEN='smoke-agent-token',
)
try:
    import synapse_sdk.utils.auth  # noqa: F401
except ImportError:
    pass
else:
    raise AssertionError('synapse-clients is importable: this smoke must run with synapse-core alone')
assert sorted(PluginDiscovery.from_path(plugin_dir).list_actions()) == ['double', 'total', 'wiring']
assert run_plugin(str(plugin_dir), 'wiring', {}) == {'clients': [None, None, None]}
assert run_plugin(str(plugin_dir), 'total', {'n': 4}) == {'total': 10}
assert run_plugin(str(plugin_dir), 'double', {'n': 4}) == {'double': 8}
assert LocalExecutor(console=False).execute('smoke.actions:total', {'n': 2}) == {'total': 3}
try:
    run_plugin(str(plugin_dir), 'total', {'n': 'many'})
except ParamsValidationError as exc:
    assert 'n' in str(exc)
else:
    raise AssertionError('invalid params were accepted')
for mode in ('task', 'job'):  # registered by synapse-executors-ray, which is not installed here
    try:
        run_plugin(str(plugin_dir), 'total', {'n': 1}, mode=mode)
    except ImportError as exc:
        assert 'needs the synapse-executors-ray distribution, which is not installed' in str(exc), exc
        assert 'pip install synapse-executors-ray' in str(exc), exc
    else:
        raise AssertionError(f'mode {mode!r} ran without synapse-executors-ray')
heavy = sorted(m for m in ('ray', 'requests', 'numpy', 'boto3', 'click') if m in sys.modules)
assert not heavy, f'synapse-core loaded {heavy}'
print('synapse-core smoke: ok')
