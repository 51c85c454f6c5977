"""Korean catalogue of the SDK's user-facing messages."""

MESSAGES: dict[str, str] = {
    'custom_message': '{message}',
    'plugin_run_complete': '플러그인 실행이 완료되었습니다.',
    'plugin_run_failed': '{action} 액션이 실패했습니다: {error}',
    'params_invalid': '{action} 액션의 파라미터가 올바르지 않습니다: {errors}',
}
