"""The `hoptac` command line."""
