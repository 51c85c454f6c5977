"""Pose groups: DM keypoints (one annotation per joint, grouped by ``group_id``) <-> per-object joint vectors.

DM stores a pose as keypoint annotations named by joint (``classification``) sharing a ``group_id``; YOLO pose
and COCO keypoints store one object with a fixed-order joint vector. The joint order is the ``keypoint_names``
option, else COCO Person-17 when every observed joint is one of its names, else the sorted observed names.
The object's class is the classification of a DM ``group`` annotation with the group's id, else ``pose_class``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dm import stable_id
from .items import Item

__all__ = ['PERSON17', 'PERSON17_FLIP', 'PERSON17_SKELETON', 'PoseGroup', 'keypoint_order', 'pose_groups']

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
    if given:
        return list(given)
    if observed and observed <= set(PERSON17):
        return list(PERSON17)
    return sorted(observed)


@dataclass
class PoseGroup:
    group_id: str
    cls: str
    joints: list[tuple[float, float, int]]  # in keypoint order; (0, 0, 0) = missing
    box: list[float]  # [x, y, w, h]
    member_ids: list[str]


def pose_groups(item: Item, order: list[str] | None, pose_class: str) -> list[PoseGroup]:
    """Group the item's keypoints; record a loss for anything a joint vector cannot hold.

    With ``order=None`` (the collecting pass) joints are not placed, only checked and their names returned via
    the groups' ``member_ids``.
    """
    group_cls = {
        g['id']: g.get('classification') or pose_class
        for g in item.ann.get('group') or []
        if isinstance(g, dict) and g.get('id')
    }
    members: dict[str, list[dict]] = {}
    for kp in item.ann.get('keypoint') or []:
        gid = kp.get('group_id')
        if not gid:
            item.loss(
                kp['id'], 'keypoint', 'ungrouped_keypoint', 'pose formats hold joints of an object only'
            )
            continue
        members.setdefault(gid, []).append(kp)
    groups = []
    for gid in sorted(members):
        kps = members[gid]
        joints = [(0.0, 0.0, 0)] * len(order or [])
        index = {name: i for i, name in enumerate(order or [])}
        seen: set[str] = set()
        kept = []
        for kp in kps:
            name = kp.get('classification')
            if name in seen:
                item.loss(kp['id'], 'keypoint', 'duplicate_joint', f'joint {name!r} twice in group {gid}')
                continue
            if order is not None and name not in index:
                item.loss(kp['id'], 'keypoint', 'unknown_joint', f'{name!r} is not in keypoint_names')
                continue
            seen.add(name)
            kept.append(kp)
            if order is not None:
                x, y = kp['data'][0], kp['data'][1]
                joints[index[name]] = (x, y, int(kp.get('visibility', 2)))
        if not kept:
            continue
        box = None
        for kp in kept:
            for key in ('group_bbox', 'bounding_box'):
                b = kp.get(key)
                if isinstance(b, list) and len(b) == 4 and b[2] > 0 and b[3] > 0:
                    box = list(b)
                    break
            if box:
                break
        if box is None:
            pts = [(kp['data'][0], kp['data'][1]) for kp in kept if kp.get('visibility', 2) > 0]
            if len(pts) >= 1:
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        if (box is None or box[2] <= 0 or box[3] <= 0) and order is None:
            # Collecting pass: the joint names still count; the loss is reported when writing.
            box = [0, 0, 0, 0]
        elif box is None or box[2] <= 0 or box[3] <= 0:
            for kp in kept:
                item.loss(kp['id'], 'keypoint', 'degenerate_pose_box', f'group {gid} spans no area')
            continue
        groups.append(
            PoseGroup(
                group_id=gid,
                cls=group_cls.get(gid, pose_class),
                joints=joints,
                box=box,
                member_ids=[kp['classification'] for kp in kept],
            )
        )
    return groups


def group_annotations(
    stem: str, key: object, cls: str, names: list[str], joints, box, ndim: int = 3
) -> tuple[list[dict], dict]:
    """DM keypoint annotations (one per present joint) and the ``group`` annotation for one pose object."""
    gid = stable_id(stem, key, 'group')
    kps = []
    for j, (x, y, v) in enumerate(joints):
        if v == 0 and x == 0 and y == 0:
            continue  # a missing joint
        name = names[j] if j < len(names) else f'keypoint_{j}'
        kp = {'id': stable_id(stem, key, j), 'classification': name, 'attrs': [], 'data': [x, y]}
        kp['visibility'] = int(v) if ndim == 3 else 2
        kp['group_id'] = gid
        kps.append(kp)
    if kps:
        kps[0]['bounding_box'] = box
    group = {'id': gid, 'classification': cls, 'attrs': [], 'data': [kp['id'] for kp in kps]}
    return kps, group
