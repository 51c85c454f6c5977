"""The converter classes, one per direction, and the ``get_converter`` factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import BaseConverter
from .dm_io import DMReader, DMWriter
from .formats import DatasetFormat

__all__ = [
    'COCOToDMConverter',
    'DMV1ToV2Converter',
    'DMV2ToV1Converter',
    'FromDMToCOCOConverter',
    'FromDMToPascalConverter',
    'FromDMToYOLOConverter',
    'PascalToDMConverter',
    'YOLOToDMConverter',
    'get_converter',
    'supported_pairs',
]


def _version(dm_version: Any) -> str:
    value = getattr(dm_version, 'value', dm_version)
    value = str(value).lower().removeprefix('dm_')
    if value not in ('v1', 'v2'):
        raise ValueError(f"dm_version must be 'v1' or 'v2', got {dm_version!r}")
    return value


class _FromDM(BaseConverter):
    """DM (v1 or v2, ``dm_version``) to another format."""

    def __init__(
        self, root_dir: str | Path, is_categorized: bool = False, dm_version: str = 'v2', **kwargs: Any
    ):
        self.dm_version = _version(dm_version)
        self.source_format = DatasetFormat(f'dm_{self.dm_version}')
        super().__init__(root_dir, is_categorized, **kwargs)

    def _reader(self):
        return DMReader(str(self.root_dir), self.is_categorized, self.dm_version)


class _ToDM(BaseConverter):
    """Another format to DM (v1 or v2, ``dm_version``)."""

    def __init__(
        self, root_dir: str | Path, is_categorized: bool = False, dm_version: str = 'v2', **kwargs: Any
    ):
        self.dm_version = _version(dm_version)
        self.target_format = DatasetFormat(f'dm_{self.dm_version}')
        super().__init__(root_dir, is_categorized, **kwargs)

    def _writer(self):
        return DMWriter(self.dm_version)


class DMV1ToV2Converter(BaseConverter):
    """DM v1 dataset -> DM v2 dataset (same layout; every media and tool converted, see ``dm.v1_to_v2``)."""

    source_format = DatasetFormat.DM_V1
    target_format = DatasetFormat.DM_V2

    def _reader(self):
        return DMReader(str(self.root_dir), self.is_categorized, 'v1')

    def _writer(self):
        return DMWriter('v2')


class DMV2ToV1Converter(BaseConverter):
    """DM v2 dataset -> canonical DM v1 dataset."""

    source_format = DatasetFormat.DM_V2
    target_format = DatasetFormat.DM_V1

    def _reader(self):
        return DMReader(str(self.root_dir), self.is_categorized, 'v2')

    def _writer(self):
        return DMWriter('v1')


class FromDMToYOLOConverter(_FromDM):
    """DM -> YOLO (Ultralytics layout). Options: ``task`` ('auto' | 'detect' | 'segment' | 'pose'),
    ``pose_class`` (default 'person'), ``keypoint_names`` (joint order)."""

    target_format = DatasetFormat.YOLO
    _option_names = ('task', 'pose_class', 'keypoint_names')

    def _writer(self):
        from .yolo import YOLOWriter

        return YOLOWriter(**self.options)


class YOLOToDMConverter(_ToDM):
    """YOLO -> DM. Class names come from ``class_names``, else data.yaml/dataset.yaml, else classes.txt."""

    source_format = DatasetFormat.YOLO

    def _reader(self):
        from .yolo import YOLOReader

        return YOLOReader(str(self.root_dir), self.is_categorized, self.class_names)

    def _writer(self):
        # class_names here names YOLO class ids; they are not a filter on the output.
        return DMWriter(self.dm_version)


class FromDMToCOCOConverter(_FromDM):
    """DM -> COCO. Options: ``pose_class`` (category of keypoint groups without a ``group`` annotation),
    ``keypoint_names`` (joint order)."""

    target_format = DatasetFormat.COCO
    _option_names = ('pose_class', 'keypoint_names')

    def _writer(self):
        from .coco import COCOWriter

        return COCOWriter(**self.options)


class COCOToDMConverter(_ToDM):
    """COCO -> DM (boxes, polygons, RLE masks, keypoints, CVAT-style attributes)."""

    source_format = DatasetFormat.COCO

    def _reader(self):
        from .coco import COCOReader

        return COCOReader(str(self.root_dir), self.is_categorized)


class FromDMToPascalConverter(_FromDM):
    """DM -> Pascal VOC (XML boxes, ImageSets, SegmentationClass/SegmentationObject masks)."""

    target_format = DatasetFormat.PASCAL

    def _writer(self):
        from .voc import VOCWriter

        return VOCWriter()


class PascalToDMConverter(_ToDM):
    """Pascal VOC -> DM (boxes, and masks from SegmentationObject)."""

    source_format = DatasetFormat.PASCAL

    def _reader(self):
        from .voc import VOCReader

        return VOCReader(str(self.root_dir), self.is_categorized)


_FORMAT_CLASSES = {
    DatasetFormat.YOLO: (FromDMToYOLOConverter, YOLOToDMConverter),
    DatasetFormat.COCO: (FromDMToCOCOConverter, COCOToDMConverter),
    DatasetFormat.PASCAL: (FromDMToPascalConverter, PascalToDMConverter),
}

_PAIRS: dict[tuple[DatasetFormat, DatasetFormat], tuple[type[BaseConverter], dict[str, Any]]] = {}


def _register() -> None:
    F = DatasetFormat
    _PAIRS[(F.DM_V1, F.DM_V2)] = (DMV1ToV2Converter, {})
    _PAIRS[(F.DM_V2, F.DM_V1)] = (DMV2ToV1Converter, {})
    for dm in (F.DM_V1, F.DM_V2):
        version = dm.value.removeprefix('dm_')
        for fmt, (from_dm, to_dm) in _FORMAT_CLASSES.items():
            _PAIRS[(dm, fmt)] = (from_dm, {'dm_version': version})
            _PAIRS[(fmt, dm)] = (to_dm, {'dm_version': version})


_register()


def supported_pairs() -> list[tuple[str, str]]:
    """Every ``(source, target)`` pair ``get_converter`` accepts (14 directions)."""
    return [(s.value, t.value) for s, t in _PAIRS]


def get_converter(
    source: DatasetFormat | str,
    target: DatasetFormat | str,
    root_dir: str | Path | None = None,
    is_categorized: bool = False,
    **options: Any,
) -> BaseConverter:
    """The converter for ``source -> target`` over the dataset at ``root_dir``.

    ``source``/``target``: a ``DatasetFormat`` or its value (``'dm_v1'``, ``'dm_v2'``, ``'yolo'``, ``'coco'``,
    ``'pascal'``; ``'voc'`` is accepted for Pascal VOC). Other keyword options go to the converter (see
    ``BaseConverter`` and the format's class). An unsupported pair raises ``ValueError`` listing the supported ones.
    """
    src, dst = DatasetFormat.parse(source), DatasetFormat.parse(target)
    if (src, dst) not in _PAIRS:
        pairs = ', '.join(f'{s}->{t}' for s, t in supported_pairs())
        raise ValueError(f'no converter from {src.value} to {dst.value}; supported pairs: {pairs}')
    cls, defaults = _PAIRS[(src, dst)]
    if root_dir is None:
        raise ValueError('get_converter needs root_dir (the source dataset directory)')
    if 'dm_version' in options and defaults.get('dm_version') not in (None, _version(options['dm_version'])):
        raise ValueError(
            f'dm_version={options["dm_version"]!r} contradicts the {src.value}->{dst.value} pair'
        )
    return cls(root_dir, is_categorized, **{**defaults, **options})
