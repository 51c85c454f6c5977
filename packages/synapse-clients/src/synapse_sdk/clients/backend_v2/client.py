"""``BackendV2Client``: the ``/v2/`` API with envelopes, cursor pages and typed models."""

from __future__ import annotations

import ipaddress
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property, lru_cache
from typing import Any, TypeVar, overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from synapse_sdk.clients._base import BaseClient
from synapse_sdk.clients._http import RetryPolicy, Timeout, parse_body
from synapse_sdk.clients.backend_v2 import resources as r
from synapse_sdk.clients.backend_v2.models import LoginResponse
from synapse_sdk.clients.backend_v2.pagination import CursorPage
from synapse_sdk.clients.backend_v2.request_ids import RequestIdTracker
from synapse_sdk.clients.exceptions import ResponseValidationError

M = TypeVar('M', bound=BaseModel)
T = TypeVar('T')

ACCESS_TOKEN_HEADER = 'SYNAPSE-ACCESS-TOKEN'
DRF_TOKEN_HEADER = 'Authorization'
TENANT_HEADER = 'SYNAPSE-Tenant'


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ''
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=64)
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    """One validator per model for whole pages: much cheaper than validating item by item."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]  # a list type built from a model known only at run time


def build_v2_headers(
    *,
    access_token: str | None = None,
    drf_token: str | None = None,
    tenant: str | None = None,
    tenant_token_prefix: bool = False,
) -> dict[str, str]:
    """The auth headers of the v2 API; unset values are left out."""
    headers = {}
    if access_token:
        headers[ACCESS_TOKEN_HEADER] = access_token
    if drf_token:
        headers[DRF_TOKEN_HEADER] = f'Token {drf_token}'
    if tenant:
        headers[TENANT_HEADER] = f'Token {tenant}' if tenant_token_prefix else tenant
    return headers


class BackendV2Client(BaseClient):
    """Client for the ``/v2/`` API.

    ``access_token`` is sent raw as ``SYNAPSE-ACCESS-TOKEN`` (``syn_...``), ``drf_token`` as
    ``Authorization: Token <drf>`` (both may be set), ``tenant`` as ``SYNAPSE-Tenant: <code>`` or, with
    ``tenant_token_prefix=True``, ``Token <code>``. Timeouts default to connect 5 s / read 30 s
    (``SYNAPSE_BACKEND_V2_TIMEOUT_CONNECT`` / ``_READ``). Plain ``http://`` to a non-loopback host
    warns unless ``allow_insecure=True``.

    Resources are attributes: ``users``, ``tenants``, ``tokens``, ``projects``, ``tasks``,
    ``assignments``, ``ground_truths``, ``ground_truth_events``, ``data_collections``, ``data_units``,
    ``plugin_exports``, ``async_jobs``.
    """

    name = 'backend_v2'

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        drf_token: str | None = None,
        tenant: str | None = None,
        tenant_token_prefix: bool = False,
        timeout: Timeout | float | tuple[float, float] | dict[str, float] | None = None,
        retry: RetryPolicy | None = None,
        allow_insecure: bool = False,
        url_host: str | None = None,
    ) -> None:
        insecure = isinstance(base_url, str) and base_url.startswith('http://') and not _is_loopback(base_url)
        if insecure and not allow_insecure:
            warnings.warn(
                f'BackendV2Client is using plain HTTP for {urlsplit(base_url).hostname}; tokens travel '
                'unencrypted (pass allow_insecure=True to silence)',
                stacklevel=2,
            )
        default_timeout = Timeout.from_env('SYNAPSE_BACKEND_V2_TIMEOUT', 5.0, 30.0)
        super().__init__(
            base_url,
            headers=build_v2_headers(
                access_token=access_token,
                drf_token=drf_token,
                tenant=tenant,
                tenant_token_prefix=tenant_token_prefix,
            ),
            timeout=Timeout.coerce(timeout, default_timeout),
            retry=retry,
            default_params={'url_host': url_host} if url_host else None,
            secrets=(access_token, drf_token),
        )
        self.tenant = tenant
        self.tenant_token_prefix = tenant_token_prefix
        self._request_ids = RequestIdTracker()

    # -- credentials -----------------------------------------------------------------------
    def set_access_token(self, token: str | None) -> None:
        self._http.set_header(ACCESS_TOKEN_HEADER, token)

    def set_drf_token(self, token: str | None) -> None:
        self._http.set_header(DRF_TOKEN_HEADER, f'Token {token}' if token else None)

    def login(self, *, email: str, password: str, set_drf_token: bool = True) -> LoginResponse:
        """POST ``/users/login/``; the returned DRF token is used for later requests by default."""
        body = self._unwrap(
            self._http.request('POST', '/users/login/', json={'email': email, 'password': password})
        )
        result = self.validate(LoginResponse, body)
        if set_drf_token:
            self.set_drf_token(result.token.get_secret_value())
        return result

    # -- request ids -----------------------------------------------------------------------
    @property
    def last_request_id(self) -> str | None:
        """``meta.request_id`` of the latest successful enveloped response in this thread / task."""
        return self._request_ids.last

    @contextmanager
    def capture_request_ids(self) -> Iterator[list[str]]:
        """Collect the request ids of the calls made inside the block (see ``RequestIdTracker.capture``)."""
        with self._request_ids.capture() as ids:
            yield ids

    # -- plumbing used by resources --------------------------------------------------------
    def _unwrap(self, response: Any) -> Any:
        payload = parse_body(response)
        if isinstance(payload, dict) and 'data' in payload and 'meta' in payload:
            meta = payload['meta'] if isinstance(payload['meta'], dict) else {}
            request_id = meta.get('request_id')
            self._request_ids.record(request_id if isinstance(request_id, str) else None)
            data = payload['data']
            if isinstance(data, list):
                pagination = meta.get('pagination') or {}
                return {
                    'results': data,
                    'next': pagination.get('next_cursor'),
                    'previous': pagination.get('previous_cursor'),
                    '_request_id': request_id,
                }
            return data
        return payload

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return the unwrapped ``data`` (list responses as a page dict)."""
        return self._unwrap(self._http.request(method, path, **kwargs))

    @overload
    def validate(self, model: type[M], data: Any) -> M: ...
    @overload
    def validate(self, model: TypeAdapter[T], data: Any) -> T: ...
    def validate(self, model: type[M] | TypeAdapter[T], data: Any) -> M | T:
        """``data`` as ``model`` (a model class or a ``TypeAdapter``); ``ResponseValidationError`` if it does not fit."""
        try:
            if isinstance(model, TypeAdapter):
                return model.validate_python(data)
            return model.model_validate(data)
        except PydanticValidationError as exc:
            problems = '; '.join(
                f'{".".join(str(p) for p in err["loc"]) or "<root>"}: {err["msg"]}'
                for err in exc.errors()[:10]
            )
            raise ResponseValidationError(
                f'response does not match {exc.title}: {problems}',
                status_code=422,
                detail={'model': exc.title, 'errors': exc.errors(include_input=False)},
                request_id=self.last_request_id,
            ) from None

    @overload
    def page(self, path: str, params: Mapping[str, Any] | None, model: type[M]) -> CursorPage[M]: ...
    @overload
    def page(self, path: str, params: Mapping[str, Any] | None, model: None) -> CursorPage[Any]: ...
    @overload
    def page(
        self, path: str, params: Mapping[str, Any] | None, model: type[M] | None
    ) -> CursorPage[M] | CursorPage[Any]: ...
    def page(self, path: str, params: Mapping[str, Any] | None, model: type[M] | None) -> CursorPage[Any]:
        """Fetch one cursor page and bind it to this client so it can follow ``next``."""
        data = self.request('GET', path, params=params)
        if isinstance(data, list):
            data = {'results': data, 'next': None, 'previous': None}
        if not isinstance(data, dict) or 'results' not in data:
            raise ResponseValidationError(
                f'GET {path} did not return a list page',
                status_code=422,
                detail={'type': type(data).__name__},
            )
        results = data.get('results') or []
        if model is not None:
            results = self.validate(_list_adapter(model), results)
        return CursorPage(
            results,
            next=self._cursor_url(path, params, data.get('next')),
            previous=self._cursor_url(path, params, data.get('previous')),
            request_id=data.get('_request_id'),
            fetch=lambda url: self.page(url, None, model),
        )

    def _cursor_url(self, path: str, params: Mapping[str, Any] | None, cursor: Any) -> str | None:
        """The URL of an adjacent page.

        The backend sends a full URL (or an absolute path) that carries the filters. An opaque cursor
        token, as the OpenAPI examples show, is turned into the current request with ``cursor``
        replaced instead of being requested as ``{base}/{token}``.
        """
        if not cursor or not isinstance(cursor, str):
            return None
        if cursor.startswith(('http://', 'https://', '/')):
            return cursor
        parts = urlsplit(self._http.url_for(path))
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != 'cursor']
        query += [(k, str(v)) for k, v in (params or {}).items() if k != 'cursor' and v is not None]
        query.append(('cursor', cursor))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ''))

    # -- resources -------------------------------------------------------------------------
    @cached_property
    def users(self) -> r.UsersResource:
        return r.UsersResource(self)

    @cached_property
    def tenants(self) -> r.TenantsResource:
        return r.TenantsResource(self)

    @cached_property
    def tokens(self) -> r.TokensResource:
        return r.TokensResource(self)

    @cached_property
    def projects(self) -> r.ProjectsResource:
        return r.ProjectsResource(self)

    @cached_property
    def tasks(self) -> r.TasksResource:
        return r.TasksResource(self)

    @cached_property
    def assignments(self) -> r.AssignmentsResource:
        return r.AssignmentsResource(self)

    @cached_property
    def ground_truths(self) -> r.GroundTruthsResource:
        return r.GroundTruthsResource(self)

    @cached_property
    def ground_truth_events(self) -> r.GroundTruthEventsResource:
        return r.GroundTruthEventsResource(self)

    @cached_property
    def data_collections(self) -> r.DataCollectionsResource:
        return r.DataCollectionsResource(self)

    @cached_property
    def data_units(self) -> r.DataUnitsResource:
        return r.DataUnitsResource(self)

    @cached_property
    def plugin_exports(self) -> r.PluginExportsResource:
        return r.PluginExportsResource(self)

    @cached_property
    def async_jobs(self) -> r.AsyncJobsResource:
        return r.AsyncJobsResource(self)
