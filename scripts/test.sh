#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian/Ubuntu machine, then run them.
# The DNS tests use a real authoritative server (Knot DNS), the history tests a throwaway
# PostgreSQL cluster and the report tests Chromium, all from the distribution. Python
# packages go into .venv unless in CI or an active virtual environment (scripts/_env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_env.sh

need=()
command -v knotd >/dev/null 2>&1 || need+=(knot knot-dnsutils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)  # the evidence tests check signatures with it
if [ "${#need[@]}" -gt 0 ]; then apt_install "${need[@]}"; fi
# knotd and PostgreSQL are started by the tests as the current user; the services are not needed.
$SUDO systemctl disable --now knot >/dev/null 2>&1 || true
$SUDO systemctl disable --now postgresql >/dev/null 2>&1 || true

use_python
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[test]"
"$PY" -m pytest -q "$@"
