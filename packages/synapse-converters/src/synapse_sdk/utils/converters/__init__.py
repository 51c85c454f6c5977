"""Dataset converters between DataMaker (DM v1/v2), YOLO, COCO and Pascal VOC."""
