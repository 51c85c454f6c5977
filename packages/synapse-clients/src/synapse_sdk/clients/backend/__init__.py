"""The v1 backend client: DRF-style endpoints with offset pagination.

>>> client = BackendClient('https://api.synapse.sh', access_token='...')  # doctest: +SKIP
>>> tasks, count = client.list_tasks({'project': 1}, list_all=True)  # doctest: +SKIP
>>> page = client.list_tasks({'project': 1})  # one DRFPage: count, next, previous, results  # doctest: +SKIP
"""

from __future__ import annotations

from synapse_sdk.clients._base import BaseClient
from synapse_sdk.clients._http import RetryPolicy, Timeout
from synapse_sdk.clients.backend._pagination import DRFPage
from synapse_sdk.clients.backend.annotation import AnnotationMixin
from synapse_sdk.clients.backend.data import DataMixin
from synapse_sdk.clients.backend.integration import IntegrationMixin
from synapse_sdk.clients.backend.jobs import JobsMixin
from synapse_sdk.clients.backend.ml import MLMixin

__all__ = ['BackendClient', 'DRFPage']


class BackendClient(AnnotationMixin, DataMixin, MLMixin, JobsMixin, IntegrationMixin, BaseClient):
    """Client for the v1 API.

    Headers (each only when set): ``Synapse-Access-Token: Token <access_token>``,
    ``Authorization: Token <authorization_token>``, ``Synapse-Tenant: Token <tenant>``,
    ``SYNAPSE-Agent: Token <agent_token>``. ``url_host`` is added as ``?url_host=`` to every request so
    the backend signs URLs for an internal host. Timeouts default to connect 5 s / read 15 s,
    overridable with ``timeout=`` or ``SYNAPSE_BACKEND_TIMEOUT_CONNECT`` / ``_READ``.
    """

    name = 'backend'

    def __init__(
        self,
        base_url: str,
        access_token: str | None = None,
        *,
        authorization_token: str | None = None,
        tenant: str | None = None,
        agent_token: str | None = None,
        timeout: Timeout | float | tuple[float, float] | dict[str, float] | None = None,
        retry: RetryPolicy | None = None,
        url_host: str | None = None,
    ) -> None:
        headers = {}
        if access_token:
            headers['Synapse-Access-Token'] = f'Token {access_token}'
        if authorization_token:
            headers['Authorization'] = f'Token {authorization_token}'
        if tenant:
            headers['Synapse-Tenant'] = f'Token {tenant}'
        if agent_token:
            headers['SYNAPSE-Agent'] = f'Token {agent_token}'
        default_timeout = Timeout.from_env('SYNAPSE_BACKEND_TIMEOUT', 5.0, 15.0)
        super().__init__(
            base_url,
            headers=headers,
            timeout=Timeout.coerce(timeout, default_timeout),
            retry=retry,
            default_params={'url_host': url_host} if url_host else None,
            secrets=(access_token, authorization_token, agent_token),
        )
        self.tenant = tenant
