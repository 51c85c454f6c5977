"""Dataset converters between DataMaker (DM v1/v2), YOLO, COCO and Pascal VOC.

``get_converter(source, target, root_dir=..., is_categorized=...)`` returns a converter (any two of DM v1, DM v2,
YOLO, COCO, Pascal VOC) whose ``convert()`` validates the dataset and whose ``save_to_folder(path)`` writes the
converted dataset atomically. ``DatasetWriter`` writes DM records handed over one at a time (``DMRecord``) as a
dataset in any of those formats, the same way. See docs/converters/ for layouts, options, the error policy and
the conversion report.
"""

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
