"""v1 plugin releases: ``/plugin_releases/`` (by id or ``code@version``) list, detail and create."""

from __future__ import annotations

import uuid
from typing import Any

from synapse_sdk.clients.testing._routes.v1._common import field_errors, listing, public
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    def release_by_lookup(lookup: str) -> dict[str, Any]:
        for release in state.plugin_releases.values():
            code = release.get('plugin')
            if str(release['id']) == lookup or f'{code}@{release.get("version")}' == lookup:
                return release
        raise HTTPFailure(404, {'detail': 'Not found.'})

    def get_release(r: Request) -> Any:
        release = public(release_by_lookup(r.params['id']))
        if r.q('expand') == 'plugin':
            plugin = next((p for p in state.plugins.values() if p.get('code') == release.get('plugin')), None)
            release['plugin'] = public(plugin) if plugin else {'code': release.get('plugin')}
        return release

    router.add('GET', '/plugin_releases/{id}/', get_release)
    listing(router, state, '/plugin_releases/', 'plugin_releases')

    def create_release(r: Request) -> Any:
        body = r.data()
        _, files = r.form()
        if not body.get('plugin') or not body.get('version'):
            raise field_errors({'plugin' if not body.get('plugin') else 'version': 'This field is required.'})
        for release in state.plugin_releases.values():
            if release.get('plugin') == body['plugin'] and release.get('version') == body['version']:
                raise field_errors({'version': f'release {body["plugin"]}@{body["version"]} already exists'})
        if isinstance(body.get('debug'), str):
            body['debug'] = body['debug'] == 'true'
        if 'file' in files:
            name, content = files['file']
            body['file'] = f'{r.base_url}/media/plugin_releases/{uuid.uuid4().hex}/{name}'
            body['_archive'] = content
        return Response(201, public(state.add('plugin_releases', **body)))

    router.add('POST', '/plugin_releases/', create_release)
