"""The wheel carries the reading table and the ingest gazetteers: installed from it, name
matching works with the network cut off (no data is fetched at run time)."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]

CHECK = textwrap.dedent(
    """
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    import hoptac
    from hoptac.names import compare
    from hoptac.names.batch import NameTable
    from hoptac.names.blocking import described_keys

    assert hoptac.__file__.startswith(sys.argv[1]), hoptac.__file__
    assert compare("Vương Kiện", "王健").match
    assert compare("Park Geun-hye", "박근혜").match
    assert "p:jin + p:xi" in described_keys("習近平").values()
    table = NameTable(["Tập Cận Bình", "Xi Jinping"])
    assert table.score([0], [1])[0] >= 0.85
    from hoptac.ingest.gazetteer import gazetteer
    assert [m.key for m in gazetteer().agencies_in("Công an TP.HCM")] == ["vn-hcmc-police"]
    print("ok")
    """
)


def test_installed_wheel_matches_names_offline(tmp_path: Path) -> None:
    # Build from a copy, so that the checkout gets no build/ directory.
    source, wheels, target = tmp_path / "source", tmp_path / "wheels", tmp_path / "site"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    build += ["--no-build-isolation", "--wheel-dir", str(wheels), str(source)]
    subprocess.run(build, check=True, capture_output=True)
    (wheel,) = wheels.glob("hoptac-*.whl")
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
    subprocess.run([*install, "--target", str(target), str(wheel)], check=True)
    script = "import sys\n" + CHECK
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
