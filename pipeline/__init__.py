"""Dagster wiring (definitions, resources, IO) and the command line."""
