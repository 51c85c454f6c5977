"""Clients for the Synapse backend (v1 ``backend``, v2 ``backend_v2``) and the Ray agent (``agent``).

Import the client you need from its module, e.g. ``from synapse_sdk.clients.backend import
BackendClient``; the errors all live in ``synapse_sdk.clients.exceptions``.
"""
