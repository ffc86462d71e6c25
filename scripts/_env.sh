# Sourced by scripts/test.sh and scripts/demo.sh (not run on its own).
#   apt_install PKG...  installs Debian/Ubuntu packages (with sudo when not root)
#   use_python          sets PY: python3 itself in CI or inside an active virtual
#                       environment; otherwise .venv/bin/python, creating .venv first,
#                       because Debian's and Ubuntu's python3 refuse system-wide pip
#                       installs (PEP 668). A stock python3 without the venv module gets
#                       python3-venv from apt first.
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

use_python() {
  if [ -n "${CI:-}" ] || [ -n "${VIRTUAL_ENV:-}" ]; then
    PY=python3
    return
  fi
  if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv >/dev/null 2>&1; then
      rm -rf .venv
      echo "python3 cannot create a virtual environment: installing python3-venv" >&2
      apt_install python3-venv
      python3 -m venv .venv
    fi
  fi
  PY=.venv/bin/python
}
