"""Credential resolution and factories for the Synapse backend clients."""
