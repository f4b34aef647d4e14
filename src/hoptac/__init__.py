"""hoptac — cooperation between police agencies across borders and provinces."""

__version__ = "0.1.0"
