"""Typed v2 response models.

Every model keeps fields it does not declare (``extra='allow'``), so a newer backend adding fields
never breaks the client and nothing the server sent is lost (``model.model_extra``). Required fields
follow the backend's OpenAPI; a response missing one raises ``ResponseValidationError``. Enum-like
fields (statuses, categories) are plain strings for the same forward-compatibility reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    'AccessTokenCreateResponse',
    'AccessTokenV2Detail',
    'AccessTokenV2List',
    'AssignmentV2Detail',
    'AssignmentV2List',
    'AsyncJobProgressEventV2',
    'AsyncJobProgressV2',
    'AsyncJobV2Detail',
    'ConfirmUploadResponse',
    'DataCollectionV2Detail',
    'DataCollectionV2List',
    'DataUnitV2Detail',
    'DataUnitV2List',
    'GroundTruthEventV2List',
    'GroundTruthV2Detail',
    'GroundTruthV2List',
    'LoginResponse',
    'PluginExportV2EnqueueResponse',
    'PresignedUploadResponse',
    'ProjectV2Detail',
    'ProjectV2List',
    'TaskV2Detail',
    'TaskV2List',
    'TenantV2Detail',
    'TenantV2List',
    'UserMeSerializerV2',
    'V2Model',
]


class V2Model(BaseModel):
    model_config = ConfigDict(extra='allow', populate_by_name=True)


class UserMeSerializerV2(V2Model):
    id: int
    email: str
    name: str
    is_synapse_admin: bool


class TenantV2List(V2Model):
    code: str
    name: str
    slug: str
    is_active: bool


class TenantV2Detail(TenantV2List):
    pass


class AccessTokenV2List(V2Model):
    id: int
    description: str
    last_used: datetime | None


class AccessTokenV2Detail(AccessTokenV2List):
    pass


class AccessTokenCreateResponse(V2Model):
    """The plaintext ``token`` is returned only once, at creation; it is a ``SecretStr``."""

    id: int
    description: str
    last_used: datetime | None = None
    token: SecretStr | None = None


class LoginResponse(V2Model):
    token: SecretStr


class ProjectV2List(V2Model):
    id: int
    title: str
    category: str
    category_display: str
    created: datetime
    is_archived: bool
    task_count: int


class ProjectV2Detail(ProjectV2List):
    tenant_id: int
    data_collection_id: int | None
    description: str
    configuration: Any
    settings: Any = None
    caution: str = ''
    access_level: str
    count_max_assignments_per_task: int
    can_discard: bool
    enable_workforce: bool


class TaskV2List(V2Model):
    id: int
    project_id: int
    data_unit_id: int
    is_discarded: bool
    has_data: bool
    created: datetime


class TaskV2Detail(TaskV2List):
    workshop_id: int | None
    meta: Any = None
    data: Any = None
    schema_: str | None = Field(default=None, alias='schema')


class AssignmentV2List(V2Model):
    id: int
    user_id: int | None
    task_id: int
    status_label: str
    status_review: str
    is_confirmed: bool
    is_discarded: bool
    created: datetime


class AssignmentV2Detail(AssignmentV2List):
    reviewer_id: int | None
    data: Any = None
    tags: list[int]


class GroundTruthV2List(V2Model):
    id: int
    ground_truth_dataset_id: int
    data_unit_id: int
    category: str


class GroundTruthV2Detail(GroundTruthV2List):
    project_id: int | None
    data: Any
    classes: list[str]


class GroundTruthEventV2List(V2Model):
    id: int
    pgh_id: int
    pgh_obj_id: int
    pgh_label: str
    data_unit_id: int
    ground_truth_dataset_id: int
    data_size: int | None = None
    data_digest: str | None = None
    data_content_type: str | None = None


class DataCollectionV2List(V2Model):
    id: int
    name: str
    category: str
    category_display: str
    access_level: str
    is_archived: bool
    created: datetime
    count_projects: int


class DataCollectionV2Detail(DataCollectionV2List):
    tenant_id: int
    description: str
    meta: Any = None
    caution: str = ''
    file_specifications: list[dict[str, Any]]


class DataUnitV2List(V2Model):
    id: int
    data_collection_id: int
    checksum: str
    created: datetime


class DataUnitV2Detail(DataUnitV2List):
    group_id: int | None = None
    meta: Any = None


class PresignedUploadPartResponse(V2Model):
    part_number: int
    presigned_url: str


class PresignedUploadMultipartResponse(V2Model):
    upload_id: str
    part_size: int
    parts: list[PresignedUploadPartResponse]


class PresignedUploadFileResponse(V2Model):
    filename: str
    file_key: str
    presigned_url: str | None
    multipart: PresignedUploadMultipartResponse | None


class PresignedUploadResponse(V2Model):
    """Where to PUT each file, in the order requested (``presigned_url`` or ``multipart`` parts)."""

    files: list[PresignedUploadFileResponse]
    expires_at: datetime


class ConfirmUploadFileResult(V2Model):
    file_key: str
    checksum: str
    data_file_id: int | None
    success: bool
    created: bool = False
    error: str | None = None


class ConfirmUploadResponse(V2Model):
    results: list[ConfirmUploadFileResult]
    created_count: int
    failed_count: int


class PluginExportV2EnqueueResponse(V2Model):
    job_id: str | None  # None for a dry run (status DRY_RUN): nothing was enqueued
    status: str
    targets: list[str]
    total_count: int | None = None
    message: str | None = None
    ray_job_id: str | None = None


class AsyncJobProgressV2(V2Model):
    total_count: int | None = None
    processed_count: int | None = None
    percent: float | None = None
    time_elapsed: float | None = None
    time_remaining: float | None = None


class AsyncJobV2Detail(V2Model):
    """Only ``id`` and ``status`` are required; the rest of the backend's ``AsyncJobV2`` is typed when sent."""

    id: str
    status: str
    category: str | None = None
    type: str | None = None
    queue: str | None = None
    triggered_by: str | None = None
    progress: AsyncJobProgressV2 | None = None
    data: Any = None
    file: str | None = None
    ray_job_id: str | None = None
    created: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    succeeded: datetime | None = None
    failed: datetime | None = None


class AsyncJobProgressEventV2(V2Model):
    """One SSE event of ``async_jobs.stream_progress``: ``event`` plus the frame's JSON keys."""

    event: str
    processed_count: int | None = None
    total_count: int | None = None
    percent: float | None = None
    status: str | None = None
    data: Any = None

    @property
    def is_terminal(self) -> bool:
        return self.event in TERMINAL_EVENTS


TERMINAL_EVENTS = frozenset({'async_job.completed', 'error'})
