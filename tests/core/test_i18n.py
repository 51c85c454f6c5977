import io

import pytest

from synapse_sdk import i18n
from synapse_sdk.i18n import LocalizedMessage, register_messages, render, resolve_language, translate
from synapse_sdk.i18n.catalog import en, ko
from synapse_sdk.plugins.context import PluginEnvironment
from synapse_sdk.plugins.execution import build_runtime_context
from synapse_sdk.plugins.log_messages import LogMessageCode
from synapse_sdk.plugins.models.logger import LogLevel


def test_catalogues_cover_the_same_keys_and_every_code():
    assert set(en.MESSAGES) == set(ko.MESSAGES)
    assert {code.value for code in LogMessageCode} == set(en.MESSAGES)  # every SDK message, nothing unused
    for key, text in en.MESSAGES.items():
        # same placeholders in both languages
        import string

        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        ko_fields = {f for _, f, _, _ in string.Formatter().parse(ko.MESSAGES[key]) if f}
        assert fields == ko_fields, key
    assert i18n.supported_languages() == ['en', 'ko']


def test_localized_message_both_forms():
    a = LocalizedMessage({'en': 'Processing {count} files', 'ko': '{count}개의 파일을 처리 중'})
    b = LocalizedMessage(en='Processing {count} files', ko='{count}개의 파일을 처리 중')
    c = LocalizedMessage({'en': 'x'}, ko='y')
    assert a == b and hash(a) == hash(b)
    assert a.format('ko', count=3) == '3개의 파일을 처리 중'
    assert a.format('fr', count=3) == 'Processing 3 files'  # falls back to English
    assert c.get('ko') == 'y' and c.get('en') == 'x' and str(c) == 'x'
    assert LocalizedMessage({'ko': 'only'}).get('en') == 'only'
    assert LocalizedMessage({'ko-KR': 'k'}).get('ko') == 'k'
    with pytest.raises(ValueError):
        LocalizedMessage()
    with pytest.raises(TypeError):
        LocalizedMessage({'en': 3})


def test_formatting_problems_never_raise():
    msg = LocalizedMessage({'en': 'mAP {map50:.3f}'})
    with pytest.warns(RuntimeWarning, match='Could not format'):
        assert msg.format('en', map50='high') == 'mAP {map50:.3f}'
    with pytest.warns(RuntimeWarning):
        assert translate('plugin_run_failed', 'en', action='a') == 'Action {action} failed: {error}'
    assert render('literal {braces}') == 'literal {braces}'


def test_language_resolution_order(monkeypatch):
    env = PluginEnvironment({'SYNAPSE_LANGUAGE': 'ko'})
    assert resolve_language() == 'en'
    monkeypatch.setenv('SYNAPSE_LANGUAGE', 'ko_KR')
    assert resolve_language() == 'ko'
    monkeypatch.setenv('SYNAPSE_LANGUAGE', 'en')
    assert resolve_language(env=env) == 'ko'  # ctx.env beats os.environ
    assert resolve_language(context_language='en', env=env) == 'en'
    assert resolve_language('ko', 'en', env) == 'ko'


def test_translate_fallbacks_and_registration():
    assert translate('plugin_run_complete', 'ko') == '플러그인 실행이 완료되었습니다.'
    assert translate('plugin_run_complete', 'fr') == 'Plugin run is complete.'
    assert translate('no_such_key', 'ko') == 'no_such_key'
    register_messages({'en': {'my_plugin_done': 'Done {n}'}, 'ko': {'my_plugin_done': '{n}개 완료'}})
    assert translate('my_plugin_done', 'ko', n=2) == '2개 완료'
    with pytest.raises(TypeError):
        register_messages({'en': {'bad': 3}})


def _ctx(language=None, env=None):
    stream = io.StringIO()
    ctx = build_runtime_context(
        console=stream, language=language, env=env or {}, client=None, v2_client=None, agent_client=None
    )
    return ctx, stream


def test_log_message_forms_and_levels():
    ctx, stream = _ctx(language='ko')
    assert ctx.log_message('plain text') == 'plain text'
    assert ctx.log_message({'en': 'Hi', 'ko': '안녕'}, 'success') == '안녕'
    assert ctx.log_message(LocalizedMessage(en='{n} left', ko='{n}개 남음'), 'warning', n=2) == '2개 남음'
    assert ctx.log_message(LogMessageCode.PLUGIN_RUN_COMPLETE) == '플러그인 실행이 완료되었습니다.'
    assert ctx.log_message(LogMessageCode.PLUGIN_RUN_COMPLETE, language='en') == 'Plugin run is complete.'
    text = ctx.log_message(
        LogMessageCode.CUSTOM_MESSAGE,
        message={'en': 'Custom message', 'ko': '사용자 정의 메시지'},
        level=LogLevel.INFO,
    )
    assert text == '사용자 정의 메시지'
    assert ctx.log_message(message='keyword form') == 'keyword form'
    out = stream.getvalue()
    assert 'SUCCESS 안녕' in out and 'WARNING 2개 남음' in out and 'SUCCESS 플러그인' in out
    with pytest.raises(TypeError, match='message='):
        ctx.log_message(LogMessageCode.CUSTOM_MESSAGE)


def test_log_message_records_the_code_key_for_the_backend():
    from synapse_sdk.loggers import NullLogger

    logger = NullLogger()
    seen = []
    logger._emit = seen.append
    ctx = build_runtime_context(logger=logger, client=None, v2_client=None, agent_client=None)
    ctx.log_message(LogMessageCode.PLUGIN_RUN_FAILED, action='train', error='boom')
    assert seen[0].data == {'content': 'Action train failed: boom', 'key': 'plugin_run_failed'}
    assert seen[0].level is LogLevel.DANGER
    ctx.log_message(LogMessageCode.PLUGIN_RUN_FAILED, 'info', action='train', error='boom')
    assert seen[1].level is LogLevel.INFO  # an explicit level wins over the code's default


def test_context_language_from_env(monkeypatch):
    ctx, _ = _ctx(env={'SYNAPSE_LANGUAGE': 'ko'})
    assert ctx.log_message(LogMessageCode.PLUGIN_RUN_COMPLETE) == '플러그인 실행이 완료되었습니다.'
    monkeypatch.setenv('SYNAPSE_LANGUAGE', 'ko')
    ctx, _ = _ctx()
    assert ctx.resolve_language() == 'ko'
