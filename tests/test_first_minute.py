"""A newcomer's first minute: the README's two fresh-machine commands, the virtual
environment they make for a python3 that refuses system-wide installs (PEP 668), and a
clear message when the demo extra is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_fresh_machine_commands_are_the_scripts() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    quick = readme[readme.index("## Quick start (fresh machine)"):
                   readme.index("## Scanning your own estate")]
    commands = re.findall(r"```sh\n(.*?)\n```", quick, flags=re.S)
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    for script in ("demo.sh", "test.sh", "_env.sh"):
        subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)], check=True)


def test_scripts_use_a_virtual_environment_outside_ci(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "VIRTUAL_ENV")}
    out = subprocess.run(["bash", "-c", ". scripts/_env.sh; use_python; echo \"$PY\"; "
                          "\"$PY\" -c 'import sys; print(sys.prefix != sys.base_prefix)'"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [".venv/bin/python", "True"]
    assert (tmp_path / ".venv" / "bin" / "pip").exists()  # ready for `pip install '.[demo]'`
    # in CI (and inside a virtual environment) the current python3 is used as it is
    ci = subprocess.run(["bash", "-c", ". scripts/_env.sh; use_python; echo \"$PY\""],
                        cwd=tmp_path, env={**env, "CI": "true"}, capture_output=True,
                        text=True, timeout=60)
    assert ci.stdout.strip() == "python3"


BLOCK_DEMO_EXTRA = r"""
import sys

class WithoutDemoExtra:
    # an install without lockin-audit[demo]: moto and trustme cannot be imported
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("moto", "trustme"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, WithoutDemoExtra())
from lockin_audit.cli import main
sys.argv = ["lockin-audit", "demo", "-o", sys.argv[1]]
main()
"""


def test_demo_without_its_extra_says_which_to_install(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", BLOCK_DEMO_EXTRA, str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert "pip install 'lockin-audit[demo]'" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
