"""A tiny but real model: the frequency of each class in the dataset's annotations.

`train()` only implements the learning part; downloading the dataset (step ``dataset``) and
uploading the model (step ``model_upload``) come from BaseTrainAction's workflow, with rollback.
"""

import json
import math
from collections import Counter

from pydantic import BaseModel, Field

from synapse_sdk.plugins.actions.train import BaseTrainAction, TrainContext
from synapse_sdk.plugins.types import ModelWeights


class TrainParams(BaseModel):
    dataset: int = Field(description='Ground-truth dataset version to train on')
    epochs: int = Field(default=3, ge=1, le=100)
    smoothing: float = Field(default=1.0, ge=0, description='Additive (Laplace) smoothing')
    name: str = Field(default='class-prior', description='Name of the uploaded model')


def classes_in(document: dict) -> list[str]:
    """Class names of a DM v1 document (``annotations[media][i].classification.class``)."""
    found = []
    for annotations in (document.get('annotations') or {}).values():
        for annotation in annotations:
            name = (annotation.get('classification') or {}).get('class')
            if name:
                found.append(str(name))
    return found


class Train(BaseTrainAction[TrainParams]):
    action_name = 'train'
    output_type = ModelWeights

    def train(self, context: TrainContext):
        files = sorted(context.dataset_path.rglob('json/*.json'))
        if not files:
            raise ValueError(f'dataset {self.params.dataset} has no annotation documents')
        counts = Counter()
        for path in files:
            counts.update(classes_in(json.loads(path.read_text(encoding='utf-8'))))
        if not counts:
            raise ValueError('no classified annotations in the dataset')

        total = sum(counts.values())
        k = self.params.smoothing
        priors = {}
        for epoch in range(1, self.params.epochs + 1):
            # Each "epoch" re-estimates the priors; the smoothing fades out as epochs go on.
            weight = k / epoch
            priors = {c: (n + weight) / (total + weight * len(counts)) for c, n in counts.items()}
            entropy = -sum(p * math.log(p) for p in priors.values())
            context.set_metrics({'epoch': epoch, 'entropy': round(entropy, 6)})
            context.set_progress(epoch, self.params.epochs)

        model_dir = context.work_dir / 'model'
        model_dir.mkdir()
        (model_dir / 'model.json').write_text(
            json.dumps({'priors': priors, 'documents': len(files)}, indent=2)
        )
        return {'model_path': model_dir, 'metrics': {'classes': len(priors), 'documents': len(files)}}

    def get_model_fields(self, context):
        return {'name': self.params.name, 'description': f'class priors of dataset {self.params.dataset}'}
