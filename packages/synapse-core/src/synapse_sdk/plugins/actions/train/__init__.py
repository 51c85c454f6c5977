"""Train category: `BaseTrainAction`, `TrainContext` and the default training workflow.

::

    from synapse_sdk.plugins.actions.train import BaseTrainAction

    class Train(BaseTrainAction[TrainParams]):
        action_name = 'train'

        def train(self, context):
            ...  # read context.dataset_path, write the model into context.work_dir
            return context.work_dir / 'best.pt'
"""

from synapse_sdk.plugins.actions.train.action import (
    BaseTrainAction,
    DatasetStep,
    ModelUploadStep,
    TrainContext,
    TrainProgressCategories,
    TrainStep,
)
from synapse_sdk.plugins.actions.train.dataset import write_dm_dataset

__all__ = [
    'BaseTrainAction',
    'DatasetStep',
    'ModelUploadStep',
    'TrainContext',
    'TrainProgressCategories',
    'TrainStep',
    'write_dm_dataset',
]
