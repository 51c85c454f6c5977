"""Clients for the Synapse backend (v1 and v2) and the Ray agent."""
