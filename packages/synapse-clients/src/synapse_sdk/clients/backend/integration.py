"""Plugins, plugin releases, storages and agents (v1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import quote

from synapse_sdk.clients.backend._models import PluginReleaseCreateRequest, PluginRunRequest, validate_request
from synapse_sdk.clients.backend._pagination import AllRows, DRFPage, list_pages
from synapse_sdk.clients.backend._transport import MixinBase
from synapse_sdk.clients.exceptions import NotFoundError

Params = Mapping[str, Any] | None
_AGENT_TOKEN_RE = re.compile(r'agents/([0-9a-f]{40})/node_install_script')


class IntegrationMixin(MixinBase):
    # -- plugins ---------------------------------------------------------------------------
    @overload
    def list_plugins(self, params: Params = None, *, list_all: Literal[False] = False) -> DRFPage: ...
    @overload
    def list_plugins(self, params: Params = None, *, list_all: Literal[True]) -> AllRows: ...
    @overload
    def list_plugins(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows: ...
    def list_plugins(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows:
        return list_pages(self, 'plugins/', params, list_all=list_all)

    def get_plugin(self, plugin_id: int | str) -> dict[str, Any]:
        return self._get(f'plugins/{plugin_id}/')

    def create_plugin(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return self._post('plugins/', dict(data))

    def update_plugin(self, plugin_id: int | str, data: Mapping[str, Any]) -> dict[str, Any]:
        return self._put(f'plugins/{plugin_id}/', dict(data))

    def run_plugin(self, plugin: int | str, data: Mapping[str, Any]) -> Any:
        """POST ``plugins/{id_or_code}/run/`` (``action``, ``params``, ``agent``, ``version``, ``language``...)."""
        return self._post(
            f'plugins/{plugin}/run/', validate_request(PluginRunRequest, data, what='plugin run')
        )

    def list_plugin_releases(
        self, plugin_code: str | None = None, *, params: Params = None
    ) -> list[dict[str, Any]]:
        query = dict(params or {})
        if plugin_code:
            query['plugin'] = plugin_code
        page = self._get('plugin_releases/', params=query)
        return page.get('results', []) if isinstance(page, dict) else list(page or [])

    def get_plugin_release(self, release_id: int | str, *, params: Params = None) -> dict[str, Any]:
        """A release by primary key or by ``code@version`` lookup (the nested plugin expanded)."""
        lookup = quote(str(release_id), safe='@')
        query = {'expand': 'plugin', **(params or {})}
        return self._get(f'plugin_releases/{lookup}/', params=query)

    def create_plugin_release(
        self, data: Mapping[str, Any], *, file: str | Path | None = None
    ) -> dict[str, Any]:
        """Publish a release; ``file`` (the plugin archive) is sent as multipart with the fields."""
        payload = validate_request(PluginReleaseCreateRequest, data, what='plugin release')
        if file is None:
            return self._post('plugin_releases/', payload)
        import json

        form = {
            k: (
                json.dumps(v)
                if isinstance(v, dict | list)
                else str(v).lower()
                if isinstance(v, bool)
                else str(v)
            )
            for k, v in payload.items()
        }
        path = Path(file)
        with path.open('rb') as fh:
            return self._post('plugin_releases/', None, data=form, files={'file': (path.name, fh)})

    # -- storages --------------------------------------------------------------------------
    def get_storage(self, storage_id: int) -> dict[str, Any]:
        """The storage with its provider ``configuration`` (credentials: keep out of logs)."""
        return self._get(f'storages/{int(storage_id)}/', params={'with_configuration': 'true'})

    def list_storages(self, params: Params = None) -> list[dict[str, Any]]:
        page = self._get('storages/', params=params)
        return page.get('results', []) if isinstance(page, dict) else list(page or [])

    def get_default_storage(self) -> dict[str, Any]:
        """The internal storage marked ``is_default`` (else the first internal one)."""
        storages = self.list_storages({'category': 'internal'})
        if not storages:
            raise NotFoundError(
                'no internal storage is configured on the backend', url=f'{self.base_url}/storages/'
            )
        return next((s for s in storages if s.get('is_default')), storages[0])

    # -- agents ----------------------------------------------------------------------------
    def list_agents(self, params: Params = None) -> list[dict[str, Any]]:
        """Agents, each with ``token`` filled in from ``node_install_script`` when the server omits it."""
        page = self._get('agents/', params=params)
        agents = page.get('results', []) if isinstance(page, dict) else list(page or [])
        for agent in agents:
            if not agent.get('token') and isinstance(agent.get('node_install_script'), str):
                match = _AGENT_TOKEN_RE.search(agent['node_install_script'])
                if match:
                    agent['token'] = match.group(1)
        return agents

    def health_check_agent(self, agent_token: str) -> Any:
        return self._post(f'agents/{agent_token}/connect/')
