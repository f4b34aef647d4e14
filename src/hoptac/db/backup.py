"""A node's backup: one archive with every table of its database and every file of its key
directory, and the restore of such an archive into an empty database.

The archive is a tar.gz file, written readable by its owner only (it holds the node's
private keys and every secret of the database), with these members in this order:

- `manifest.json`: the format and its version, hoptac's version, the Alembic revision of
  the database, and for each table its columns (name and kind), its row count, the next
  id its sequence would give and the SHA-256 of its member; for each key file its mode,
  size and SHA-256;
- `tables/NAME.jsonl`: one JSON object per row, in primary-key order, every table of
  `Base.metadata` in foreign-key order. Values are written by the column's kind (`_CODECS`),
  so that a SQLite backup restores onto PostgreSQL and back;
- `keys/NAME`: the regular files of the node's key directory (`HOME/keys`).

`restore` checks all it can before writing anything (the manifest, every checksum, an
empty database at the archive's revision, no key file in the way), then inserts every
row in one transaction, in foreign-key order, and writes the key files owner-only before
it commits: a failure leaves the database empty and no key file behind. The checksums
catch a damaged or edited member, not someone who rewrites the manifest as well: the
archive is kept like the keys it holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import stat
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from hoptac import __version__
from hoptac.db.migrate import MIGRATIONS
from hoptac.db.models import Base
from hoptac.errors import InvalidInput
from hoptac.keyfiles import write_private

FORMAT = "hoptac-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KEYS = "keys"
BATCH = 1_000


@dataclass(frozen=True)
class Summary:
    """What a backup wrote or a restore read."""

    revision: str
    tables: int
    rows: int
    files: int


# ---- values: one codec per kind of column ----------------------------------------------


def _kind(column: sa.Column[Any]) -> str:
    """The portable kind of a column's values. A new column type fails the backup here,
    rather than being written in a form the other backend may not read back."""
    t = column.type
    # most specific first: Enum is a String, Text is a String, BigInteger an Integer
    for cls, kind in (
        (sa.JSON, "json"),
        (sa.Enum, "enum"),
        (sa.LargeBinary, "bytes"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Boolean, "bool"),
        (sa.Float, "float"),
        (sa.Integer, "int"),
        (sa.String, "str"),
    ):
        if isinstance(t, cls):
            return kind
    raise NotImplementedError(f"{column.table.name}.{column.name}: no backup form for {t!r}")


def _decode_int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"not an integer: {v!r}")
    return v


def _decode_float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"not a number: {v!r}")
    return float(v)


def _decode_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"not a boolean: {v!r}")
    return v


def _decode_str(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError(f"not a string: {v!r}")
    return v


def _decode_json(v: Any) -> Any:
    # the stored JSON text: "null" is a JSON null, distinct from SQL NULL (None, below)
    return json.loads(_decode_str(v))


# kind -> (value read from the database -> JSON value, JSON value -> value to insert);
# SQL NULL is JSON null for every kind and never reaches a codec.
_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "int": (int, _decode_int),
    "float": (float, _decode_float),  # repr round-trips a double exactly
    "bool": (bool, _decode_bool),
    "str": (str, _decode_str),
    "enum": (str, _decode_str),  # the stored value; the column's type checks it on insert
    "json": (str, _decode_json),  # read as text (see _read_expression)
    "datetime": (datetime.isoformat, lambda v: datetime.fromisoformat(_decode_str(v))),
    "date": (date.isoformat, lambda v: date.fromisoformat(_decode_str(v))),
    "bytes": (
        lambda v: base64.b64encode(bytes(v)).decode("ascii"),
        lambda v: base64.b64decode(_decode_str(v).encode("ascii"), validate=True),
    ),
}


def _read_expression(column: sa.Column[Any], kind: str) -> sa.ColumnElement[Any]:
    if kind == "json":
        # as text: a JSON null and SQL NULL both read back as None through the JSON type
        return sa.cast(column, sa.Text).label(column.name)
    if kind == "enum":
        return sa.type_coerce(column, sa.String()).label(column.name)  # the stored string
    return column


def _columns(table: sa.Table) -> list[list[str]]:
    return [[c.name, _kind(c)] for c in table.columns]


# ---- the schema revision ---------------------------------------------------------------


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def code_revision() -> str:
    """The revision this hoptac's models describe (the migrations' head)."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


