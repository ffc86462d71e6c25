#!/usr/bin/env bash
# The README's first command on a fresh machine: install lockin-audit with its demo extra
# into a virtual environment (.venv, see scripts/_env.sh) and run the demo. Arguments go to
# `lockin-audit demo` (default: -o lockin-demo). Afterwards: .venv/bin/lockin-audit --help
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_env.sh
use_python
"$PY" -m pip install --quiet --disable-pip-version-check '.[demo]'
if [ "$#" -eq 0 ]; then set -- -o lockin-demo; fi
exec "$PY" -m lockin_audit demo "$@"
