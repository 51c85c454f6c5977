"""Korean catalogue of the SDK's user-facing messages."""

MESSAGES: dict[str, str] = {
    'custom_message': '{message}',
    'plugin_run_started': '{action} 액션을 실행합니다.',
    'plugin_run_complete': '플러그인 실행이 완료되었습니다.',
    'plugin_run_failed': '{action} 액션이 실패했습니다: {error}',
    'params_invalid': '{action} 액션의 파라미터가 올바르지 않습니다: {errors}',
    'backend_client_unavailable': '백엔드 클라이언트를 사용할 수 없어 클라이언트 없이 계속합니다.',
    'result_saved': '결과를 {path}에 저장했습니다.',
}
