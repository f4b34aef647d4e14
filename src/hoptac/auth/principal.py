"""Who is asking: the authenticated user as the services see it."""

from __future__ import annotations

from dataclasses import dataclass

from hoptac.errors import Forbidden
from hoptac.types import Role


@dataclass(frozen=True)
class Principal:
    user_id: int | None  # None: the node itself (CLI loaders), never a web caller
    username: str
    agency_id: int
    role: Role

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.OFFICER)

    @property
    def sees_sources(self) -> bool:
        """Field permission: which source a record was read from, its quoted passage and
        the sources themselves (the attribution of information). Viewers read records
        without them."""
        return self.role in (Role.ADMIN, Role.OFFICER)

    @classmethod
    def node(cls, agency_id: int, acting_as: str) -> Principal:
        """The node itself acting for `agency_id` (a loader, `hoptac init`, the operator's
        command line): not a user, never a web caller; audit rows name `acting_as`."""
        return cls(None, acting_as, agency_id, Role.ADMIN)

    def require_write(self) -> None:
        if not self.can_write:
            raise Forbidden("This account may read but not create or change records.")
