"""Real nodes for the tests that run them: each a `hoptac serve` process on loopback with
its own directory and SQLite database, set up and read with the commands an operator uses."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.live import free_port

HOPTAC = [sys.executable, "-m", "hoptac.cli.main"]
TIMEOUT = 90.0  # seconds any wait may take before the test fails


def wait_for(what: str, ok: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class NodeProcess:
    """A node's directory made with `hoptac init`; `start` serves it, `kill` SIGKILLs it."""

    def __init__(self, home: Path, node_id: str, name: str) -> None:
        self.home, self.node_id, self.port = home, node_id, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home.parent / f"{node_id}.log"
        run_cli(
            "init", "--data", str(home), "--node-id", node_id, "--name", name, "--url", self.url
        )

    def start(self, **env: str) -> None:
        environment = {
            **os.environ,
            "HOPTAC_EXCHANGE_MAX_BACKOFF_SECONDS": "0.5",
            "HOPTAC_HOME": str(self.home),
            **env,
        }
        environment.pop("HOPTAC_DATABASE_URL", None)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*HOPTAC, "serve", "--data", str(self.home), "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        wait_for(f"{self.node_id} to start", self.up, 30)

    def up(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.node_id} exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(self.url + "/healthz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        """Read the node's database directly (what its operator could)."""
        with sqlite3.connect(self.home / "hoptac.db", timeout=10) as conn:
            return conn.execute(query).fetchall()

    def received(self) -> list[str]:
        rows = self.sql(
            "SELECT envelope_id FROM envelopes WHERE direction = 'in' AND kind = 'message'"
        )
        return [r[0] for r in rows]


def run_cli(*args: str) -> str:
    """`hoptac ARGS` in a process of its own (no database URL or home inherited): stdout."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOPTAC_DATABASE_URL", "HOPTAC_HOME")}
    done = subprocess.run([*HOPTAC, *args], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout
