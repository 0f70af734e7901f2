"""Dagster assets by stage: inventory → parse → validate → datasets → rollups, and their checks."""
