"""Dataset converters between DataMaker (DM v1/v2), YOLO, COCO and Pascal VOC.

``get_converter(source, target, root_dir=..., is_categorized=...)`` returns a converter whose ``convert()``
validates the dataset and whose ``save_to_folder(path)`` writes the converted dataset atomically. See
docs/converters/ for layouts, options, the error policy and the conversion report.
"""

from .base import BaseConverter
from .converters import (
    COCOToDMConverter,
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

__all__ = [
    'BaseConverter',
    'COCOToDMConverter',
    'ConversionError',
    'ConversionReport',
    'ConversionResult',
    'DMFormatError',
    'DMV1ToV2Converter',
    'DMV2ToV1Converter',
    'DatasetFormat',
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
