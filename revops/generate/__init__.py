"""Deterministic synthetic CRM (Salesforce) + MAP exports with a ground-truth manifest.

`generate(landing_dir, leads, seed, deviations)` writes one file per chunk for every object
of revops.contract.OBJECTS under landing_dir/<system>/<folder>/ and landing_dir/_manifest.json
with exact row counts and exact deviation counts. See docs/demo-data.md.
"""

from revops.generate.core import generate

__all__ = ["generate"]
