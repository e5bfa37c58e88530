"""A real multi-node Ray cluster on this machine, for tests: ``ray start`` a head and workers.

Each node is started with ``ray start`` exactly as on a real cluster (one ``--num-cpus`` each), on
the loopback interface, with its own ``--temp-dir`` so that the cluster is invisible to other Ray
users of the machine (``ray.init()`` elsewhere finds its "current cluster" in the default temp
dir, not in ours). It is torn down by killing the processes whose command line names that temp
dir: ``ray stop`` would stop every Ray instance on the machine, including other test runs'.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")


def cluster_env() -> dict[str, str]:
    """Environment for the nodes and for drivers that join them (no token auth on loopback)."""
    env = dict(os.environ)
    env.update(
        RAY_AUTH_MODE="disabled",
        RAY_USAGE_STATS_ENABLED="0",
        RAY_DEDUP_LOGS="0",
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pids_naming(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def _kill_all(marker: str, grace: float = 3.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _pids_naming(marker)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _pids_naming(marker):
            time.sleep(0.1)


@contextlib.contextmanager
def local_cluster(nodes: int = 2, cpus_per_node: int = 1, timeout: float = 60.0) -> Iterator[str]:
    """Start a head and ``nodes - 1`` workers; yield the head's ``host:port`` address."""
    if not RAY.exists():
        raise RuntimeError(f"the ray command is not installed beside {sys.executable}")
    temp_dir = tempfile.mkdtemp(prefix="bmray-", dir="/tmp")  # short: Ray's socket paths have a limit
    port = _free_port()
    address = f"127.0.0.1:{port}"
    env = cluster_env()
    common = ["--num-cpus", str(cpus_per_node), "--num-gpus", "0", "--node-ip-address", "127.0.0.1"]
    try:
        subprocess.run(
            [str(RAY), "start", "--head", "--port", str(port), "--temp-dir", temp_dir, "--include-dashboard", "false",
             "--disable-usage-stats", *common],
            env=env, check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
        for _ in range(nodes - 1):
            subprocess.run(
                [str(RAY), "start", "--address", address, "--disable-usage-stats", *common],
                env=env, check=True, capture_output=True, timeout=timeout,
            )  # fmt: skip
        yield address
    finally:
        _kill_all(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)
