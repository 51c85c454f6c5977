"""A compact export format: the classes found in each item and the names of its files."""

from typing import Any

from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams


def classes_of(document: Any) -> list[str]:
    """Class names in a DM v1 document, or an empty list for other payloads."""
    if not isinstance(document, dict):
        return []
    names = set()
    for annotations in (document.get('annotations') or {}).values():
        for annotation in annotations or []:
            name = (annotation.get('classification') or {}).get('class')
            if name:
                names.add(str(name))
    return sorted(names)


class Export(BaseExportAction[ExportParams]):
    action_name = 'export'

    def convert_item(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            'id': record['id'],
            'classes': classes_of(record['data']),
            'files': sorted(record['files']),
        }
