"""Names derived from class names, the same way for actions and data types."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])')


def snake_case(class_name: str) -> str:
    """``YOLODataset`` -> ``yolo_dataset``, ``PointCloud`` -> ``point_cloud``, ``ToTask`` -> ``to_task``."""
    return _BOUNDARY.sub('_', class_name).lower()
