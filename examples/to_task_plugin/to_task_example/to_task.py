"""Pre-annotation from JSON box files (method=file) or from a whole-image prediction (method=inference).

A box file looks like ``{"width": 640, "height": 480, "boxes": [{"class": "car", "x": 1, "y": 2, "w": 30, "h": 20}]}``.
"""

from typing import Any

from synapse_sdk.plugins.actions.to_task import ToTaskAction


def dm_v1_boxes(boxes: list[dict[str, Any]], width: int | None, height: int | None) -> dict[str, Any]:
    """A DM v1 document with one bounding box per entry on ``image_1``."""
    annotations, data = [], []
    for index, box in enumerate(boxes, 1):
        box_id = f'box{index:07d}'
        annotations.append(
            {
                'id': box_id,
                'tool': 'bounding_box',
                'isLocked': False,
                'isVisible': True,
                'isValid': True,
                'isDrawCompleted': True,
                'label': [],
                'classification': {'class': box['class']},
            }
        )
        data.append(
            {
                'id': box_id,
                'coordinate': {'x': box['x'], 'y': box['y'], 'width': box['w'], 'height': box['h']},
            }
        )
    document = {
        'annotations': {'image_1': annotations},
        'annotationsData': {'image_1': data},
        'relations': {'image_1': []},
        'annotationGroups': {'image_1': []},
    }
    if width and height:
        document['extra'] = {'image_1': {'width': width, 'height': height}}
    return document


class ToTask(ToTaskAction):
    action_name = 'to_task'

    def convert_data_from_file(
        self, primary_file_url, primary_file_original_name, data_file_url, data_file_original_name
    ):
        label = self.read_json_url(data_file_url)
        return dm_v1_boxes(label.get('boxes', []), label.get('width'), label.get('height'))

    def run_inference(self, task: dict[str, Any]) -> dict[str, Any]:
        # A stand-in "model": one box covering the image, labelled with the class given in the task meta.
        meta = task.get('meta') or {}
        return {
            'class': meta.get('expected_class', 'object'),
            'width': meta.get('width', 1),
            'height': meta.get('height', 1),
        }

    def convert_data_from_inference(self, data: dict[str, Any]) -> dict[str, Any]:
        box = {'class': data['class'], 'x': 0, 'y': 0, 'w': data['width'], 'h': data['height']}
        return dm_v1_boxes([box], data['width'], data['height'])
