"""Semantic data types: what an action consumes and produces.

Actions declare ``input_type`` / ``output_type`` with these classes so a pipeline can check that
one action's output fits the next one's input before anything runs. Each type has a `name`, the
string used for ``input_type`` / ``output_type`` in config.yaml (``yolo_dataset``,
``model_weights`` ...). Subclass `DataType` (or a more specific type) to add your own; the name is
registered automatically and must be unique. A subclass that sets no `name` is named after its class in
snake case (``class LidarDataset(Dataset): ...`` is ``lidar_dataset``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from synapse_sdk.plugins._naming import snake_case

__all__ = [
    'COCODataset',
    'DMDataset',
    'DMv1Dataset',
    'DMv2Dataset',
    'DataType',
    'Dataset',
    'InferenceResults',
    'Model',
    'ModelWeights',
    'ONNXModel',
    'PascalVOCDataset',
    'Result',
    'TensorRTModel',
    'TestResults',
    'YOLODataset',
    'data_type_names',
    'get_data_type',
]

_REGISTRY: dict[str, type[DataType]] = {}


class _DataTypeMeta(type):
    """Gives the classes themselves a readable repr (``<DataType yolo_dataset>``)."""

    def __repr__(cls) -> str:
        return f'<DataType {cls.__dict__.get("name", cls.__name__)!s}>'


class DataType(metaclass=_DataTypeMeta):
    """Base of every semantic type.

    Two types are compatible when either is a subclass of the other: an action that takes any
    `Dataset` accepts a `YOLODataset`, and one that takes a `YOLODataset` may be fed from an
    action that declares only `Dataset` (it is checked again at run time by params validation).
    """

    name: ClassVar[str] = 'data'
    format: ClassVar[str | None] = None
    description: ClassVar[str] = 'Any data'

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get('name')
        if name is None:  # ``class LidarDataset(Dataset): ...`` is named 'lidar_dataset'
            name = cls.name = snake_case(cls.__name__)
        existing = _REGISTRY.get(name)
        if existing is not None and _where(existing) != _where(
            cls
        ):  # a module run again may redefine its own
            raise TypeError(
                f'DataType name {name!r} of {_where(cls)} is already used by {_where(existing)}: '
                f"give one of them another name (name = '...')"
            )
        _REGISTRY[name] = cls

    @classmethod
    def is_compatible_with(cls, other: type[DataType]) -> bool:
        return issubclass(cls, other) or issubclass(other, cls)


_REGISTRY[DataType.name] = DataType


def _where(cls: type) -> str:
    return f'{cls.__module__}.{cls.__qualname__}'


class Dataset(DataType):
    name = 'dataset'
    description = 'Any dataset'


class DMDataset(Dataset):
    name = 'dm_dataset'
    format = 'dm'
    description = 'Dataset in the DataMaker (DM) format'


class DMv1Dataset(DMDataset):
    name = 'dm_v1_dataset'
    format = 'dm_v1'
    description = 'Dataset in the DataMaker v1 format'


class DMv2Dataset(DMDataset):
    name = 'dm_v2_dataset'
    format = 'dm_v2'
    description = 'Dataset in the DataMaker v2 format'


class YOLODataset(Dataset):
    name = 'yolo_dataset'
    format = 'yolo'
    description = 'Dataset in the YOLO detection format'


class COCODataset(Dataset):
    name = 'coco_dataset'
    format = 'coco'
    description = 'Dataset in the COCO format'


class PascalVOCDataset(Dataset):
    name = 'pascal_voc_dataset'
    format = 'pascal_voc'
    description = 'Dataset in the Pascal VOC format'


class Model(DataType):
    name = 'model'
    description = 'Any model artefact'


class ModelWeights(Model):
    name = 'model_weights'
    description = 'Trained model weights'


class ONNXModel(Model):
    name = 'onnx_model'
    format = 'onnx'
    description = 'Model exported to ONNX'


class TensorRTModel(Model):
    name = 'tensorrt_model'
    format = 'tensorrt'
    description = 'Model optimised with TensorRT'


class Result(DataType):
    name = 'result'
    description = 'Any result'


class TestResults(Result):
    __test__ = False  # not a pytest test class, despite the name
    name = 'test_results'
    description = 'Evaluation metrics'


class InferenceResults(Result):
    name = 'inference_results'
    description = 'Inference predictions'


def get_data_type(name: str) -> type[DataType]:
    """Return the type registered under `name` (a config.yaml string); `KeyError` lists the valid names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f'Unknown data type {name!r}; known types: {", ".join(sorted(_REGISTRY))}') from None


def data_type_names() -> list[str]:
    """Every registered type name, sorted."""
    return sorted(_REGISTRY)
