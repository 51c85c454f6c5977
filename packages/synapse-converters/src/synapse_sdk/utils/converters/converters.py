"""The converter classes and the ``get_converter`` factory: every ordered pair of DM v1, DM v2, YOLO, COCO and
Pascal VOC.

Every direction is one reader (source format -> DM v2 image item in memory, ``items.Item``) and one writer (item ->
target files), so a conversion between two non-DM formats (COCO -> YOLO, ...) streams through DM v2 in memory
with no intermediate dataset on disk, with the same validation, report, error policies, atomic output and
bounded memory as every other direction. The named classes (``FromDMToYOLOConverter``, ...) are the
DM <-> format directions under their established names; ``Converter`` is any pair.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import BaseConverter
from .dm_io import DMReader, DMWriter
from .engine import Reader, Writer
from .formats import DatasetFormat

__all__ = [
    'COCOToDMConverter',
    'Converter',
    'DMV1ToV2Converter',
    'DMV2ToV1Converter',
    'FromDMToCOCOConverter',
    'FromDMToPascalConverter',
    'FromDMToYOLOConverter',
    'PascalToDMConverter',
    'YOLOToDMConverter',
    'get_converter',
    'make_reader',
    'make_writer',
    'supported_pairs',
]

#: Format options each target's writer takes (see the writers).
WRITER_OPTIONS: dict[DatasetFormat, tuple[str, ...]] = {
    DatasetFormat.DM_V1: (),
    DatasetFormat.DM_V2: (),
    DatasetFormat.YOLO: ('task', 'pose_class', 'keypoint_names'),
    DatasetFormat.COCO: ('pose_class', 'keypoint_names'),
    DatasetFormat.PASCAL: ('pose_class', 'voc_convention'),
}

#: Format options each source's reader takes.
READER_OPTIONS: dict[DatasetFormat, tuple[str, ...]] = {DatasetFormat.PASCAL: ('voc_convention',)}


def make_reader(
    fmt: DatasetFormat,
    root: str,
    categorized: bool,
    class_names: list[str] | None,
    options: dict[str, Any] | None = None,
    links_into: tuple[str, ...] = (),
) -> Reader:
    """The reader of a dataset directory in ``fmt`` with its format options (``READER_OPTIONS``).
    ``class_names`` names YOLO class ids (it is no filter); ``links_into``: the real paths of the directories
    symbolic links in the dataset may lead into (``paths.link_roots``)."""
    if fmt.is_dm:
        return DMReader(root, categorized, fmt.value.removeprefix('dm_'), links_into)
    if fmt is DatasetFormat.YOLO:
        from .yolo import YOLOReader

        return YOLOReader(root, categorized, class_names, links_into)
    if fmt is DatasetFormat.COCO:
        from .coco import COCOReader

        return COCOReader(root, categorized, links_into)
    from .voc import VOCReader

    return VOCReader(root, categorized, links_into=links_into, **(options or {}))


def make_writer(fmt: DatasetFormat, options: dict[str, Any]) -> Writer:
    """The writer of ``fmt`` with its format options (``WRITER_OPTIONS``)."""
    if fmt.is_dm:
        return DMWriter(fmt.value.removeprefix('dm_'))
    if fmt is DatasetFormat.YOLO:
        from .yolo import YOLOWriter

        return YOLOWriter(**options)
    if fmt is DatasetFormat.COCO:
        from .coco import COCOWriter

        return COCOWriter(**options)
    from .voc import VOCWriter

    return VOCWriter(**options)


class Converter(BaseConverter):
    """``source`` dataset -> ``target`` dataset, for any two different formats. Format options are those of the
    target (``WRITER_OPTIONS``: YOLO ``task``, ``pose_class``, ``keypoint_names``; COCO ``pose_class``,
    ``keypoint_names``; Pascal VOC ``pose_class``, ``voc_convention``) and of the source (``READER_OPTIONS``:
    Pascal VOC ``voc_convention``)."""

    def __init__(
        self,
        source: DatasetFormat | str,
        target: DatasetFormat | str,
        root_dir: str | Path,
        is_categorized: bool = False,
        **kwargs: Any,
    ):
        self.source_format = DatasetFormat.parse(source)
        self.target_format = DatasetFormat.parse(target)
        if self.source_format is self.target_format:
            raise ValueError(f'source and target are both {self.source_format.value}')
        writes = WRITER_OPTIONS[self.target_format]
        reads = READER_OPTIONS.get(self.source_format, ())
        self._option_names = writes + tuple(name for name in reads if name not in writes)
        super().__init__(root_dir, is_categorized, **kwargs)

    def _reader(self) -> Reader:
        reads = READER_OPTIONS.get(self.source_format, ())
        options = {k: v for k, v in self.options.items() if k in reads}
        return make_reader(
            self.source_format,
            str(self.root_dir),
            self.is_categorized,
            self.class_names,
            options,
            self.link_roots,
        )

    def _writer(self) -> Writer:
        writes = WRITER_OPTIONS[self.target_format]
        return make_writer(self.target_format, {k: v for k, v in self.options.items() if k in writes})


def _version(dm_version: Any) -> str:
    value = getattr(dm_version, 'value', dm_version)
    value = str(value).lower().removeprefix('dm_')
    if value not in ('v1', 'v2'):
        raise ValueError(f"dm_version must be 'v1' or 'v2', got {dm_version!r}")
    return value


class _FromDM(Converter):
    """DM (v1 or v2, ``dm_version``) to ``_target``."""

    _target: DatasetFormat

    def __init__(
        self, root_dir: str | Path, is_categorized: bool = False, dm_version: str = 'v2', **kwargs: Any
    ):
        self.dm_version = _version(dm_version)
        super().__init__(f'dm_{self.dm_version}', self._target, root_dir, is_categorized, **kwargs)


class _ToDM(Converter):
    """``_source`` to DM (v1 or v2, ``dm_version``)."""

    _source: DatasetFormat

    def __init__(
        self, root_dir: str | Path, is_categorized: bool = False, dm_version: str = 'v2', **kwargs: Any
    ):
        self.dm_version = _version(dm_version)
        super().__init__(self._source, f'dm_{self.dm_version}', root_dir, is_categorized, **kwargs)


class DMV1ToV2Converter(Converter):
    """DM v1 dataset -> DM v2 dataset (same layout; every media and tool converted, see ``dm.v1_to_v2``)."""

    def __init__(self, root_dir: str | Path, is_categorized: bool = False, **kwargs: Any):
        super().__init__('dm_v1', 'dm_v2', root_dir, is_categorized, **kwargs)


class DMV2ToV1Converter(Converter):
    """DM v2 dataset -> canonical DM v1 dataset."""

    def __init__(self, root_dir: str | Path, is_categorized: bool = False, **kwargs: Any):
        super().__init__('dm_v2', 'dm_v1', root_dir, is_categorized, **kwargs)


class FromDMToYOLOConverter(_FromDM):
    """DM -> YOLO (Ultralytics layout). Options: ``task`` ('auto' | 'detect' | 'segment' | 'pose'),
    ``pose_class`` (default 'person'), ``keypoint_names`` (joint order)."""

    _target = DatasetFormat.YOLO


class YOLOToDMConverter(_ToDM):
    """YOLO -> DM. Class names come from ``class_names``, else data.yaml/dataset.yaml, else classes.txt."""

    _source = DatasetFormat.YOLO


class FromDMToCOCOConverter(_FromDM):
    """DM -> COCO. Options: ``pose_class`` (category of keypoint groups without a ``group`` annotation),
    ``keypoint_names`` (joint order)."""

    _target = DatasetFormat.COCO


class COCOToDMConverter(_ToDM):
    """COCO -> DM (boxes, polygons, RLE masks, keypoints, CVAT-style attributes)."""

    _source = DatasetFormat.COCO


class FromDMToPascalConverter(_FromDM):
    """DM -> Pascal VOC (XML boxes, ImageSets, SegmentationClass/SegmentationObject masks)."""

    _target = DatasetFormat.PASCAL


class PascalToDMConverter(_ToDM):
    """Pascal VOC -> DM (boxes, and masks from SegmentationObject)."""

    _source = DatasetFormat.PASCAL


_NAMED: dict[tuple[DatasetFormat, DatasetFormat], type[BaseConverter]] = {
    (DatasetFormat.DM_V1, DatasetFormat.DM_V2): DMV1ToV2Converter,
    (DatasetFormat.DM_V2, DatasetFormat.DM_V1): DMV2ToV1Converter,
}
for _fmt, (_from_dm, _to_dm) in {
    DatasetFormat.YOLO: (FromDMToYOLOConverter, YOLOToDMConverter),
    DatasetFormat.COCO: (FromDMToCOCOConverter, COCOToDMConverter),
    DatasetFormat.PASCAL: (FromDMToPascalConverter, PascalToDMConverter),
}.items():
    for _dm in (DatasetFormat.DM_V1, DatasetFormat.DM_V2):
        _NAMED[(_dm, _fmt)] = _from_dm
        _NAMED[(_fmt, _dm)] = _to_dm


def supported_pairs() -> list[tuple[str, str]]:
    """Every ``(source, target)`` pair ``get_converter`` accepts: each ordered pair of two different formats
    (20 directions)."""
    return [(s.value, t.value) for s in DatasetFormat for t in DatasetFormat if s is not t]


def get_converter(
    source: DatasetFormat | str,
    target: DatasetFormat | str,
    root_dir: str | Path | None = None,
    is_categorized: bool = False,
    **options: Any,
) -> BaseConverter:
    """The converter for ``source -> target`` over the dataset at ``root_dir``.

    ``source``/``target``: a ``DatasetFormat`` or its value (``'dm_v1'``, ``'dm_v2'``, ``'yolo'``, ``'coco'``,
    ``'pascal'``; ``'voc'`` is accepted for Pascal VOC); any two different formats. Other keyword options go to
    the converter (see ``BaseConverter`` and the target's ``WRITER_OPTIONS``).
    """
    src, dst = DatasetFormat.parse(source), DatasetFormat.parse(target)
    if src is dst:
        pairs = ', '.join(f'{s}->{t}' for s, t in supported_pairs())
        raise ValueError(f'no converter from {src.value} to {dst.value}; supported pairs: {pairs}')
    if root_dir is None:
        raise ValueError('get_converter needs root_dir (the source dataset directory)')
    if 'dm_version' in options:
        version = _version(options.pop('dm_version'))
        dm_side = [f for f in (src, dst) if f.is_dm]
        if len(dm_side) != 1 or dm_side[0].value != f'dm_{version}':
            raise ValueError(f'dm_version={version!r} contradicts the {src.value}->{dst.value} pair')
    named = _NAMED.get((src, dst))
    if named is not None and issubclass(named, _FromDM | _ToDM):
        dm = src if src.is_dm else dst
        return named(root_dir, is_categorized, dm_version=dm.value.removeprefix('dm_'), **options)
    if named is not None:
        return named(root_dir, is_categorized, **options)
    return Converter(src, dst, root_dir, is_categorized, **options)
