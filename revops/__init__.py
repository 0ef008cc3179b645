"""RevOps alignment warehouse: shared definitions, CRM + MAP ingestion, marts and checks."""

__version__ = "0.1.0"
