"""v2 data units: ``/v2/data-units/`` list, detail, bulk create (deduplicated by file checksums), delete."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import (
    detail,
    envelope,
    get_row,
    listing,
    require,
    v2_error,
)
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def unit_list(u: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': u['id'],
        'data_collection_id': u['data_collection'],
        'checksum': u['checksum'],
        'created': u['created'],
    }


def unit_detail(u: dict[str, Any]) -> dict[str, Any]:
    return {**unit_list(u), 'group_id': None, 'meta': u.get('meta', {})}


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/v2/data-units/', 'data_units', unit_list)
    detail(router, state, '/v2/data-units/{id}/', 'data_units', unit_detail)

    def bulk_create_units(r: Request) -> Response:
        body = require(r, r.json(), ('data_collection', 'units'))
        collection = get_row(state, 'data_collections', body['data_collection'], r)
        known = {f['checksum'] for f in state.data_files.values()}
        results, created_count = [], 0
        for index, unit in enumerate(body['units']):
            files = unit.get('files') if isinstance(unit, dict) else None
            if not isinstance(files, dict) or not files:
                raise v2_error(
                    r,
                    400,
                    'VALIDATION_ERROR',
                    'Invalid input.',
                    [{'field': f'units.{index}.files', 'message': 'at least one file is required'}],
                )
            missing = [spec for spec, f in files.items() if f.get('checksum') not in known]
            if missing:
                raise v2_error(
                    r,
                    400,
                    'VALIDATION_ERROR',
                    'Unknown file checksum.',
                    [
                        {'field': f'units.{index}.files.{spec}', 'message': 'no data file with this checksum'}
                        for spec in missing
                    ],
                )
            digest = hashlib.sha1(
                json.dumps(sorted((k, v['checksum']) for k, v in files.items())).encode(),
                usedforsecurity=False,
            ).hexdigest()
            existing = next(
                (
                    u
                    for u in state.data_units.values()
                    if u['data_collection'] == collection['id'] and u['checksum'] == digest
                ),
                None,
            )
            if existing is None and r.q('dry_run') != 'true':
                existing = state.add(
                    'data_units',
                    data_collection=collection['id'],
                    files=files,
                    checksum=digest,
                    meta=unit.get('meta') or {},
                    groups=unit.get('groups') or [],
                )
                created_count += 1
                results.append({'data_unit_id': existing['id'], 'checksum': digest, 'created': True})
            else:
                results.append(
                    {
                        'data_unit_id': existing['id'] if existing else None,
                        'checksum': digest,
                        'created': False,
                    }
                )
        state.touch()
        return envelope(
            r,
            {
                'results': results,
                'created_count': created_count,
                'reused_count': len(results) - created_count,
            },
            status=201,
        )

    router.add('POST', '/v2/data-units/bulk-create/', bulk_create_units)

    def delete_unit(r: Request) -> Response:
        unit = get_row(state, 'data_units', r.params['id'], r)
        with state.lock:
            del state.data_units[unit['id']]
        state.touch()
        return Response(204)

    router.add('DELETE', '/v2/data-units/{id}/', delete_unit)
