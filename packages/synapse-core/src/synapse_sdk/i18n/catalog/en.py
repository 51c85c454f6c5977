"""English catalogue of the SDK's user-facing messages."""

MESSAGES: dict[str, str] = {
    'custom_message': '{message}',
    'plugin_run_complete': 'Plugin run is complete.',
    'plugin_run_failed': 'Action {action} failed: {error}',
    'params_invalid': 'The parameters for action {action} are invalid: {errors}',
}
