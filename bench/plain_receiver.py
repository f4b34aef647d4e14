"""The hotline bench's baseline: a minimal HTTP endpoint that stores each POSTed message
as one durable SQLite row (WAL, synchronous=FULL, as a hoptac node) and answers 200: no
signature, no encryption, no receipt, no outbox. Run: plain_receiver.py DB PORT."""

from __future__ import annotations

import sqlite3
import sys
import threading

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

conn = sqlite3.connect(sys.argv[1], check_same_thread=False, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=FULL")
conn.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, body BLOB)")
lock = threading.Lock()


async def store(request: Request) -> JSONResponse:
    body = await request.body()
    with lock:
        cur = conn.execute("INSERT INTO messages (body) VALUES (?)", (body,))
    return JSONResponse({"id": cur.lastrowid})


async def root(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/messages", store, methods=["POST"]), Route("/", root)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
