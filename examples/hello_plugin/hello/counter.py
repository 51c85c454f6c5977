"""A class action: `BaseAction[Params]` with progress, metrics and events."""

from pydantic import BaseModel, Field

from synapse_sdk.plugins import BaseAction
from synapse_sdk.plugins.enums import PluginCategory


class CountParams(BaseModel):
    to: int = Field(default=5, ge=1, le=1_000_000, description='Count from 1 up to this number')
    step: int = Field(default=1, ge=1, description='Increment')


class CountResult(BaseModel):
    total: int
    count: int


class CountAction(BaseAction[CountParams]):
    """Count to a number."""

    action_name = 'count'
    category = PluginCategory.CUSTOM
    result_model = CountResult

    def execute(self) -> CountResult:
        total = 0
        count = 0
        for value in range(1, self.params.to + 1, self.params.step):
            total += value
            count += 1
            self.set_progress(value, self.params.to, step='count')
        self.set_metrics({'sum': total, 'numbers': count}, step='count')
        self.log('counted', {'sum': total})
        self.ctx.log_message('Counting finished', 'success')
        return CountResult(total=total, count=count)
