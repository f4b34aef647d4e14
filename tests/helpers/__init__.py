"""Shared assertions, data and set-ups for the test suite (no test module imports
from another: what two modules need lives here, their fixtures in tests/conftest.py)."""
