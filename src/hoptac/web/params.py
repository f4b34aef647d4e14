"""The integers a request may carry, bounded at the edge: a record id fits the
database's integer column (PostgreSQL `integer`, 2^31 - 1), an offset stays reasonable.
Anything past these is a 422 (API) or a 400 page that names the field, never a 500. The
database layer refuses any whole number past 64 bits besides (`db.engine`), for the
paths that these types do not reach (a JSON body, a form field)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1
MAX_OFFSET = 10_000_000

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="The record id.")]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
