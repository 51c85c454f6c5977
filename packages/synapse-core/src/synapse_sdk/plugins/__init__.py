"""Synapse plugin runtime."""

# `synapse_sdk.plugins` is owned by synapse-core, but other distributions (synapse-executors-ray)
# add subpackages below it. Extending __path__ lets those portions be found when each distribution
# lives in its own directory on sys.path (editable installs), not only when they share site-packages.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
