"""`StepRegistry`: the ordered list of steps of a workflow.

Category bases build a default registry; plugin authors extend it by inserting their own steps
before or after a named one, or by replacing a step under the same name.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Generic

from synapse_sdk.plugins.steps.base import BaseStep, C
from synapse_sdk.plugins.steps.errors import StepRegistryError

__all__ = ['StepRegistry']


class StepRegistry(Generic[C]):
    """Ordered, name-unique collection of steps.

    Every method that adds a step rejects a name already present (`StepRegistryError`), so a
    workflow can never run two steps that would share progress and results under one name.
    """

    def __init__(self, steps: list[BaseStep[C]] | None = None) -> None:
        self._steps: list[BaseStep[C]] = []
        for step in steps or []:
            self.register(step)

    # -- adding ---------------------------------------------------------------------------------
    def register(self, step: BaseStep[C]) -> StepRegistry[C]:
        """Append `step` at the end. Returns the registry, so calls can be chained."""
        self._insert(len(self._steps), step)
        return self

    def insert_before(self, anchor: str, step: BaseStep[C]) -> StepRegistry[C]:
        """Insert `step` just before the step named `anchor`."""
        self._insert(self._index(anchor), step)
        return self

    def insert_after(self, anchor: str, step: BaseStep[C]) -> StepRegistry[C]:
        """Insert `step` just after the step named `anchor`."""
        self._insert(self._index(anchor) + 1, step)
        return self

    def replace(self, name: str, step: BaseStep[C]) -> StepRegistry[C]:
        """Put `step` in the place of the step named `name` (the new step may keep that name)."""
        index = self._index(name)
        self._check_step(step, ignore=name)
        self._steps[index] = step
        return self

    def unregister(self, name: str) -> BaseStep[C]:
        """Remove and return the step named `name`."""
        return self._steps.pop(self._index(name))

    # -- reading --------------------------------------------------------------------------------
    def get(self, name: str) -> BaseStep[C]:
        return self._steps[self._index(name)]

    def get_steps(self) -> list[BaseStep[C]]:
        """A copy of the steps, in run order."""
        return list(self._steps)

    @property
    def names(self) -> list[str]:
        return [step.name for step in self._steps]

    @property
    def total_weight(self) -> float:
        return sum(float(step.progress_weight) for step in self._steps)

    def __contains__(self, name: object) -> bool:
        return any(step.name == name for step in self._steps)

    def __iter__(self) -> Iterator[BaseStep[C]]:
        return iter(list(self._steps))

    def __len__(self) -> int:
        return len(self._steps)

    def __repr__(self) -> str:
        return f'StepRegistry({self.names})'

    # -- internals ------------------------------------------------------------------------------
    def _index(self, name: str) -> int:
        for index, step in enumerate(self._steps):
            if step.name == name:
                return index
        known = ', '.join(repr(n) for n in self.names) or 'none'
        raise StepRegistryError(f'No step named {name!r} in the workflow; steps: {known}')

    def _insert(self, index: int, step: BaseStep[C]) -> None:
        self._check_step(step)
        self._steps.insert(index, step)

    def _check_step(self, step: BaseStep[C], ignore: str | None = None) -> None:
        if not isinstance(step, BaseStep):
            raise StepRegistryError(f'Expected a BaseStep instance, got {type(step).__name__}: {step!r}')
        name = getattr(step, 'name', None)
        if not isinstance(name, str) or not name:
            raise StepRegistryError(f'Step {type(step).__name__} has no name (a non-empty str)')
        weight = step.progress_weight
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or weight < 0
        ):
            raise StepRegistryError(
                f'Step {name!r} has an invalid progress_weight {weight!r} (need a number >= 0)'
            )
        if name != ignore and name in self:
            raise StepRegistryError(f'A step named {name!r} is already registered; step names must be unique')
