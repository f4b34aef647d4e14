"""Requests for assistance between police agencies, the pure core: one explicit state
machine written as data (`states.RULES`: who may take which action from which state, with
which details) and the deadline arithmetic over a request's facts (`deadlines`: targets by
priority, the coercive rhythm, pauses for more information, extensions, overdue as a flag).
No database, no web: the service layer, the API, the pages, the CLI and the inbox all build
on these two modules. See docs/assistance.md."""
