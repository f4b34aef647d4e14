"""Shared assertions for the test suite."""
