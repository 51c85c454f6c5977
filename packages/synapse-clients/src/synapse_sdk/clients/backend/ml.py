"""Models, ground truths, ground-truth events and dataset versions (v1)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from synapse_sdk.clients.backend._models import ModelCreateRequest, validate_request
from synapse_sdk.clients.backend._pagination import AllRows, DRFPage, list_pages
from synapse_sdk.clients.backend._transport import MixinBase

Params = Mapping[str, Any] | None


class MLMixin(MixinBase):
    if TYPE_CHECKING:
        # DataMixin's, borrowed by create_model to send the model file first (declared for the checker).
        def create_chunked_upload(self, file_path: str | Path) -> dict[str, Any]: ...

    @overload
    def list_models(self, params: Params = None, *, list_all: Literal[False] = False) -> DRFPage: ...
    @overload
    def list_models(self, params: Params = None, *, list_all: Literal[True]) -> AllRows: ...
    @overload
    def list_models(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows: ...
    def list_models(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows:
        return list_pages(self, 'models/', params, list_all=list_all)

    def get_model(self, model_id: int, *, params: Params = None) -> dict[str, Any]:
        """The model record; its ``file`` is a URL (download it with your storage helpers)."""
        return self._get(f'models/{int(model_id)}/', params=params)

    def create_model(self, data: Mapping[str, Any], *, file: str | Path | None = None) -> dict[str, Any]:
        """Create a model; ``file`` (e.g. a zipped checkpoint) is sent by resumable chunked upload first."""
        payload = dict(data)
        if file is not None:
            payload['chunked_upload'] = self.create_chunked_upload(file)['id']
        return self._post('models/', validate_request(ModelCreateRequest, payload, what='model payload'))

    @overload
    def list_ground_truths(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_ground_truths(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_ground_truths(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_ground_truths(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        return list_pages(self, 'ground_truths/', params, list_all=list_all, page_size=page_size)

    @overload
    def list_ground_truth_events(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_ground_truth_events(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_ground_truth_events(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_ground_truth_events(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        """GET ``sdk/ground_truth_events/`` (filters e.g. ``ground_truth_dataset_versions``)."""
        return list_pages(self, 'sdk/ground_truth_events/', params, list_all=list_all, page_size=page_size)

    @overload
    def list_ground_truth_events_data(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_ground_truth_events_data(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_ground_truth_events_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_ground_truth_events_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        return list_pages(
            self, 'sdk/ground_truth_events/data/', params, list_all=list_all, page_size=page_size
        )

    def get_ground_truth_version(self, version_id: int) -> dict[str, Any]:
        return self._get(f'ground_truth_dataset_versions/{int(version_id)}/')

    @overload
    def list_ground_truth_versions(
        self, params: Params = None, *, list_all: Literal[False] = False
    ) -> DRFPage: ...
    @overload
    def list_ground_truth_versions(self, params: Params = None, *, list_all: Literal[True]) -> AllRows: ...
    @overload
    def list_ground_truth_versions(
        self, params: Params = None, *, list_all: bool = False
    ) -> DRFPage | AllRows: ...
    def list_ground_truth_versions(
        self, params: Params = None, *, list_all: bool = False
    ) -> DRFPage | AllRows:
        return list_pages(self, 'ground_truth_dataset_versions/', params, list_all=list_all)
