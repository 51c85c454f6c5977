"""The v2 backend client: ``{data, meta}`` envelopes, cursor pagination, typed models, request ids."""

from __future__ import annotations

from synapse_sdk.clients.backend_v2.client import BackendV2Client, build_v2_headers
from synapse_sdk.clients.backend_v2.pagination import CursorPage

BackendClientV2 = BackendV2Client
"""The reference SDK's spelling of the same class."""

__all__ = ['BackendClientV2', 'BackendV2Client', 'CursorPage', 'build_v2_headers']
