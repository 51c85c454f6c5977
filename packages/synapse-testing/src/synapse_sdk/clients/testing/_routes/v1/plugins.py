"""v1 plugins: ``/plugins/`` (by id or code) list, detail, create, update and run."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._routes.v1._common import listing, public
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/plugins/', 'plugins')

    def plugin_by_key(key: str) -> dict[str, Any]:
        for plugin in state.plugins.values():
            if str(plugin['id']) == key or plugin.get('code') == key:
                return plugin
        raise HTTPFailure(404, {'detail': 'Not found.'})

    router.add('GET', '/plugins/{id}/', lambda r: public(plugin_by_key(r.params['id'])))
    router.add('POST', '/plugins/', lambda r: Response(201, public(state.add('plugins', **r.data()))))

    def update_plugin(r: Request) -> Any:
        plugin = plugin_by_key(r.params['id'])
        with state.lock:
            plugin.update(r.data())
        return public(plugin)

    router.add('PUT', '/plugins/{id}/', update_plugin)

    def run_plugin(r: Request) -> Any:
        plugin = plugin_by_key(r.params['id'])
        body = r.json() or {}
        job = state.add_job(
            action=body.get('action') or 'run',
            params=body.get('params') or {},
            plugin=plugin['code'],
            meta={
                'agent': body.get('agent'),
                'version': body.get('version'),
                'language': body.get('language'),
            },
        )
        return Response(201, public(job))

    router.add('POST', '/plugins/{id}/run/', run_plugin)
