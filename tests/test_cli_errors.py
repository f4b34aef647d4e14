"""Every command says what is wrong in one line, never a traceback: a domain error, a
database that cannot be reached or was never migrated, a migration that cannot run. Run
as an operator runs it (the installed entry point, in a process of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hoptac import __version__

HOPTAC = [sys.executable, "-m", "hoptac.cli.main"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HOPTAC_")}
    return subprocess.run(
        [*HOPTAC, *args], capture_output=True, text=True, env={**base, **(env or {})},
        timeout=120, check=False,
    )  # fmt: skip


def _one_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    for word in words:
        assert word in errors[0], errors[0]


def test_a_domain_error_is_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    assert _run("db", "upgrade", env={"HOPTAC_DATABASE_URL": db}).returncode == 0
    article = tmp_path / "a.txt"
    article.write_text("Đoàn công tác Công an TP. Hồ Chí Minh làm việc với Sở Cảnh sát Busan.\n")
    done = _run(
        "ingest", str(article), "--commit", "--user", "nobody",
        env={"HOPTAC_DATABASE_URL": db, "HOPTAC_HOME": str(tmp_path)},
    )  # fmt: skip
    _one_line(done, "nobody")


def test_a_database_never_migrated_says_to_upgrade(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    done = _run("audit", "verify", env={"HOPTAC_DATABASE_URL": db})
    _one_line(done, "not migrated", "hoptac db upgrade")


def test_an_unreachable_database_is_one_line_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://someone:s3cret-pw@127.0.0.1:1/nothing"
    done = _run("audit", "verify", env={"HOPTAC_DATABASE_URL": url})
    _one_line(done, "cannot be used")
    assert "s3cret-pw" not in done.stderr


def test_an_unknown_revision_is_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    _one_line(_run("db", "upgrade", "nope", env={"HOPTAC_DATABASE_URL": db}), "migration")


def test_version() -> None:
    done = _run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"hoptac {__version__}"


def test_data_and_the_database_url_disagreeing_is_said(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert _run("db", "upgrade", env={"HOPTAC_DATABASE_URL": db}).returncode == 0
    done = _run("peer", "list", "--data", str(tmp_path / "node"), env={"HOPTAC_DATABASE_URL": db})
    assert done.returncode == 0, done.stderr
    assert "HOPTAC_DATABASE_URL is set" in done.stderr and "elsewhere.db" in done.stderr
