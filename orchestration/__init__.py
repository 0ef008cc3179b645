"""Dagster code for the RevOps warehouse: `definitions.py` is the entry point."""
