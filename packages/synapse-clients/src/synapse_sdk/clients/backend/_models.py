"""Request validation for the v1 API: catch a wrong payload before it is sent, naming the field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from synapse_sdk.clients.exceptions import ValidationError

JobStatus = Literal['PENDING', 'RUNNING', 'STOPPED', 'SUCCEEDED', 'FAILED']


class _Request(BaseModel):
    model_config = ConfigDict(extra='forbid')


class UpdateJobRequest(_Request):
    status: JobStatus | None = None
    progress_record: Any = None
    metrics_record: Any = None
    console_logs: Any = None
    result: Any = None
    meta: Any = None


class SetTagsRequest(_Request):
    ids: list[int]
    tags: list[int]
    action: Literal['add', 'remove'] = 'add'


class TaskCreateRequest(_Request):
    project: int
    data: list[dict[str, Any]]


class DataUnitCreateRequest(_Request):
    data_collection: int
    files: dict[str, dict[str, Any]]
    meta: dict[str, Any] | None = None
    groups: list[str] | None = None


class ModelCreateRequest(_Request):
    name: str
    plugin: str | None = None
    version: str | None = None
    checkpoint: int | None = None
    chunked_upload: int | str | None = None
    configuration: dict[str, Any] | None = None
    description: str | None = None


class PluginReleaseCreateRequest(_Request):
    plugin: str
    version: str
    config: dict[str, Any] | None = None
    requirements: list[str] | None = None
    debug: bool = False


class PluginRunRequest(_Request):
    agent: int | None = None
    action: str | None = None
    params: dict[str, Any] | None = None
    storage_id: int | None = None
    job_id: str | None = None
    debug: bool | None = None
    version: str | None = None
    language: str = 'en'


class ServeApplicationCreateRequest(_Request):
    job: int | str
    status: str | None = None
    data: dict[str, Any] | None = None


def validate_request(model: type[BaseModel], data: Any, *, what: str) -> dict[str, Any]:
    """``data`` checked against ``model`` and dumped without ``None`` values.

    Raises the client ``ValidationError`` (status ``None``: nothing was sent) listing each bad field.
    """
    try:
        obj = model.model_validate(data)
    except PydanticValidationError as exc:
        problems = '; '.join(
            f'{".".join(str(p) for p in err["loc"]) or "<body>"}: {err["msg"]}' for err in exc.errors()
        )
        raise ValidationError(f'invalid {what}: {problems}', detail=exc.errors(include_input=False)) from None
    return obj.model_dump(exclude_none=True, mode='json')
