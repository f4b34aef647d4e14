"""Log lines that input cannot forge: control characters escaped in every formatted line.

A name, a path or a partner's envelope id may carry a line break or a terminal escape; in a
log line it could start a fake entry ("... ok\\n2026-01-01 INFO login admin ok") or rewrite
an operator's terminal. Every formatter the server uses escapes C0 and C1 control
characters, DEL and the Unicode line and paragraph separators in the line it formats (the
message and what the format adds, such as uvicorn's request line). A traceback, appended
after the line, keeps its line breaks but each of its lines is escaped and marked `  | `.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """`text` with every control character written as its escape (`\\n` → `\\x0a`)."""
    return _CONTROL.sub(_escaped, text)


def block(text: str) -> str:
    """A traceback or stack, each line escaped and marked `  | `: an exception message
    that holds a line break cannot start a line that reads as a new entry."""
    return "\n".join(f"  | {escape(line)}" for line in text.splitlines())


class SafeFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return block(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return block(super().formatStack(stack_info))


def access_formatter(**kwargs: Any) -> logging.Formatter:
    """uvicorn's access-line formatter (it decodes the request path), escaping."""
    from uvicorn.logging import AccessFormatter

    class SafeAccessFormatter(AccessFormatter):
        def formatMessage(self, record: logging.LogRecord) -> str:
            return escape(super().formatMessage(record))

    return SafeAccessFormatter(use_colors=False, **kwargs)


LINE = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ACCESS = '%(asctime)s %(levelname)s access: %(client_addr)s "%(request_line)s" %(status_code)s'

# The server's logging (`hoptac serve` hands it to uvicorn): the app's and uvicorn's lines
# on standard error, each through an escaping formatter.
CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"()": SafeFormatter, "fmt": LINE},
        "access": {"()": access_formatter, "fmt": ACCESS},
    },
    "handlers": {
        "line": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stderr",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["line"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "hoptac": {"handlers": ["line"], "level": "INFO", "propagate": False},
    },
}
