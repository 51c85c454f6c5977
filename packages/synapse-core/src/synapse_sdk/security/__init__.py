"""What every Synapse distribution shares to keep secrets out of sight and credentials at home.

- `synapse_sdk.security.redaction`: which names and values are secret, and how they are masked in
  reprs, messages, logs and checkpoints.
- `synapse_sdk.security.origins`: which origin a credential belongs to, and which headers to drop
  before a request (or a redirect) leaves it.

Both modules import only the standard library, so clients, storage and executors can use them
without pulling in the rest of synapse-core.
"""
