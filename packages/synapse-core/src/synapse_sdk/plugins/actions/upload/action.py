"""`BaseUploadAction`: upload a directory of files into a data collection, all or nothing."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction, NoResult
from synapse_sdk.plugins.actions.upload.context import OrganizedUnit, UploadContext
from synapse_sdk.plugins.actions.upload.steps import (
    CreateDataUnitsStep,
    FinalizeStep,
    InitializeStep,
    OrganizeFilesStep,
    UploadFilesStep,
    ValidateFilesStep,
    organize_by_specification,
)
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.plugins.steps import Orchestrator, StepRegistry

__all__ = ['BaseUploadAction', 'UploadParams', 'UploadProgressCategories', 'UploadResult']


class UploadParams(BaseModel):
    """Params of an upload run; subclass to add your own fields."""

    name: str = Field('', description='A label for this upload')
    description: str = ''
    data_collection: int = Field(description='Data collection to add the data units to')
    path: str = Field(description='Local directory with the files to upload')
    storage: int | None = Field(
        None, description="Backend storage to copy files into (default: the backend's default)"
    )
    prefix: str | None = Field(
        None, description='Key prefix in the storage (default: a fresh uploads/ prefix)'
    )
    batch_size: int = Field(100, ge=1, le=1000, description='Data units created per request')
    max_workers: int = Field(4, ge=1, le=64, description='Files uploaded to the storage at the same time')
    allowed_extensions: list[str] | None = Field(
        None, description='Accept only these extensions (e.g. [".jpg"])'
    )
    meta: dict[str, Any] = Field(default_factory=dict, description='Meta added to every data unit')


class UploadResult(BaseModel):
    success: bool
    files_uploaded: int
    data_units_created: int
    data_unit_ids: list[int]
    storage_prefix: str
    steps_executed: list[str]


class UploadProgressCategories:
    """Step names of the default workflow, usable as progress ``step`` values."""

    INITIALIZE = 'initialize'
    VALIDATE_FILES = 'validate_files'
    ORGANIZE_FILES = 'organize_files'
    UPLOAD_FILES = 'upload_files'
    CREATE_DATA_UNITS = 'create_data_units'
    FINALIZE = 'finalize'


P = TypeVar('P', bound=BaseModel)


class BaseUploadAction(BaseAction[P]):
    """Upload a directory into a data collection as a step workflow with real rollback.

    The default workflow (see `setup_steps`) copies the files into storage and creates one data
    unit per group of files. If any step fails, the files written to storage and the data units
    created so far are deleted again before the error is raised, so a failed upload leaves
    nothing behind. Customise it by overriding the hooks:

    * `setup_steps(registry)`: add, insert or replace steps (call ``super()`` first).
    * `organize_files(context)`: how files are grouped into data units.
    * `get_allowed_extensions()`: which files are accepted.

    Params must provide at least the fields of `UploadParams` (subclass it).
    """

    category = PluginCategory.UPLOAD
    # Declared as BaseAction declares them, so a subclass may set its own models.
    params_model: ClassVar[type[BaseModel] | None] = UploadParams  # BaseUploadAction[MyParams] replaces it
    result_model: ClassVar[type[BaseModel] | type[NoResult]] = UploadResult
    progress: ClassVar[type[UploadProgressCategories]] = UploadProgressCategories

    # -- hooks ----------------------------------------------------------------------------------
    def get_allowed_extensions(self) -> list[str] | None:
        """Extensions accepted by validation (None: any); default ``params.allowed_extensions``."""
        return getattr(self.params, 'allowed_extensions', None)

    def organize_files(self, context: UploadContext) -> list[OrganizedUnit]:
        """Group ``context.files`` into data units; default `organize_by_specification`."""
        return organize_by_specification(context)

    def setup_steps(self, registry: StepRegistry[UploadContext]) -> None:
        """Register the workflow's steps. Override and call ``super().setup_steps(registry)`` to extend."""
        registry.register(InitializeStep())
        registry.register(ValidateFilesStep())
        registry.register(OrganizeFilesStep(self.organize_files))
        registry.register(UploadFilesStep())
        registry.register(CreateDataUnitsStep())
        registry.register(FinalizeStep())

    def create_context(self) -> UploadContext:
        return UploadContext(self.ctx, params=self.params, allowed_extensions=self.get_allowed_extensions())

    # -- run ------------------------------------------------------------------------------------
    def execute(self) -> UploadResult:
        registry: StepRegistry[UploadContext] = StepRegistry()
        self.setup_steps(registry)
        context = self.create_context()
        outcome = Orchestrator(registry, context).execute()
        return UploadResult(
            success=True,
            files_uploaded=len(context.uploaded_files),
            data_units_created=len(context.data_units),
            data_unit_ids=[int(u['id']) for u in context.data_units if u.get('id') is not None],
            storage_prefix=context.storage_prefix,
            steps_executed=outcome.steps_executed,
        )
