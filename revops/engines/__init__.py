"""Helpers that put the warehouse on engines other than DuckDB (dlt lands raw data in DuckDB
or PostgreSQL only)."""
