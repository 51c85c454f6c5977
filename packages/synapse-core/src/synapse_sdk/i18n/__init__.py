"""Internationalised messages for the SDK and for plugins."""