# ---- ids: the next value of each table's sequence --------------------------------------


def _sqlite_autoincrement(table: sa.Table) -> bool:
    return bool(table.dialect_options["sqlite"]["autoincrement"])


def _next_id(conn: Connection, table: sa.Table) -> int | None:
    """The id the table would give its next row: past its largest id and past ids its
    sequence gave to rows deleted since (PostgreSQL; SQLite AUTOINCREMENT), which must
    never name another row."""
    column = table.autoincrement_column
    if column is None:
        return None
    top = int(conn.scalar(sa.select(sa.func.max(column))) or 0)
    used: Any = None
    if conn.dialect.name == "postgresql":
        used = conn.scalar(
            sa.text("SELECT pg_sequence_last_value(pg_get_serial_sequence(:t, :c)::regclass)"),
            {"t": conn.dialect.identifier_preparer.format_table(table), "c": column.name},
        )
    elif _sqlite_autoincrement(table):
        used = conn.scalar(
            sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
        )
    return max(top, int(used or 0)) + 1


def _set_next_id(conn: Connection, table: sa.Table, next_id: int) -> None:
    column = table.autoincrement_column
    if column is None:
        return
    next_id = max(next_id, int(conn.scalar(sa.select(sa.func.max(column))) or 0) + 1)
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence(:t, :c), :n, false)"),
            {
                "t": conn.dialect.identifier_preparer.format_table(table),
                "c": column.name,
                "n": next_id,
            },
        )
    elif _sqlite_autoincrement(table):
        conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table.name})
        conn.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
            {"t": table.name, "n": next_id - 1},
        )
    # other SQLite tables give max(id) + 1: nothing is kept to set


# ---- backup ------------------------------------------------------------------------------


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads every table as of one moment, while the app keeps writing."""
    if engine.dialect.name == "postgresql":
        options: dict[str, Any] = {
            "isolation_level": "REPEATABLE READ",
            "postgresql_readonly": True,
        }
        with engine.connect().execution_options(**options) as conn:
            yield conn
            conn.rollback()
        return
    with engine.connect() as conn:
        # pysqlite opens no transaction for a SELECT: without this BEGIN each table would
        # be read as of its own moment
        conn.exec_driver_sql("BEGIN")
        yield conn
        conn.rollback()


def _member_info(name: str, size: int, mode: int = 0o600) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(time.time())
    return info


def _dump(conn: Connection, table: sa.Table, out: IO[bytes]) -> tuple[int, str]:
    """Write the table's rows as JSON lines; (rows, SHA-256 of what was written)."""
    kinds = [(c.name, _kind(c)) for c in table.columns]
    encoders = [_CODECS[kind][0] for _, kind in kinds]
    stmt = sa.select(
        *(_read_expression(c, k) for c, (_, k) in zip(table.columns, kinds, strict=True))
    )
    result = conn.execution_options(yield_per=BATCH).execute(
        stmt.order_by(*table.primary_key.columns)
    )
    digest, rows = hashlib.sha256(), 0
    for row in result:
        obj = {
            name: None if value is None else encode(value)
            for (name, _), encode, value in zip(kinds, encoders, row, strict=True)
        }
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        digest.update(line)
        out.write(line)
        rows += 1
    return rows, digest.hexdigest()


def _key_files(home: Path) -> list[Path]:
    """The regular files of the key directory (links and subdirectories are not keys)."""
    directory = home / KEYS
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if stat.S_ISREG(p.lstat().st_mode))


