"""What every synchronous client shares: the transport, context management and JSON helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from synapse_sdk.clients._http import HttpCore, RetryPolicy, Timeout, parse_body

if TYPE_CHECKING:
    # The checker holds BaseClient to the contract the v1 mixins are written against; at run time the
    # base is plain object (a Protocol class in the MRO would only add stubs).
    from synapse_sdk.clients.backend._transport import BackendTransport as _TransportContract
else:
    _TransportContract = object


class BaseClient(_TransportContract):
    """A client bound to one base URL; owns an ``HttpCore`` and closes it on exit."""

    name = 'client'

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout: Timeout,
        retry: RetryPolicy | None = None,
        default_params: Mapping[str, str] | None = None,
        secrets: tuple[str | None, ...] = (),
    ) -> None:
        self._http = HttpCore(
            base_url,
            headers=headers,
            timeout=timeout,
            retry=retry,
            default_params=default_params,
            secrets=secrets,
        )

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def timeout(self) -> Timeout:
        return self._http.timeout

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of this client's requests (also used for the files it leads to)."""
        return self._http.retry

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.base_url!r})'

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections; the client can still be used afterwards (a new pool is made)."""
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return parse_body(self._http.request(method, path, **kwargs))

    def _get(self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        return self._call('GET', path, params=params, **kwargs)

    def _post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self._call('POST', path, json=json, **kwargs)

    def _put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self._call('PUT', path, json=json, **kwargs)

    def _patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self._call('PATCH', path, json=json, **kwargs)

    def _delete(self, path: str, **kwargs: Any) -> Any:
        return self._call('DELETE', path, **kwargs)
