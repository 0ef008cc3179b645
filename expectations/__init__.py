"""Great Expectations suites generated from the shared definitions (seeds/definitions/ and the
`vars: revops:` block of dbt_project.yml), validated inside DuckDB, reported to RevOps.

    adapter.py   the one GX <-> DuckDB adapter (context, datasource, crash detection)
    suites/      one module per subject; each turns definitions into expectations
    run.py       validate every suite against a warehouse file -> Outcome records
    report.py    the RevOps summary (HTML + Markdown), Data Docs, trend against the last run
"""
