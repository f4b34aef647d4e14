"""Docs that tests keep honest: every CLI command is in the README."""

from pathlib import Path

import typer

from hoptac.cli.main import app

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(t: typer.Typer, prefix: str = "hoptac") -> list[str]:
    out = [f"{prefix} {c.name or c.callback.__name__}" for c in t.registered_commands]  # type: ignore[union-attr]
    for group in t.registered_groups:
        assert group.typer_instance is not None
        out += _commands(group.typer_instance, f"{prefix} {group.name}")
    return out


def test_every_cli_command_is_in_the_readme() -> None:
    commands = _commands(app)
    assert len(commands) >= 6
    missing = [c for c in commands if c not in README]
    assert missing == [], f"document these in README.md: {missing}"


def test_readme_shows_the_two_setup_commands() -> None:
    assert "make run" in README and "make test" in README
