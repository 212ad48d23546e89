"""Starts a real `kura serve --demo` for the end-to-end checks, on a free port with a fresh data
directory, and gives the tests its base URL and demo admin token."""

import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTDATA = ROOT.parent / "shared" / "testdata"


def kura_binary() -> pathlib.Path:
    # KURA_BIN names a binary explicitly (a copy built elsewhere); otherwise cargo knows where it
    # builds (CARGO_TARGET_DIR, a config file, or ./target).
    if os.environ.get("KURA_BIN"):
        return pathlib.Path(os.environ["KURA_BIN"])
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    target = pathlib.Path(json.loads(metadata.stdout)["target_directory"])
    binary = target / "debug" / "kura"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `cargo build -p kura` first (with the same CARGO_TARGET_DIR)")
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_file(rel: str) -> pathlib.Path:
    path = TESTDATA / rel
    if not path.exists():
        pytest.fail(f"{path} is missing: ../shared/testdata must sit beside the repository")
    return path


class Server:
    def __init__(self, data_dir: pathlib.Path, extra_env: dict | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.flight_port = free_port()
        self.flight = f"grpc://127.0.0.1:{self.flight_port}"
        self.env = dict(
            os.environ,
            KURA_DATA_DIR=str(data_dir),
            KURA_HTTP_ADDR=f"127.0.0.1:{self.port}",
            KURA_FLIGHT_ADDR=f"127.0.0.1:{self.flight_port}",
            KURA_LOG="warn",
            # Small OAI-PMH pages, so that a harvest of the demo data needs resumption tokens.
            KURA_OAI_PAGE_SIZE="2",
            **(extra_env or {}),
        )
        self.env.pop("KURA_DATABASE_URL", None)
        self.log = open(data_dir.parent / "server.log", "w")
        self.proc = subprocess.Popen(
            [str(kura_binary()), "serve", "--demo"], env=self.env, stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        self.token = None
        deadline = time.time() + 120
        line = self.proc.stdout.readline()
        match = re.match(r"KURA_TOKEN=(\S+)", line or "")
        if not match:
            self.stop()
            pytest.fail(f"kura serve --demo printed no token: {line!r}")
        self.token = match.group(1)
        while time.time() < deadline:
            try:
                if requests.get(self.url("/health"), timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("kura did not answer /api/v1/health within 120 s")

    def url(self, path: str) -> str:
        return f"{self.base}/api/v1{path}"

    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def ingest(self, name: str, headers: dict | None = None, polls: int = 600) -> dict:
        """Starts the ingest of dataset `name`'s draft and waits for its job; returns the job as
        it last answered (finished, or still running after `polls` tenths of a second)."""
        headers = headers or self.auth()
        job = requests.post(self.url(f"/datasets/{name}/draft/ingest"), headers=headers, timeout=30).json()
        for _ in range(polls):
            job = requests.get(self.url(f"/datasets/{name}/jobs/{job['id']}"), headers=headers, timeout=30).json()
            if job.get("finished_at"):
                break
            time.sleep(0.1)
        return job

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(kura_binary()), *args], env=self.env, capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"kura {' '.join(args)} failed: {result.stderr}")
        return result

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("kura") / "data"
    srv = Server(data_dir)
    yield srv
    srv.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


class ReadResult:
    """What `kura read` made of one file: its tables as pyarrow Tables and the reader's report."""

    def __init__(self, out: pathlib.Path, proc: subprocess.CompletedProcess):
        import pyarrow.parquet as pq

        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        report_file = out / "report.json"
        self.report = json.loads(report_file.read_text()) if report_file.exists() else None
        self.tables = {}
        if self.report:
            for t in self.report.get("tables", []):
                self.tables[t["name"]] = pq.read_table(t["file"])
        self.extracted = out / "extracted"


@pytest.fixture
def kura_read(tmp_path):
    """Reads a file with `kura read` (the readers ingestion uses) and returns a ReadResult."""

    def read(path: pathlib.Path) -> ReadResult:
        out = tmp_path / "read"
        proc = subprocess.run(
            [str(kura_binary()), "read", str(path), "--out", str(out)], capture_output=True, text=True, timeout=600
        )
        return ReadResult(out / pathlib.Path(path).name, proc)

    return read
