"""Dataset converters between DataMaker (DM v1/v2), YOLO, COCO and Pascal VOC.

``get_converter(source, target, root_dir=..., is_categorized=...)`` returns a converter (any two of DM v1, DM v2,
YOLO, COCO, Pascal VOC) whose ``convert()`` validates the dataset and whose ``save_to_folder(path)`` writes the
converted dataset atomically. ``DatasetWriter`` writes DM records handed over one at a time (``DMRecord``) as a
dataset in any of those formats, the same way. See docs/converters/ for layouts, options, the error policy and
the conversion report.

The names are imported when first used (``__getattr__``), not with the package: the converters' worker processes
run a module of this package, and importing it must not import every converter and the pydantic report models
(they were most of a worker's start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import BaseConverter
    from .converters import (
        COCOToDMConverter,
        Converter,
        DMV1ToV2Converter,
        DMV2ToV1Converter,
        FromDMToCOCOConverter,
        FromDMToPascalConverter,
        FromDMToYOLOConverter,
        PascalToDMConverter,
        YOLOToDMConverter,
        get_converter,
        supported_pairs,
    )
    from .dm import DMFormatError, v1_to_v2, v2_to_v1
    from .formats import DatasetFormat
    from .imagesize import ImageInfo, ImageSizeError, read_image_size
    from .result import (
        ConversionError,
        ConversionReport,
        ConversionResult,
        ErrorPolicy,
        Loss,
        Problem,
        ProblemKind,
    )
    from .stream import DatasetWriter, DMRecord

#: Where each public name lives (imported on first use).
_HOME = {
    'BaseConverter': 'base',
    'COCOToDMConverter': 'converters',
    'ConversionError': 'result',
    'ConversionReport': 'result',
    'ConversionResult': 'result',
    'Converter': 'converters',
    'DatasetFormat': 'formats',
    'DatasetWriter': 'stream',
    'DMFormatError': 'dm',
    'DMRecord': 'stream',
    'DMV1ToV2Converter': 'converters',
    'DMV2ToV1Converter': 'converters',
    'ErrorPolicy': 'result',
    'FromDMToCOCOConverter': 'converters',
    'FromDMToPascalConverter': 'converters',
    'FromDMToYOLOConverter': 'converters',
    'get_converter': 'converters',
    'ImageInfo': 'imagesize',
    'ImageSizeError': 'imagesize',
    'Loss': 'result',
    'PascalToDMConverter': 'converters',
    'Problem': 'result',
    'ProblemKind': 'result',
    'read_image_size': 'imagesize',
    'supported_pairs': 'converters',
    'v1_to_v2': 'dm',
    'v2_to_v1': 'dm',
    'YOLOToDMConverter': 'converters',
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(f'.{module}', __name__), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    'BaseConverter',
    'COCOToDMConverter',
    'ConversionError',
    'ConversionReport',
    'ConversionResult',
    'Converter',
    'DMFormatError',
    'DMRecord',
    'DMV1ToV2Converter',
    'DMV2ToV1Converter',
    'DatasetFormat',
    'DatasetWriter',
    'ErrorPolicy',
    'FromDMToCOCOConverter',
    'FromDMToPascalConverter',
    'FromDMToYOLOConverter',
    'ImageInfo',
    'ImageSizeError',
    'Loss',
    'PascalToDMConverter',
    'Problem',
    'ProblemKind',
    'YOLOToDMConverter',
    'get_converter',
    'read_image_size',
    'supported_pairs',
    'v1_to_v2',
    'v2_to_v1',
]
