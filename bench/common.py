"""What the benchmark harnesses share: the release binaries they run and free loopback ports."""

import json
import os
import pathlib
import socket
import subprocess
import sys

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
