"""Export category: `BaseExportAction`, its context and the target fetchers (v1 and v2).

::

    from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams

    class Export(BaseExportAction[ExportParams]):
        action_name = 'export'

        def convert_item(self, record):
            return {'id': record['id'], 'annotations': record['data']}
"""

from synapse_sdk.plugins.actions.export.action import (
    ASYNC_THRESHOLD_ENV,
    BaseExportAction,
    ExportContext,
    ExportDataError,
    ExportDelegationError,
    ExportParams,
    ExportProgressCategories,
)
from synapse_sdk.plugins.actions.export.journal import ExportResumeError
from synapse_sdk.plugins.actions.export.targets import (
    ExportTarget,
    RecordStream,
    fetch_v1,
    fetch_v2,
    normalize_record,
)

__all__ = [
    'ASYNC_THRESHOLD_ENV',
    'BaseExportAction',
    'ExportContext',
    'ExportDataError',
    'ExportDelegationError',
    'ExportParams',
    'ExportProgressCategories',
    'ExportResumeError',
    'ExportTarget',
    'RecordStream',
    'fetch_v1',
    'fetch_v2',
    'normalize_record',
]
