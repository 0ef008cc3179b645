"""Settings every test module shares: the order pytest-xdist hands out the test files."""

# The files that take longest, longest first (seconds of one `pytest -n 2` on the 2-core
# machine, 7 Dec 2026, in brackets: 1,382 s of tests in a 724 s run; the first two start
# together). `make test` runs `--dist loadfile --no-loadscope-reorder`: each worker takes the
# next file in this order when it is free. xdist's default order (most tests per file first)
# put the two longest files, which hold few tests, last: the Spark test or the three-run
# orchestration test then ran alone at the end while the other worker idled.
SLOWEST_FIRST = (
    "test_engines_spark.py",  # 267
    "test_orchestration.py",  # 269
    "test_incremental_marts.py",  # 97
    "test_postgres_daily_run.py",  # 82
    "test_engines.py",  # 76
    "test_generate.py",  # 66
    "test_expectations.py",  # 58
    "test_hardening_builds.py",  # 52
    "test_hardening_faults.py",  # 45
    "test_orchestration_definitions.py",  # 44
    "test_dbt_staging.py",  # 42
    "test_semantic_layer.py",  # 35
    "test_orchestration_incremental.py",  # 33
)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: position for position, name in enumerate(SLOWEST_FIRST)}
    # Stable: within a file, and among the files not listed, the collection order stays.
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
