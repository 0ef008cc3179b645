"""Settings every test module shares: the order pytest-xdist hands out the test files."""

# The files that take minutes, longest first (seconds of one `make test` on the 2-core machine,
# 3 Dec 2026, in brackets). `make test` runs `--dist loadfile --no-loadscope-reorder`: each
# worker takes the next file in this order when it is free. xdist's default order (most tests
# per file first) put these files, which hold few tests, last: the Spark test (349 s) or the
# three-run orchestration test (267 s) then ran alone at the end while the other worker idled.
SLOWEST_FIRST = (
    "test_engines_spark.py",  # 349
    "test_orchestration.py",  # 267
    "test_engines.py",  # 138
    "test_postgres_daily_run.py",  # 108
    "test_hardening_faults.py",  # 102
    "test_expectations.py",  # 83
    "test_orchestration_incremental.py",  # 56
    "test_hardening_builds.py",  # 54
    "test_hardening_blocking.py",  # 45
    "test_semantic_layer.py",  # 40
)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: position for position, name in enumerate(SLOWEST_FIRST)}
    # Stable: within a file, and among the files not listed, the collection order stays.
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
