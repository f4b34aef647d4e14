"""Turning news articles about police cooperation into structured records."""
