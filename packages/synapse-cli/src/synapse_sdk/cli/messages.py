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
        'cli.error.debug_hint': 'Run again with --debug to see the full traceback.',
        'cli.error.params': "Invalid params for action '{action}' ({count} problem(s)):",
        'cli.error.action_failed': "action '{action}' failed: {error}",
        'cli.error.frame': 'at {file}:{line}, in {function}',
        'cli.error.interrupted': 'interrupted',
        'cli.warning.line': 'Warning: {text}',
        'cli.warning.located': 'Warning: {message} ({category} at {file}:{line})',
        'cli.convert.done': 'Converted {converted} of {total} item(s) from {source} to {target} into {out}',
        'cli.validate.ok': 'Plugin {plugin} is valid: {count} action(s) checked.',
        'cli.validate.failed': 'Plugin {plugin} has {count} problem(s):',
        'cli.login.plain_http': 'Warning: {host} uses plain HTTP; the token will travel unencrypted.',
        'cli.login.not_saved': '{detail}; nothing was saved.',
        'cli.login.rejected_hint': 'Check the token (and --host / --tenant) and try again.',
        'cli.login.unverified_hint': 'Check --host and your network, or pass --no-verify to save the token without checking it.',
        'cli.login.saved_unverified': 'Saved the token for {host} without checking it (--no-verify): not logged in until the backend accepts it.',
        'cli.login.done': 'Logged in to {host}{who}.',
        'cli.login.saved': 'Credentials saved to {path} (readable by you only).',
        'cli.login.prompt': 'Access token',
        'cli.verify.ok': 'authenticated as {who}',
        'cli.verify.rejected': 'the backend at {host} rejected the token ({status})',
        'cli.verify.unreachable': 'could not reach {host}: {reason}',
        'cli.verify.reason.refused': 'connection refused',
        'cli.verify.reason.dns': 'host name not found',
        'cli.verify.reason.timeout': 'no answer within {timeout:g}s',
        'cli.verify.reason.tls': 'TLS handshake failed',
        'cli.verify.reason.other': 'network error',
        'cli.verify.answered': '{host} answered HTTP {status} instead of the user of the token (is it a Synapse backend?)',
        'cli.doctor.fix': 'fix',
        'cli.doctor.summary': '{total} checks: {passed} passed, {warned} warning(s), {skipped} skipped, {failed} failed',
        'cli.doctor.python': 'Python {version} at {path}',
        'cli.doctor.installed': 'installed, version {version}',
        'cli.doctor.not_installed': 'not installed',
        'cli.doctor.optional': 'not installed ({why})',
        'cli.doctor.why.synapse-sdk': 'the meta-package (optional)',
        'cli.doctor.why.synapse-storage': 'needed by plugin publish (archives)',
        'cli.doctor.why.synapse-converters': 'needed by synapse convert',
        'cli.doctor.why.synapse-executors-ray': 'needed by plugin run --mode task|job',
        'cli.doctor.config_broken_fix': 'Fix or delete {path}, then run: synapse login',
        'cli.doctor.config_readable': '{path} is readable by others (mode {mode})',
        'cli.doctor.config_missing': '{path} does not exist',
        'cli.doctor.config_file': 'config file',
        'cli.doctor.token': 'token for {host} (from {where})',
        'cli.doctor.no_token': 'no access token found',
        'cli.doctor.offline': 'skipped (--offline)',
        'cli.doctor.no_credentials': 'skipped (no credentials)',
        'cli.doctor.rejected_fix': 'synapse login (with a valid token)',
        'cli.doctor.unreachable_fix': 'Check your network and the host (synapse config show), or run with --offline.',
        'cli.doctor.no_ray': 'not installed (only --mode local is available)',
        'cli.doctor.ray_without_executors': 'ray {version} found but synapse-executors-ray is missing',
        'cli.doctor.ray_ok': 'ray {version} available for --mode task|job',
    },
    'ko': {
        'cli.run.start': "{plugin}의 '{action}' 액션 실행 중 ({mode})",
        'cli.run.done': "'{action}' 액션이 {seconds:.1f}초 만에 완료되었습니다",
        'cli.run.job_submitted': "'{action}' 액션을 Ray 작업 {job_id}(으)로 제출했습니다",
        'cli.run.job_hint': '로그 보기: synapse plugin job logs {job_id} --follow',
        'cli.run.result': '결과:',
        'cli.error.prefix': '오류',
        'cli.error.debug_hint': '전체 트레이스백을 보려면 --debug 옵션으로 다시 실행하세요.',
        'cli.error.params': "'{action}' 액션의 파라미터가 올바르지 않습니다 ({count}개 문제):",
        'cli.error.action_failed': "'{action}' 액션이 실패했습니다: {error}",
        'cli.error.frame': '위치: {file}:{line}, {function} 함수',
        'cli.error.interrupted': '중단되었습니다',
        'cli.warning.line': '경고: {text}',
        'cli.warning.located': '경고: {message} ({file}:{line}의 {category})',
        'cli.convert.done': '{total}개 중 {converted}개 항목을 {source}에서 {target}(으)로 변환하여 {out}에 저장했습니다',
        'cli.validate.ok': '플러그인 {plugin}이(가) 유효합니다: 액션 {count}개를 확인했습니다.',
        'cli.validate.failed': '플러그인 {plugin}에 {count}개의 문제가 있습니다:',
        'cli.login.plain_http': '경고: {host}은(는) 암호화되지 않은 HTTP를 사용하므로 토큰이 평문으로 전송됩니다.',
        'cli.login.not_saved': '{detail}. 아무것도 저장하지 않았습니다.',
        'cli.login.rejected_hint': '토큰(과 --host / --tenant)을 확인한 뒤 다시 시도하세요.',
        'cli.login.unverified_hint': '--host와 네트워크를 확인하거나, 확인 없이 토큰을 저장하려면 --no-verify를 지정하세요.',
        'cli.login.saved_unverified': '{host}용 토큰을 확인 없이 저장했습니다 (--no-verify): 백엔드가 토큰을 받아들이기 전까지는 로그인된 것이 아닙니다.',
        'cli.login.done': '{host}에 로그인했습니다{who}.',
        'cli.login.saved': '자격 증명을 {path}에 저장했습니다 (본인만 읽을 수 있음).',
        'cli.login.prompt': '액세스 토큰',
        'cli.verify.ok': '{who}(으)로 인증됨',
        'cli.verify.rejected': '{host}의 백엔드가 토큰을 거부했습니다 ({status})',
        'cli.verify.unreachable': '{host}에 연결할 수 없습니다: {reason}',
        'cli.verify.reason.refused': '연결이 거부되었습니다',
        'cli.verify.reason.dns': '호스트 이름을 찾을 수 없습니다',
        'cli.verify.reason.timeout': '{timeout:g}초 안에 응답이 없습니다',
        'cli.verify.reason.tls': 'TLS 핸드셰이크에 실패했습니다',
        'cli.verify.reason.other': '네트워크 오류',
        'cli.verify.answered': '{host}이(가) 토큰의 사용자 대신 HTTP {status}(으)로 응답했습니다 (Synapse 백엔드가 맞나요?)',
        'cli.doctor.fix': '해결',
        'cli.doctor.summary': '검사 {total}개: 통과 {passed}, 경고 {warned}, 건너뜀 {skipped}, 실패 {failed}',
        'cli.doctor.python': '{path}의 Python {version}',
        'cli.doctor.installed': '설치됨, 버전 {version}',
        'cli.doctor.not_installed': '설치되지 않음',
        'cli.doctor.optional': '설치되지 않음 ({why})',
        'cli.doctor.why.synapse-sdk': '메타 패키지, 선택 사항',
        'cli.doctor.why.synapse-storage': 'plugin publish(압축 파일)에 필요',
        'cli.doctor.why.synapse-converters': 'synapse convert에 필요',
        'cli.doctor.why.synapse-executors-ray': 'plugin run --mode task|job에 필요',
        'cli.doctor.config_broken_fix': '{path}을(를) 고치거나 지운 뒤 실행하세요: synapse login',
        'cli.doctor.config_readable': '다른 사용자도 {path}을(를) 읽을 수 있습니다 (모드 {mode})',
        'cli.doctor.config_missing': '{path}이(가) 없습니다',
        'cli.doctor.config_file': '설정 파일',
        'cli.doctor.token': '{host}용 토큰 (출처: {where})',
        'cli.doctor.no_token': '액세스 토큰이 없습니다',
        'cli.doctor.offline': '건너뜀 (--offline)',
        'cli.doctor.no_credentials': '건너뜀 (자격 증명 없음)',
        'cli.doctor.rejected_fix': 'synapse login (유효한 토큰으로)',
        'cli.doctor.unreachable_fix': '네트워크와 호스트를 확인하거나 (synapse config show) --offline으로 실행하세요.',
        'cli.doctor.no_ray': '설치되지 않음 (--mode local만 사용 가능)',
        'cli.doctor.ray_without_executors': 'ray {version}은(는) 있지만 synapse-executors-ray가 없습니다',
        'cli.doctor.ray_ok': 'ray {version}: --mode task|job 사용 가능',
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
