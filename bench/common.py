"""What the benchmark harnesses share: the release binaries they run and free loopback ports."""

import json
import os
import pathlib
import socket
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def release_binary(name: str = "kura") -> pathlib.Path:
    """A release binary of this workspace (`KURA_BIN` overrides `kura`); exits naming the build
    command when it is missing."""
    if name == "kura" and os.environ.get("KURA_BIN"):
        return pathlib.Path(os.environ["KURA_BIN"])
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    binary = pathlib.Path(json.loads(out.stdout)["target_directory"]) / "release" / name
    if not binary.exists():
        package = "kura" if name == "kura" else "kura-bench"
        sys.exit(f"{binary} is missing: cargo build --release -p {package}")
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log_name: str, seconds: float = 120):
    """Waits until `url` answers 200; exits naming the log when the server exits or never does."""
    import requests

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
        if proc.poll() is not None:
            sys.exit(f"kura serve exited: see {log_name}")
    sys.exit(f"kura serve did not come up: see {log_name}")
