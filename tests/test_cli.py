"""The `hoptac` command line, run in-process against the test database."""

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hoptac.cli.main import app
from hoptac.names.blocking import name_keys


def test_demo_load_then_user_add_then_login(cli: CliRunner, client: Any) -> None:
    r = cli.invoke(app, ["demo", "load"])
    assert r.exit_code == 0, r.output
    assert "demo login: demo / hoptac-demo-2024" in r.output
    r = cli.invoke(app, ["demo", "load"])
    assert "already loaded" in r.output

    r = cli.invoke(
        app,
        [
            "user",
            "add",
            "--agency",
            "kr-busan-mpa",
            "--role",
            "viewer",
            "--username",
            "busan.liaison",
            "--password-stdin",
        ],
        input="a long passphrase with spaces in it\n",
    )
    assert r.exit_code == 0, r.output
    assert "busan.liaison (viewer)" in r.output
    t = client.post(
        "/api/v1/auth/token",
        data={"username": "busan.liaison", "password": "a long passphrase with spaces in it"},
    )
    assert t.status_code == 200


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["--agency", "no-such-agency", "--role", "viewer", "--username", "x"],
            "longenough\n",
            "no single agency matches 'no-such-agency'",
        ),
        (
            ["--agency", "vn-mps", "--role", "viewer", "--username", "x"],
            "short\n",
            "at least 8 characters",
        ),
        (
            ["--agency", "vn-mps", "--role", "viewer", "--username", "demo"],
            "longenough\n",
            "user 'demo' already exists",
        ),
    ],
)
def test_user_add_errors_are_one_clear_line(
    cli: CliRunner, args: list[str], stdin: str, message: str
) -> None:
    cli.invoke(app, ["demo", "load"])
    r = cli.invoke(app, ["user", "add", *args, "--password-stdin"], input=stdin)
    assert r.exit_code == 1
    assert message in r.output
    assert "Traceback" not in r.output


def test_export_json_and_csv(cli: CliRunner, tmp_path: Path) -> None:
    cli.invoke(app, ["demo", "load"])
    out = tmp_path / "export.json"
    r = cli.invoke(app, ["export", "--format", "json", "--output", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["sources"]) == 5
    assert any(a["signed"] == "2014" and a["kind"] == "mou" for a in doc["agreements"])
    r = cli.invoke(app, ["export", "--format", "csv", "--output", str(tmp_path / "csv")])
    assert r.exit_code == 0, r.output
    with (tmp_path / "csv" / "people.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert any(row["full_name"] == "Mai Hoàng" and row["rank"] == "Thiếu tướng" for row in rows)
    assert len(rows) == len(doc["people"])


def test_export_rejects_an_unknown_format(cli: CliRunner) -> None:
    r = cli.invoke(app, ["export", "--format", "xml"])
    assert r.exit_code != 0
    assert "json or csv" in r.output


def test_names_compare_keys_and_pairs(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["names", "compare", "Vương Kiện", "Wang Jian"])
    assert r.exit_code == 0 and "MATCH" in r.output and "Vương ~ Wang" in r.output
    r = runner.invoke(app, ["names", "keys", "王健"])
    assert "p:wang" in r.output.split()
    # the keys screening blocks on, each with the sound keys it pairs
    printed = {int(line.split()[0], 16) for line in r.output.splitlines()}
    assert printed == name_keys("王健") and "p:jian + p:wang" in r.output
    # the same as JSON, for scripts
    r = runner.invoke(app, ["names", "keys", "王健", "--json"])
    assert {int(k["key"], 16) for k in json.loads(r.stdout)} == name_keys("王健")
    r = runner.invoke(app, ["names", "compare", "Vương Kiện", "Wang Jian", "--json"])
    compared = json.loads(r.stdout)
    assert compared["match"] is True and compared["score"] >= 0.85
    assert "Vương ~ Wang" in compared["explanation"]
    source = tmp_path / "pairs.csv"
    source.write_text("id,a,b\n1,Tập Cận Bình,Xi Jinping\n2,Li Qiang,Li Keqiang\n", "utf-8")
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["names", "compare", "--pairs", str(source), "--output", str(out)])
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(row["id"], row["match"]) for row in rows] == [("1", "1"), ("2", "0")]
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n", "utf-8")
    r = runner.invoke(app, ["names", "compare", "--pairs", str(bad), "--output", str(out)])
    assert r.exit_code == 1 and "needs columns a and b" in r.output


def test_screening_imports_and_a_job_run_from_the_command_line(
    cli: CliRunner, world: dict[str, Any], session: Any, tmp_path: Path
) -> None:
    from hoptac.db.models import ScreeningHit
    from tests.helpers.screening import NOTICES, REGISTER, add_register, principal

    register = add_register(session, principal(session, "hcmc_officer"))
    (tmp_path / "n.csv").write_text(NOTICES, encoding="utf-8")
    (tmp_path / "r.csv").write_text(REGISTER, encoding="utf-8")
    r = cli.invoke(
        app, ["screening", "import-notices", str(tmp_path / "n.csv"), "--user", "hcmc_officer"]
    )
    assert r.exit_code == 0, r.output
    assert "2 added, 0 updated, 3 refused" in r.output and "line 3: name is empty" in r.output
    args = ["screening", "import-records", str(register), str(tmp_path / "r.csv")]
    r = cli.invoke(app, [*args, "--user", "hcmc_viewer"])
    assert r.exit_code == 1 and "may read but not" in r.output
    r = cli.invoke(app, [*args, "--user", "hcmc_officer"])
    assert "4 added" in r.output
    r = cli.invoke(app, ["screening", "run", str(register), "--user", "hcmc_officer"])
    assert r.exit_code == 0, r.output
    assert "done: 2 notices x 4 records, 3 hits (3 to review)" in r.output
    session.expire_all()
    assert session.query(ScreeningHit).count() == 3


def test_the_demo_has_a_register_whose_planted_matches_a_screening_finds(
    cli: CliRunner, session: Any
) -> None:
    import csv

    import sqlalchemy as sa

    from hoptac.db.models import Register, ScreeningHit
    from hoptac.screening import demo

    assert cli.invoke(app, ["demo", "load"]).exit_code == 0
    register = session.scalars(sa.select(Register).where(Register.name == demo.REGISTER_NAME))
    (one,) = register.all()
    r = cli.invoke(app, ["screening", "run", str(one.id), "--user", "demo"])
    with (demo.folder() / "notices.csv").open(encoding="utf-8") as f:
        notices = sum(1 for _ in csv.DictReader(f))
    with (demo.folder() / "hotel-stays.csv").open(encoding="utf-8") as f:
        records = sum(1 for _ in csv.DictReader(f))
    assert r.exit_code == 0 and f"{notices} notices x {records} records" in r.output, r.output
    with (demo.folder() / "truth.csv").open(encoding="utf-8") as f:
        planted = {(row["notice_id"], row["record_id"]) for row in csv.DictReader(f)}
    session.expire_all()
    found = {(h.notice.ref, h.record.ref) for h in session.scalars(sa.select(ScreeningHit))}
    assert len(found & planted) >= len(planted) - 2 and len(found - planted) <= 2
    assert ("N41", "R1501") in found  # Vương Kiện (王健) found as WANG JIAN at the hotel
    assert "already loaded" in cli.invoke(app, ["demo", "load"]).output  # once
