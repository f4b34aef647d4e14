"""Every resource the generic API routes and forms serve: the registry's records, and the
screening's notices and registers (same Resource shape, same service path)."""

from __future__ import annotations

from typing import Any

from hoptac.registry import service as svc
from hoptac.screening import service as screening

RESOURCES: dict[str, svc.Resource[Any]] = {**svc.RESOURCES, **screening.RESOURCES}
