"""The capabilities that take envelopes from partners, installed in the exchange's inbox.

The inbox (`hoptac.exchange.inbox`) knows no kind of envelope itself: each capability
registers a handler for its kinds when its module is imported. The entry points (the web
app, the CLI) import this module, so that a node refuses no kind it was built to take.
A capability that adds an envelope kind adds its module here.
"""

from __future__ import annotations

from hoptac.assistance import service as assistance  # request
from hoptac.exchange import hotline  # message, status, permission
from hoptac.exchange.inbox import handled_kinds
from hoptac.screening import exchange as notices  # notice

__all__ = ["assistance", "handled_kinds", "hotline", "notices"]
