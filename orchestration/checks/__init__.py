"""Asset checks defined outside dbt: the Great Expectations suites (quality.py)."""
