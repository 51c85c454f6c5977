"""Format names and split naming shared by every converter."""

from __future__ import annotations

from enum import StrEnum

__all__ = ['DM_SPLITS', 'DatasetFormat', 'dm_split', 'format_split']


class DatasetFormat(StrEnum):
    """Dataset formats ``get_converter`` understands. Plain strings (``'dm_v2'``, ``'yolo'``) work as well."""

    DM_V1 = 'dm_v1'
    DM_V2 = 'dm_v2'
    YOLO = 'yolo'
    COCO = 'coco'
    PASCAL = 'pascal'

    @classmethod
    def parse(cls, value: DatasetFormat | str) -> DatasetFormat:
        if isinstance(value, cls):
            return value
        key = str(value).strip().lower().replace('-', '_')
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            names = ', '.join(f.value for f in cls)
            raise ValueError(f'unknown dataset format {value!r}; known formats: {names}') from None

    @property
    def is_dm(self) -> bool:
        return self in (DatasetFormat.DM_V1, DatasetFormat.DM_V2)


_ALIASES = {'voc': 'pascal', 'pascal_voc': 'pascal', 'dm': 'dm_v2', 'dmv1': 'dm_v1', 'dmv2': 'dm_v2'}

# DM's categorized layout (spec section 2.2): train and valid are required, test optional.
DM_SPLITS = ('train', 'valid', 'test')
_TO_DM = {'train': 'train', 'val': 'valid', 'valid': 'valid', 'validation': 'valid', 'test': 'test'}
_FROM_DM = {'train': 'train', 'valid': 'val', 'test': 'test'}


def dm_split(name: str) -> str | None:
    """DM split name for a format's split directory name (``val``/``validation`` -> ``valid``); None if unknown."""
    return _TO_DM.get(name.lower())


def format_split(dm_name: str) -> str:
    """Split directory name used when writing YOLO/COCO/VOC (``valid`` -> ``val``, as Ultralytics and COCO do)."""
    return _FROM_DM.get(dm_name, dm_name)
