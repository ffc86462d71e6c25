"""The wheel carries the built-in checks and templates, installs no top-level `checks`
package, and runs the demo from a fresh virtual environment."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                           "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (whl,) = out.glob("lockin_audit-*.whl")
    return whl


def test_wheel_layout(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("checks/")], "generic top-level checks package"
    top = {n.split("/")[0] for n in names}
    assert top <= {"lockin_audit", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    assert any(n.startswith("lockin_audit/builtin_checks/") and n.endswith(".py") for n in names)
    assert any(n.startswith("lockin_audit/report_templates/") for n in names)
    assert "lockin_audit/schema/report.schema.json" in names
    assert "lockin_audit/data/third_parties.yaml" in names
    assert "lockin_audit/history/migrations/env.py" in names
    assert "lockin_audit/history/migrations/versions/0001_initial.py" in names


def test_fresh_venv_runs_help_and_demo(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # Dependencies come from this interpreter's site-packages (offline); the package
    # itself only from the wheel.
    parent_sites = [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]
    Path(purelib, "_parent_site.pth").write_text("\n".join(dict.fromkeys(parent_sites)) + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                              "--no-index", "--target", purelib, str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    # the console script, as pip would write it for that interpreter
    script = env_dir / "bin" / "lockin-audit"
    script.write_text(f"#!{py}\nimport sys\nfrom lockin_audit.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    assert not (Path(purelib) / "checks").exists()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([str(py), "-c", "import lockin_audit; print(lockin_audit.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True)
    assert where.stdout.strip().startswith(purelib)

    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=60)
    assert helped.returncode == 0 and "demo" in helped.stdout

    listed = subprocess.run([str(script), "checks", "--format", "json"], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) > 0

    # the history store's migrations run from the installed wheel
    hist = subprocess.run([str(script), "history", "--history", str(tmp_path / "h.sqlite"),
                           "--format", "json"], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)
    assert hist.returncode == 0 and json.loads(hist.stdout)["scans"] == [], hist.stderr

    demo = subprocess.run([str(script), "demo", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    report = tmp_path / "out" / "report.html"
    assert report.exists()
    assert demo.stdout.strip().splitlines()[-1].endswith(str(report.resolve()))
