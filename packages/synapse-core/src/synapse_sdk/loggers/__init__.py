"""Loggers that carry action logs, progress and metrics to the console, a file and the backend."""
