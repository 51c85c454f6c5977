"""Upload category: `BaseUploadAction` and its step workflow with real rollback.

::

    from synapse_sdk.plugins.actions.upload import BaseUploadAction, UploadParams

    class Upload(BaseUploadAction[UploadParams]):
        action_name = 'upload'
"""

from synapse_sdk.plugins.actions.upload.action import (
    BaseUploadAction,
    UploadParams,
    UploadProgressCategories,
    UploadResult,
)
from synapse_sdk.plugins.actions.upload.context import OrganizedUnit, UploadContext, UploadedFile
from synapse_sdk.plugins.actions.upload.steps import (
    CreateDataUnitsStep,
    FinalizeStep,
    InitializeStep,
    OrganizeFilesStep,
    UploadFilesStep,
    ValidateFilesStep,
    delete_data_unit,
    file_checksum,
    organize_by_specification,
)

__all__ = [
    'BaseUploadAction',
    'CreateDataUnitsStep',
    'FinalizeStep',
    'InitializeStep',
    'OrganizeFilesStep',
    'OrganizedUnit',
    'UploadContext',
    'UploadFilesStep',
    'UploadParams',
    'UploadProgressCategories',
    'UploadResult',
    'UploadedFile',
    'ValidateFilesStep',
    'delete_data_unit',
    'file_checksum',
    'organize_by_specification',
]
