"""English catalogue of the SDK's user-facing messages."""

MESSAGES: dict[str, str] = {
    'custom_message': '{message}',
    'plugin_run_started': 'Running action {action}.',
    'plugin_run_complete': 'Plugin run is complete.',
    'plugin_run_failed': 'Action {action} failed: {error}',
    'params_invalid': 'The parameters for action {action} are invalid: {errors}',
    'backend_client_unavailable': 'The backend client is not available; continuing without it.',
    'result_saved': 'Result saved to {path}.',
}
