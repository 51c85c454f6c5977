"""Executors run actions: in this process (`local`), or on Ray (`synapse-executors-ray`)."""

# synapse-executors-ray ships `synapse_sdk.plugins.executors.ray`; see synapse_sdk.plugins for why.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
