"""What the v1 resource mixins use of the client they are mixed into.

`BackendClient` is one class made of five mixins (annotation, data, ml, jobs, integration) and
`BaseClient`, which owns the HTTP transport. A mixin on its own has no `_get`; this Protocol says what it
may count on, so each mixin is type-checked against a declared contract instead of against attributes it
cannot see. The checker also holds `BaseClient` to it (`BaseClient` names it as its base for the checker
only), so `BackendClient` would not type-check if the transport it inherits stopped matching.

At run time the mixins' base is plain `object` (`MixinBase`), so nothing here is in any method
resolution order and no Protocol stub can shadow the transport's real methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from synapse_sdk.clients._http import HttpCore, Timeout

__all__ = ['BackendTransport', 'MixinBase']


class BackendTransport(Protocol):
    """The transport a mixin may use; `BaseClient` implements it (and says so to the checker)."""

    _http: HttpCore

    @property
    def base_url(self) -> str: ...

    @property
    def timeout(self) -> Timeout: ...

    def _get(self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any: ...

    def _post(self, path: str, json: Any = None, **kwargs: Any) -> Any: ...

    def _put(self, path: str, json: Any = None, **kwargs: Any) -> Any: ...

    def _patch(self, path: str, json: Any = None, **kwargs: Any) -> Any: ...

    def _delete(self, path: str, **kwargs: Any) -> Any: ...


if TYPE_CHECKING:
    MixinBase = BackendTransport
else:
    MixinBase = object
