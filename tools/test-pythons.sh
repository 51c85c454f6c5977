#!/usr/bin/env bash
# Run the test suite on the other supported Pythons (3.12, 3.13) found under pyenv, each in its own
# environment (.venv-3.12, .venv-3.13) so the main .venv is left alone. uv cannot use pyenv's shims
# for another version, so the interpreters are passed by full path.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1
export RAY_USAGE_STATS_ENABLED=0 RAY_AUTH_MODE=disabled RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_ENABLE_UV_RUN_RUNTIME_ENV=0
status=0
for version in ${PYTHONS:-3.12 3.13}; do
  prefix=$(pyenv prefix "$(pyenv versions --bare | grep -E "^${version}(\.|$)" | tail -n 1)" 2>/dev/null || true)
  if [ -z "$prefix" ] || [ ! -x "$prefix/bin/python$version" ]; then
    echo "Python $version: not found under pyenv, skipped"
    continue
  fi
  echo "== Python $version ($prefix)"
  UV_PROJECT_ENVIRONMENT=".venv-$version" uv run --python "$prefix/bin/python$version" \
    --all-packages --all-extras --locked pytest "$@" || status=1
done
exit $status