def backup(engine: Engine, home: Path, archive: Path) -> Summary:
    """Write the node (the database behind `engine`, the key files of `home`) to
    `archive`, a new file readable by its owner only."""
    if archive.exists() or archive.is_symlink():
        raise InvalidInput(f"{archive} exists: a backup never overwrites a file")
    if not archive.parent.is_dir():
        raise InvalidInput(f"{archive.parent} is not a directory")
    tables = Base.metadata.sorted_tables
    # the dumps hold every secret of the database: next to the archive, in a 0700 directory
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".hoptac-backup-") as tmp:
        entries: list[dict[str, Any]] = []
        with _snapshot(engine) as conn:
            revision = _revision(conn)
            if revision is None:
                raise InvalidInput("the database has no schema (run `hoptac db upgrade`)")
            if revision != code_revision():
                raise InvalidInput(
                    f"the database is at revision {revision}, this hoptac at "
                    f"{code_revision()}: back it up with the hoptac that migrated it, "
                    "or run `hoptac db upgrade` first"
                )
            for table in tables:
                with open(Path(tmp) / table.name, "wb") as out:
                    rows, sha = _dump(conn, table, out)
                entries.append(
                    {
                        "name": table.name,
                        "member": f"tables/{table.name}.jsonl",
                        "columns": _columns(table),
                        "rows": rows,
                        "sha256": sha,
                        "next_id": _next_id(conn, table),
                    }
                )
            dialect = conn.dialect.name
        keys = [(p, p.read_bytes(), stat.S_IMODE(p.lstat().st_mode)) for p in _key_files(home)]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "hoptac_version": __version__,
            "alembic_revision": revision,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source_dialect": dialect,
            "tables": entries,
            "files": [
                {
                    "name": p.name,
                    "member": f"{KEYS}/{p.name}",
                    "mode": f"{mode:04o}",
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
                for p, data, mode in keys
            ],
        }
        head = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        part = archive.parent / f".{archive.name}.part"
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise InvalidInput(
                f"{part} exists: another backup is being written, or one stopped half-way "
                "(remove it)"
            ) from None
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                    tar.addfile(_member_info(MANIFEST, len(head)), io.BytesIO(head))
                    for entry in entries:
                        path = Path(tmp) / entry["name"]
                        with open(path, "rb") as f:
                            info = _member_info(entry["member"], path.stat().st_size)
                            tar.addfile(info, f)
                    for p, data, mode in keys:
                        tar.addfile(
                            _member_info(f"{KEYS}/{p.name}", len(data), mode), io.BytesIO(data)
                        )
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(part, archive)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    return Summary(revision, len(entries), sum(e["rows"] for e in entries), len(keys))


# ---- restore -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    name: str
    member: str
    columns: list[list[str]]
    rows: int
    sha256: str
    next_id: int | None


@dataclass(frozen=True)
class _File:
    name: str
    member: str
    sha256: str


@dataclass(frozen=True)
class _Manifest:
    revision: str
    tables: list[_Table]
    files: list[_File]


