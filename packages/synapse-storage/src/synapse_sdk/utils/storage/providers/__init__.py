"""Built-in storage providers. Each module imports its client library lazily, on first use."""
