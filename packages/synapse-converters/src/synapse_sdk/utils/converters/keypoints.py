"""Pose groups: DM keypoints (one annotation per joint, grouped by ``group_id``) <-> per-object joint vectors.

DM stores a pose as keypoint annotations named by joint (``classification``) sharing a ``group_id`` (an object,
see ``objects``); YOLO pose and COCO keypoints store one object with a fixed-order joint vector. The joint order
is the ``keypoint_names`` option, else COCO Person-17 when every observed joint is one of its names, else the
sorted observed names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .dm import stable_id
from .items import Item
from .objects import Obj

__all__ = [
    'PERSON17',
    'PERSON17_FLIP',
    'PERSON17_SKELETON',
    'group_annotations',
    'joint_vector',
    'keypoint_order',
]

PERSON17 = (
    'nose',
    'left_eye',
    'right_eye',
    'left_ear',
    'right_ear',
    'left_shoulder',
    'right_shoulder',
    'left_elbow',
    'right_elbow',
    'left_wrist',
    'right_wrist',
    'left_hip',
    'right_hip',
    'left_knee',
    'right_knee',
    'left_ankle',
    'right_ankle',
)
PERSON17_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
PERSON17_SKELETON = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
    [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
]  # fmt: skip


def keypoint_order(observed: set[str], given: list[str] | None) -> list[str]:
    """The joint order: ``given`` (``keypoint_names``; an empty list means no joints), else from ``observed``."""
    if given is not None:
        return list(given)
    if observed and observed <= set(PERSON17):
        return list(PERSON17)
    return sorted(observed)


def joint_vector(item: Item, obj: Obj, order: list[str]) -> tuple[list[tuple[float, float, int]], int]:
    """The object's joints in ``order`` (``(0, 0, 0)`` = missing) and how many keypoints were placed; a keypoint
    whose joint is already placed or not in ``order`` is reported as a loss."""
    joints = [(0.0, 0.0, 0)] * len(order)
    index = {name: i for i, name in enumerate(order)}
    seen: set[str] = set()
    for kp in obj.keypoints:
        name = kp.get('classification')
        if name in seen:
            item.loss(kp['id'], 'keypoint', 'duplicate_joint', f'joint {name!r} twice in group {obj.key}')
            continue
        if name not in index:
            why = (
                f'{name!r} is not in keypoint_names'
                if order
                else 'keypoint_names is empty: no joints written'
            )
            item.loss(kp['id'], 'keypoint', 'unknown_joint', why)
            continue
        seen.add(name)
        joints[index[name]] = (kp['data'][0], kp['data'][1], int(kp.get('visibility', 2)))
    return joints, len(seen)


def group_annotations(
    stem: str,
    key: object,
    cls: str,
    names: list[str],
    joints: Sequence[tuple[float, float, int]],
    box: list[float] | None,
    ndim: int = 3,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """DM keypoint annotations (one per present joint) and the ``group`` annotation for one pose object."""
    gid = stable_id(stem, key, 'group')
    kps: list[dict[str, Any]] = []
    for j, (x, y, v) in enumerate(joints):
        if v == 0 and x == 0 and y == 0:
            continue  # a missing joint
        name = names[j] if j < len(names) else f'keypoint_{j}'
        kp: dict[str, Any] = {
            'id': stable_id(stem, key, j),
            'classification': name,
            'attrs': [],
            'data': [x, y],
        }
        kp['visibility'] = int(v) if ndim == 3 else 2
        kp['group_id'] = gid
        kps.append(kp)
    if kps:
        kps[0]['bounding_box'] = box
    group = {'id': gid, 'classification': cls, 'attrs': [], 'data': [kp['id'] for kp in kps]}
    return kps, group
