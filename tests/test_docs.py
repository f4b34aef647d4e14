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


DOCS = Path(__file__).parents[1] / "docs"


def test_every_setting_is_documented() -> None:
    """Every HOPTAC_* variable the settings read is in docs/architecture.md's table."""
    from hoptac.settings import Settings

    table = (DOCS / "architecture.md").read_text(encoding="utf-8")
    missing = [
        f"HOPTAC_{name.upper()}"
        for name in Settings.model_fields
        if f"`HOPTAC_{name.upper()}`" not in table
    ]
    assert missing == [], f"document these in docs/architecture.md (Configuration): {missing}"


def test_every_test_the_security_doc_cites_exists() -> None:
    """docs/security.md maps controls to tests: each cited file and test must exist (a
    name cut short with … must start some test of that file). A bare `::name` refers to
    the file cited last before it."""
    import re

    doc = (DOCS / "security.md").read_text(encoding="utf-8")
    root = Path(__file__).parents[1]
    cite = re.compile(r"(tests/[\w/]+\.py|\b\w+\.py)?::(\w+)(…)?|(tests/[\w/]+\.py)")
    current: Path | None = None
    checked, problems = 0, []
    for m in cite.finditer(doc):
        file = m.group(1) or m.group(4)
        if file:
            found = [root / file] if file.startswith("tests/") else list(root.rglob(file))
            current = found[0] if found and found[0].exists() else None
            if current is None:
                problems.append(file)
                continue
        name, cut = m.group(2), m.group(3)
        if not name or current is None:
            continue
        checked += 1
        pattern = "def " + re.escape(name) + ("" if cut else r"\(")
        if not re.search(pattern, current.read_text(encoding="utf-8")):
            problems.append(f"{current.relative_to(root)}::{name}{cut or ''}")
    assert checked > 30  # the doc does cite tests
    assert problems == [], f"docs/security.md cites tests that do not exist: {problems}"


def _imports() -> dict[str, set[str]]:
    """Which top-level hoptac packages (and modules) each one imports, from the source."""
    import ast

    src = Path(__file__).parents[1] / "src" / "hoptac"
    tops = {p.stem for p in src.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    graph: dict[str, set[str]] = {}
    for file in src.rglob("*.py"):
        owner = file.relative_to(src).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hoptac"):
                module = str(node.module)
                names = [f"hoptac.{a.name}" for a in node.names] if module == "hoptac" else [module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("hoptac.")]
            for name in names:
                top = name.split(".")[1] if name.count(".") else ""
                if top in tops and top != owner and top != "__init__":
                    graph.setdefault(owner, set()).add(top)
    return graph


def test_the_architecture_import_table_is_what_the_code_imports() -> None:
    """docs/architecture.md's "may import" column: every hoptac package a package
    imports is listed there (`web` and `cli` may import all services)."""
    import re

    table = (DOCS / "architecture.md").read_text(encoding="utf-8")
    allowed: dict[str, set[str]] = {}
    for row in re.findall(r"^\| `hoptac\.(\w+)` \|[^\n]*$", table, flags=re.M):
        line = next(x for x in table.splitlines() if x.startswith(f"| `hoptac.{row}` |"))
        cell = line.split("|")[3]
        allowed[row] = {"*"} if "all services" in cell else {
            n.split(".")[0] for n in re.findall(r"`([\w.]+)`", cell)
        }  # fmt: skip
    wrong = {
        pkg: sorted(used - allowed.get(pkg, set()))
        for pkg, used in _imports().items()
        if "*" not in allowed.get(pkg, set()) and used - allowed.get(pkg, set())
    }
    assert wrong == {}, f"imports missing from docs/architecture.md's table: {wrong}"


def test_every_envelope_kind_a_node_takes_has_its_body_in_the_protocol() -> None:
    """docs/exchange-protocol.md §7 describes the body of every kind this node has a handler
    for, and says which kinds it still refuses: a partner building its own node reads them."""
    from hoptac import capabilities
    from hoptac.exchange.envelope import KINDS

    doc = (Path(__file__).parents[1] / "docs" / "exchange-protocol.md").read_text(encoding="utf-8")
    bodies = doc[doc.index("## 7. Bodies by kind") : doc.index("## 8. Transport")]
    handled = capabilities.handled_kinds()
    assert set(handled) <= set(KINDS)
    missing = [kind for kind in handled if f"**`{kind}`**" not in bodies]
    assert missing == [], f"kinds with a handler but no body in §7: {missing}"
    for kind in sorted(set(KINDS) - set(handled)):  # refused: the doc must say so
        assert f"`{kind}` is reserved" in doc, kind
