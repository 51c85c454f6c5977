"""The CLI's own user-facing messages in English and Korean.

They are registered in the SDK's message catalogue (`synapse_sdk.i18n`) under ``cli.*`` keys, so the
CLI and the plugin runtime pick the language the same way (``--lang``, then ``SYNAPSE_LANGUAGE``).
"""

from __future__ import annotations

from typing import Any

_MESSAGES = {
    'en': {
        'cli.run.start': "Running action '{action}' of {plugin} ({mode})",
        'cli.run.done': "Action '{action}' finished in {seconds:.1f}s",
        'cli.run.job_submitted': "Submitted action '{action}' as Ray job {job_id}",
        'cli.run.job_hint': 'Follow its logs with: synapse plugin job logs {job_id} --follow',
        'cli.run.result': 'Result:',
        'cli.error.prefix': 'Error',
        'cli.error.debug_hint': 'Run again with --debug to see the traceback.',
        'cli.error.params': "Invalid params for action '{action}' ({count} problem(s)):",
        'cli.convert.done': 'Converted {converted} of {total} item(s) from {source} to {target} into {out}',
        'cli.validate.ok': 'Plugin {plugin} is valid: {count} action(s) checked.',
        'cli.validate.failed': 'Plugin {plugin} has {count} problem(s):',
    },
    'ko': {
        'cli.run.start': "{plugin}의 '{action}' 액션 실행 중 ({mode})",
        'cli.run.done': "'{action}' 액션이 {seconds:.1f}초 만에 완료되었습니다",
        'cli.run.job_submitted': "'{action}' 액션을 Ray 작업 {job_id}(으)로 제출했습니다",
        'cli.run.job_hint': '로그 보기: synapse plugin job logs {job_id} --follow',
        'cli.run.result': '결과:',
        'cli.error.prefix': '오류',
        'cli.error.debug_hint': '트레이스백을 보려면 --debug 옵션으로 다시 실행하세요.',
        'cli.error.params': "'{action}' 액션의 파라미터가 올바르지 않습니다 ({count}개 문제):",
        'cli.convert.done': '{total}개 중 {converted}개 항목을 {source}에서 {target}(으)로 변환하여 {out}에 저장했습니다',
        'cli.validate.ok': '플러그인 {plugin}이(가) 유효합니다: 액션 {count}개를 확인했습니다.',
        'cli.validate.failed': '플러그인 {plugin}에 {count}개의 문제가 있습니다:',
    },
}

_registered = False


def t(key: str, language: str | None = None, **kwargs: Any) -> str:
    """The CLI message `key` in `language` (default: ``SYNAPSE_LANGUAGE``, else English), formatted."""
    global _registered
    from synapse_sdk import i18n

    if not _registered:
        i18n.register_messages(_MESSAGES)
        _registered = True
    return i18n.translate(key, language or resolve_cli_language(None), **kwargs)


def resolve_cli_language(option: str | None) -> str:
    """``--lang`` when given, else ``SYNAPSE_LANGUAGE``, else English.

    An unsupported ``--lang`` is a usage error; an unsupported ``SYNAPSE_LANGUAGE`` falls back to
    English, since the variable is shared with other tools and must not break every command.
    """
    import click

    from synapse_sdk import i18n

    supported = i18n.supported_languages()
    if option:
        language = i18n.normalize_language(option)
        if language not in supported:
            raise click.BadParameter(
                f'unsupported language {option!r}; choose one of: {", ".join(supported)}',
                param_hint="'--lang' / '-l'",
            )
        return language
    language = i18n.resolve_language(None)
    return language if language in supported else i18n.DEFAULT_LANGUAGE
