import pytest

from synapse_sdk.plugins import types as t
from synapse_sdk.plugins.enums import ExecutionMode, PluginCategory, RunMethod
from synapse_sdk.plugins.models import ActionStatus, LogLevel, ProgressData, RunStatus
from synapse_sdk.plugins.models.logger import LogLevel as LogLevelDirect


def test_seed_004_hierarchy_and_compatibility():
    assert issubclass(t.DMv2Dataset, t.DMDataset) and issubclass(t.DMDataset, t.Dataset)
    assert issubclass(t.ModelWeights, t.Model) and issubclass(t.TestResults, t.Result)
    assert t.YOLODataset.is_compatible_with(t.Dataset)
    assert t.Dataset.is_compatible_with(t.YOLODataset)
    assert not t.YOLODataset.is_compatible_with(t.COCODataset)
    assert not t.ModelWeights.is_compatible_with(t.Dataset)
    assert t.ONNXModel.is_compatible_with(t.Model)


def test_config_names_round_trip():
    assert t.YOLODataset.name == 'yolo_dataset'
    assert t.ModelWeights.name == 'model_weights'
    for name in t.data_type_names():
        assert t.get_data_type(name).name == name
    with pytest.raises(KeyError, match='yolo_dataset'):
        t.get_data_type('yolo')
    assert repr(t.YOLODataset) == '<DataType yolo_dataset>'


def test_custom_type_registers_and_duplicate_names_fail():
    class LidarScan(t.Dataset):
        name = 'lidar_scan_test'

    assert t.get_data_type('lidar_scan_test') is LidarScan
    assert LidarScan.is_compatible_with(t.Dataset)
    with pytest.raises(TypeError, match='already used'):

        class Other(t.Dataset):
            name = 'yolo_dataset'

    # seed 004 writes `class Dataset(DataType): ...`: a subclass without a name is named after its class
    class NamelessScanDataset(t.Dataset): ...

    assert NamelessScanDataset.name == 'nameless_scan_dataset'
    assert t.get_data_type('nameless_scan_dataset') is NamelessScanDataset
    assert 'nameless_scan_dataset' in t.data_type_names()
    # ... and the uniqueness check stays: a derived name taken by another module's class is refused
    with pytest.raises(
        TypeError, match=r"'dataset' of .*\.Dataset is already used by synapse_sdk\.plugins\.types\.Dataset"
    ):

        class Dataset(t.DataType): ...


def test_enums():
    assert [c.value for c in PluginCategory] == [
        'neural_net',
        'export',
        'upload',
        'smart_tool',
        'pre_annotation',
        'post_annotation',
        'data_validation',
        'custom',
    ]
    assert RunMethod('job') is RunMethod.JOB and RunMethod.TASK == 'task' and RunMethod.SERVE == 'serve'
    assert {m.value for m in ExecutionMode} == {'local', 'task', 'job'}


def test_seed_003_models():
    assert LogLevel is LogLevelDirect
    assert {LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARNING, LogLevel.ERROR} <= set(LogLevel)
    assert LogLevel.coerce('SUCCESS') is LogLevel.SUCCESS and LogLevel.coerce('critical') is LogLevel.ERROR
    with pytest.raises(ValueError, match='loud'):
        LogLevel.coerce('loud')
    progress = ProgressData(current=5, total=10, step='train')
    assert (progress.current, progress.total, progress.step) == (5, 10, 'train')
    assert [s.name for s in RunStatus] == ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED']
    assert [s.name for s in ActionStatus] == ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED']
    assert RunStatus.COMPLETED.backend_value == 'SUCCEEDED'
