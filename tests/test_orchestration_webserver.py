"""`dagster-webserver` starts on these definitions and its GraphQL endpoint lists the assets."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
_QUERY = "{ assetNodes { assetKey { path } groupName } }"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_the_webserver_starts_and_its_graphql_endpoint_lists_the_assets(tmp_path):
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path),
           "REVOPS_DUCKDB_PATH": str(tmp_path / "revops.duckdb"),
           "REVOPS_LANDING_DIR": str(tmp_path / "landing")}
    (tmp_path / "dagster.yaml").touch()
    webserver = Path(sys.executable).parent / "dagster-webserver"
    log = tmp_path / "webserver.log"
    server = subprocess.Popen(
        [str(webserver), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        nodes = None
        while nodes is None:
            assert server.poll() is None, log.read_text()[-4000:]
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            try:
                answer = _graphql(port, _QUERY)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
                continue
            # While the code location loads, the answer has no asset nodes yet.
            if answer.get("data", {}).get("assetNodes"):
                nodes = answer["data"]["assetNodes"]
            else:
                time.sleep(1)
        keys = {"/".join(node["assetKey"]["path"]) for node in nodes}
        groups = {node["groupName"] for node in nodes}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert {"landing/crm_lead", "raw/crm_lead", "staging/stg_crm__leads",
            "marts/fct_touchpoints", "reports/data_quality_report", "bi/revops_bi"} <= keys
    assert {"landing", "raw", "staging", "intermediate", "marts", "reports", "bi"} <= groups
