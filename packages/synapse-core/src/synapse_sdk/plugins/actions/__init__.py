"""Category base actions: train, export, upload, to_task and inference.

Import each from its own module (``from synapse_sdk.plugins.actions.train import BaseTrainAction``) or
from ``synapse_sdk.plugins``. Nothing is imported here eagerly: a plugin that uses one category does not
pay for the others.
"""
