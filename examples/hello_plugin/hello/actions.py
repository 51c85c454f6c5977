"""A function action: `@action` on a function taking ``(params, ctx)``."""

from pydantic import BaseModel, Field

from synapse_sdk.i18n import LocalizedMessage
from synapse_sdk.plugins import RuntimeContext, action

GREETING = LocalizedMessage({'en': 'Hello, {name}!', 'ko': '안녕하세요, {name}님!'})


class GreetParams(BaseModel):
    name: str = Field(description='Who to greet')
    times: int = Field(default=1, ge=1, le=10, description='How many times to greet')


class GreetResult(BaseModel):
    message: str
    language: str


@action(name='greet', description='Greet someone', params=GreetParams, result=GreetResult)
def greet(params: GreetParams, ctx: RuntimeContext) -> GreetResult:
    language = ctx.resolve_language()
    message = GREETING.format(language, name=params.name)
    for i in range(params.times):
        ctx.log_message(message, 'info')
        ctx.set_progress(i + 1, params.times, step='greet')
    ctx.set_metrics({'greetings': params.times}, step='greet')
    return GreetResult(message=message, language=language)
