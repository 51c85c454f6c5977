"""Upload images, each with an optional JSON sidecar of the same stem as extra meta."""

import json

from synapse_sdk.plugins.actions.upload import BaseUploadAction, OrganizedUnit, UploadContext, UploadParams

IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png']


class Upload(BaseUploadAction[UploadParams]):
    action_name = 'upload'

    def get_allowed_extensions(self):
        return self.params.allowed_extensions or [*IMAGE_EXTENSIONS, '.json']

    def organize_files(self, context: UploadContext) -> list[OrganizedUnit]:
        spec = context.collection['file_specifications'][0]['name']
        sidecars = {p.with_suffix(''): p for p in context.files if p.suffix == '.json'}
        units = []
        for path in context.files:
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            sidecar = sidecars.get(path.with_suffix(''))
            meta = json.loads(sidecar.read_text(encoding='utf-8')) if sidecar else {}
            units.append(OrganizedUnit(files={spec: path}, meta={'original_name': path.name, **meta}))
        return units
