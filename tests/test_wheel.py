"""The package as a wheel, installed into a fresh virtualenv away from the checkout:
`hoptac --version`, `hoptac db upgrade` and `hoptac demo load` work there (the demo data,
the migrations and the data notices travel in the wheel, not beside the source).

The fresh venv gets hoptac from the wheel only; its dependencies are read from this
test run's environment (a path entry, not an install: offline and quick)."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

from hoptac import __version__

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300,
        env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (cmd, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def test_the_wheel_installs_and_loads_the_demo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", dist, ROOT, cwd=tmp_path)  # fmt: skip
    (wheel,) = dist.glob("hoptac-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "hoptac/demo/seeds.yaml" in names and "hoptac/names/data/NOTICES.txt" in names
    assert any(n.endswith("licenses/src/hoptac/names/data/NOTICES.txt") for n in names)

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    _run(venv / "bin" / "pip", "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp_path)
    (fresh_site,) = (venv / "lib").glob("python3*/site-packages")
    (fresh_site / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    work = tmp_path / "elsewhere"  # not the checkout: nothing may be found beside the source
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOPTAC_", "PYTHON"))}
    env |= {"HOPTAC_HOME": str(work), "HOPTAC_DATABASE_URL": f"sqlite:///{work / 'n.db'}"}
    python, hoptac = venv / "bin" / "python", venv / "bin" / "hoptac"
    where = _run(python, "-c", "import hoptac; print(hoptac.__file__)", cwd=work, env=env)
    assert where.startswith(str(venv)), where  # the wheel's copy, not the checkout's
    assert _run(hoptac, "--version", cwd=work, env=env).strip() == f"hoptac {__version__}"
    _run(hoptac, "db", "upgrade", cwd=work, env=env)
    loaded = _run(hoptac, "demo", "load", cwd=work, env=env)
    assert "demo data loaded" in loaded and "demo login: demo" in loaded