def _not_ours(archive: Path, why: str) -> InvalidInput:
    return InvalidInput(f"{archive} is not a hoptac backup: {why}")


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> _Manifest:
    try:
        member = tar.extractfile(MANIFEST)
        doc = json.loads(member.read()) if member is not None else None
    except KeyError:
        raise _not_ours(archive, f"no {MANIFEST}") from None
    except (ValueError, tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _not_ours(archive, f"unreadable {MANIFEST} ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _not_ours(archive, f"{MANIFEST} is not a {FORMAT} manifest")
    if doc.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(
            f"{archive}: backup format {doc.get('format_version')!r}; this hoptac reads "
            f"format {FORMAT_VERSION} (restore it with hoptac {doc.get('hoptac_version')})"
        )
    try:
        tables = [
            _Table(
                name=str(t["name"]),
                member=str(t["member"]),
                columns=list(t["columns"]),
                rows=int(t["rows"]),
                sha256=str(t["sha256"]),
                next_id=None if t["next_id"] is None else int(t["next_id"]),
            )
            for t in doc["tables"]
        ]
        files = [
            _File(name=str(f["name"]), member=str(f["member"]), sha256=str(f["sha256"]))
            for f in doc["files"]
        ]
        manifest = _Manifest(str(doc["alembic_revision"]), tables, files)
    except (KeyError, TypeError, ValueError) as exc:
        raise _not_ours(archive, f"malformed {MANIFEST} ({exc!r})") from None
    for f in files:
        if f.name in ("", ".", "..") or "/" in f.name or "\\" in f.name or "\x00" in f.name:
            raise _not_ours(archive, f"key file name {f.name!r}")
    return manifest


def _check_schema(manifest: _Manifest, archive: Path) -> None:
    """The archive's tables and columns are this hoptac's (the revisions are compared
    against the database by _check_target)."""
    ours = {t.name: _columns(t) for t in Base.metadata.sorted_tables}
    theirs = {t.name: t.columns for t in manifest.tables}
    if set(ours) != set(theirs):
        odd = sorted(set(ours) ^ set(theirs))
        raise InvalidInput(f"{archive}: its tables are not this hoptac's ({', '.join(odd)})")
    for name, columns in ours.items():
        if theirs[name] != columns:
            raise InvalidInput(f"{archive}: table {name} has other columns than this hoptac's")


def _verify(tar: tarfile.TarFile, manifest: _Manifest, archive: Path) -> None:
    """Every member named by the manifest is there, a regular file, with its checksum
    (and a table's its row count); no other member is."""
    expected = {t.member for t in manifest.tables} | {f.member for f in manifest.files}
    extra = sorted({m.name for m in tar.getmembers()} - expected - {MANIFEST})
    if extra:
        raise _not_ours(archive, f"unexpected member {extra[0]}")
    for member, sha, rows in [
        *((t.member, t.sha256, t.rows) for t in manifest.tables),
        *((f.member, f.sha256, None) for f in manifest.files),
    ]:
        digest, lines = hashlib.sha256(), 0
        try:
            with _member(tar, member, archive) as data:
                for chunk in iter(lambda: data.read(1 << 20), b""):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise InvalidInput(f"{archive} is damaged: {member}: {exc}") from None
        if digest.hexdigest() != sha:
            raise InvalidInput(f"{archive}: {member} does not match its checksum (damaged?)")
        if rows is not None and lines != rows:
            raise InvalidInput(f"{archive}: {member} holds {lines} rows, not {rows}")


@contextmanager
def _member(tar: tarfile.TarFile, name: str, archive: Path) -> Iterator[IO[bytes]]:
    try:
        info = tar.getmember(name)
    except KeyError:
        raise InvalidInput(f"{archive}: {name} is missing") from None
    data = tar.extractfile(info) if info.isfile() else None
    if data is None:
        raise InvalidInput(f"{archive}: {name} is not a regular file")
    with data:
        yield data


def _check_target(conn: Connection, manifest: _Manifest) -> None:
    revision = _revision(conn)
    if revision is None:
        raise InvalidInput("the database has no schema: run `hoptac db upgrade` first")
    if revision != manifest.revision:
        raise InvalidInput(
            f"the archive is at revision {manifest.revision}, the database at {revision}: "
            "restore into a database at the archive's revision"
        )
    if revision != code_revision():
        raise InvalidInput(
            f"the database is at revision {revision}, this hoptac at {code_revision()}: "
            "restore with the hoptac that wrote the archive, then `hoptac db upgrade`"
        )
    full = [
        t.name
        for t in Base.metadata.sorted_tables
        if conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first() is not None
    ]
    if full:
        raise InvalidInput(
            f"the database already holds data ({', '.join(full)}): restore needs an empty "
            "database, made with `hoptac db upgrade`"
        )


def _late_columns(tables: list[sa.Table]) -> dict[str, list[str]]:
    """Per table, the columns that refer to a row not yet inserted when the table's rows
    are (the same table, or a later one: agencies <-> sources): inserted NULL, set after."""
    order = {t.name: i for i, t in enumerate(tables)}
    late: dict[str, list[str]] = {}
    for table in tables:
        for fk in sorted(table.foreign_keys, key=lambda k: k.parent.name):
            if order[fk.column.table.name] >= order[table.name]:
                if not fk.parent.nullable:
                    raise NotImplementedError(f"{table.name}.{fk.parent.name}: a cycle")
                late.setdefault(table.name, []).append(fk.parent.name)
    return late


def _insert(
    conn: Connection, table: sa.Table, entry: _Table, data: IO[bytes], late: list[str]
) -> list[dict[str, Any]]:
    """Insert the member's rows; the late columns' values come back as UPDATE parameters."""
    decoders = {c.name: _CODECS[_kind(c)][1] for c in table.columns}
    json_columns = {c.name for c in table.columns if _kind(c) == "json"}
    # an UPDATE would set these (updated_at) to now: they are set to the row's own value
    keep = [c.name for c in table.columns if c.onupdate is not None and c.name not in late]
    keys = [c.name for c in table.primary_key.columns]
    digest, rows, batch, updates = hashlib.sha256(), 0, [], []
    for line in data:
        digest.update(line)
        rows += 1
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or set(obj) != set(decoders):
                raise ValueError("not a row of this table")
            row = {
                name: (sa.null() if name in json_columns else None)
                if value is None
                else decoders[name](value)
                for name, value in obj.items()
            }
        except (ValueError, TypeError, binascii.Error) as exc:
            raise InvalidInput(f"{entry.member}, row {rows}: {exc}") from None
        if late and any(row[name] is not None for name in late):
            updates.append({f"b_{n}": row[n] for n in [*keys, *late, *keep]})
            row.update(dict.fromkeys(late))
        batch.append(row)
        if len(batch) == BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    if digest.hexdigest() != entry.sha256 or rows != entry.rows:
        raise InvalidInput(f"{entry.member} changed while it was read")
    return updates


def _open(archive: Path) -> tarfile.TarFile:
    tar = None
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 (the caller closes it)
        tar.getmembers()  # every header read: a truncated archive fails here
        return tar
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        if tar is not None:
            tar.close()
        raise _not_ours(archive, f"not a whole tar.gz archive ({exc})") from None


def restore(engine: Engine, home: Path, archive: Path) -> Summary:
    """Restore `archive` into the empty database behind `engine` (migrated to the
    archive's revision) and the key directory of `home`: all of it, or nothing."""
    if not archive.is_file():
        raise InvalidInput(f"{archive}: no such file")
    tar = _open(archive)
    written: list[Path] = []
    try:
        with tar:
            manifest = _read_manifest(tar, archive)
            _check_schema(manifest, archive)
            with engine.connect() as conn:  # said before reading a large archive through
                _check_target(conn, manifest)
            _verify(tar, manifest, archive)
            keys_dir = home / KEYS
            clash = [f.name for f in manifest.files if os.path.lexists(keys_dir / f.name)]
            if clash:
                raise InvalidInput(
                    f"{keys_dir} already holds {', '.join(clash)}: a restore never "
                    "overwrites key files"
                )
            with engine.begin() as conn:
                _check_target(conn, manifest)  # again, in the transaction that writes
                _insert_all(conn, tar, manifest, archive)
                # before the commit: should it fail, the files written are removed below
                if manifest.files:
                    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                    os.chmod(keys_dir, 0o700)
                for f in manifest.files:
                    with _member(tar, f.member, archive) as data:
                        content = data.read()
                    if hashlib.sha256(content).hexdigest() != f.sha256:
                        raise InvalidInput(f"{archive}: {f.member} changed while it was read")
                    write_private(keys_dir / f.name, content)
                    written.append(keys_dir / f.name)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    rows = sum(t.rows for t in manifest.tables)
    return Summary(manifest.revision, len(manifest.tables), rows, len(manifest.files))


def _insert_all(conn: Connection, tar: tarfile.TarFile, manifest: _Manifest, archive: Path) -> None:
    """Every table's rows, parents first; then the late columns and the sequences."""
    entries = {t.name: t for t in manifest.tables}
    tables = Base.metadata.sorted_tables
    late = _late_columns(tables)
    pending: list[tuple[sa.Table, list[dict[str, Any]]]] = []
    for table in tables:
        entry = entries[table.name]
        with _member(tar, entry.member, archive) as data, _refusal(table):
            pending.append((table, _insert(conn, table, entry, data, late.get(table.name, []))))
    for table, updates in pending:
        if updates:
            keys = [c.name for c in table.primary_key.columns]
            where = [table.c[k] == sa.bindparam(f"b_{k}") for k in keys]
            values: dict[str, Any] = {
                n[2:]: sa.bindparam(n) for n in updates[0] if n[2:] not in keys
            }
            with _refusal(table):
                conn.execute(table.update().where(*where).values(values), updates)
        next_id = entries[table.name].next_id
        if next_id is not None:
            _set_next_id(conn, table, next_id)


@contextmanager
def _refusal(table: sa.Table) -> Iterator[None]:
    """The database's refusal (a constraint; on PostgreSQL a value too long, which SQLite
    had let pass) as one line."""
    try:
        yield
    except sa.exc.StatementError as exc:  # DBAPIError, or a value a column's type refused
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise InvalidInput(
            f"restore failed at table {table.name} (nothing was written): {reason}"
        ) from None
