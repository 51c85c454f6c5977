"""What a category base reads from its params model, pinned: mypy checks this file and pytest runs it.

`ToTaskAction[P]` is bound by the fields it reads (`ToTaskFields`), not by `BaseModel`: a plugin's own
model fits when it has those fields (no subclassing of `ToTaskParams`), a model without them is refused by
the checker (the `type: ignore` below fails the check as unused if it ever is accepted), and the base reads
the fields with their types. The run against the fake backend shows the structural model works as the
params of a real run.
"""

from __future__ import annotations

from typing import Any, Literal, assert_type

from pydantic import BaseModel

from synapse_sdk.clients.testing import FakeBackend
from synapse_sdk.loggers.console import ConsoleLogger
from synapse_sdk.plugins import RuntimeContext
from synapse_sdk.plugins.actions.inference import BaseInferenceAction
from synapse_sdk.plugins.actions.to_task import ToTaskAction, ToTaskFields, ToTaskParams
from synapse_sdk.plugins.actions.upload import BaseUploadAction
from synapse_sdk.plugins.execution import run_action
from synapse_sdk.plugins.types import ModelWeights


class OwnParams(BaseModel):
    """Not a `ToTaskParams`: the same names, some narrower types, no ``model`` field."""

    project: int
    method: Literal['file', 'inference'] = 'inference'
    task_filters: dict[str, str] = {}
    target_specification_name: str | None = None
    annotation_schema: str | None = None


class Annotate(ToTaskAction[OwnParams]):
    action_name = 'to_task'

    def run_inference(self, task: dict[str, Any]) -> Any:
        assert_type(self.params, OwnParams)
        assert_type(self.params.task_filters, dict[str, str])
        return {'task': task['id'], 'project': self.params.project}

    def convert_data_from_inference(self, data: Any) -> dict[str, Any]:
        return {'predicted_for': data['task'], 'project': data['project']}


class Report(BaseModel):
    total: int


class OwnModels(ToTaskAction[ToTaskParams]):
    """A subclass sets its own models, as `BaseAction` allows (the bases declare the attributes' types)."""

    params_model = OwnParams
    result_model = Report


class OwnUpload(BaseUploadAction[OwnParams]):
    params_model = OwnParams
    result_model = Report


class OwnInference(BaseInferenceAction[OwnParams]):
    params_model = OwnParams
    output_type = ModelWeights


class Lacking(BaseModel):
    project: int


class Refused(ToTaskAction[Lacking]):  # type: ignore[type-var]  # Lacking has no method, task_filters ...
    action_name = 'to_task'


def test_the_base_params_model_has_the_fields_the_base_reads() -> None:
    fields: ToTaskFields = ToTaskParams.model_validate({'project': 1})
    assert fields.project == 1 and fields.method == 'file'
    assert (OwnModels.params_model, OwnModels.result_model) == (OwnParams, Report)
    assert (OwnUpload.params_model, OwnInference.params_model) == (OwnParams, OwnParams)
    assert OwnInference.output_type is ModelWeights


def test_a_structural_params_model_runs_against_the_fake_backend() -> None:
    models: list[type[BaseModel] | None] = [Annotate.params_model, Refused.params_model]
    # the checker refuses Refused; at run time the type argument is the params model, as ever
    assert models == [OwnParams, Lacking]
    with FakeBackend() as backend:
        project = backend.state.add_project()
        other = backend.state.add_project()
        ids = [backend.state.add_task(project['id'], files={})['id'] for _ in range(2)]
        backend.state.add_task(other['id'], files={})
        ctx = RuntimeContext(logger=ConsoleLogger(), client=backend.client())
        result = run_action(Annotate, {'project': project['id'], 'task_filters': {}}, ctx)
        assert (result['total'], result['succeeded'], result['failed']) == (2, 2, 0)
        for task_id in ids:
            assert backend.state.tasks[task_id]['data'] == {
                'predicted_for': task_id,
                'project': project['id'],
            }
