"""Every asset of the graph, layer by layer: landing -> raw -> dbt -> BI copy -> dashboard.

The data-quality report asset lives with its checks (orchestration/checks/quality.py) and is
added in definitions.py: importing it here would make the checks module, which reads these
assets' keys, import itself in a cycle.
"""

from orchestration.assets.ingestion import LANDING_FOLDERS, raw_tables
from orchestration.assets.publish import revops_bi
from orchestration.assets.transformations import revops_dbt_models

ALL_ASSETS = [*LANDING_FOLDERS, raw_tables, revops_dbt_models, revops_bi]

# The dashboard asset comes with the semantic-layer work; the graph includes it once present.
try:
    from orchestration.assets.dashboard import alignment_dashboard
except ModuleNotFoundError as error:
    if error.name != "orchestration.assets.dashboard":
        raise
else:
    ALL_ASSETS.append(alignment_dashboard)
