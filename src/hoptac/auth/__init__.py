"""Users, roles, sessions, API tokens, agency scoping and the audit log."""
