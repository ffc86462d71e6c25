#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian/Ubuntu machine, then run them.
# The DNS tests use a real authoritative server (Knot DNS) from the distribution.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
# The history tests start their own throwaway PostgreSQL cluster from Debian's package.
if ! command -v knotd >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq knot knot-dnsutils postgresql >/dev/null
fi
# knotd is started by the tests as the current user; the Debian service is not needed.
$SUDO systemctl disable --now knot >/dev/null 2>&1 || true
$SUDO systemctl disable --now postgresql >/dev/null 2>&1 || true

python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
python3 -m pytest -q "$@"
