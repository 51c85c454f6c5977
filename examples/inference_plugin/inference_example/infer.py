"""Inference with the class-prior model uploaded by examples/train_plugin."""

import json
from pathlib import Path

from pydantic import BaseModel, Field

from synapse_sdk.plugins.actions.inference import BaseInferenceAction


class InferParams(BaseModel):
    model: int | None = Field(default=None, description='Model id (None: the run checkpoint)')
    inputs: list[str] = Field(default_factory=list, description='Names of the items to label')
    batch_size: int = Field(default=16, ge=1)
    allowed: list[str] | None = Field(default=None, description='Restrict predictions to these classes')


class Infer(BaseInferenceAction[InferParams]):
    action_name = 'inference'

    def load_model(self, path: Path) -> dict[str, float]:
        model_file = path / 'model.json' if path.is_dir() else path
        priors = json.loads(model_file.read_text(encoding='utf-8'))['priors']
        if self.params.allowed:
            priors = {c: p for c, p in priors.items() if c in self.params.allowed}
        if not priors:
            raise ValueError('the model has no class the run allows')
        return priors

    def infer(self, model: dict[str, float], inputs: list[str]) -> list[dict]:
        label, score = max(model.items(), key=lambda kv: (kv[1], kv[0]))
        return [{'input': item, 'label': label, 'score': round(score, 6)} for item in inputs]
