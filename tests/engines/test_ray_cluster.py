"""``--engine ray --address`` on a real two-node Ray cluster (two ``ray start`` nodes on loopback).

The cluster is started the way a user starts one (``ray start --head``, then ``ray start
--address`` on the second node), each node with one CPU, so that the actor pools must spread over
both nodes; the driver is a separate ``babelmill run`` process that joins it, as on a real cluster.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from babelmill.translate.install import install_archive
from tests.engines.ray_cluster import cluster_env, local_cluster

pytest.importorskip("ray")

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"


def _babelmill(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "babelmill", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_two_node_cluster_writes_the_local_corpus(tmp_path: Path, de_en_archive: Path):
    shutil.copytree(SEEDS, tmp_path / "in" / "seeds")
    models = tmp_path / "models"
    install_archive(de_en_archive, models)  # German blocks are translated on the cluster's actors
    env = cluster_env()
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO), env.get("PYTHONPATH", "")])
    common = ["in", "--models-dir", str(models)]

    local = _babelmill(["run", *common, "-o", "local"], tmp_path, env)
    assert local.returncode == 0, local.stderr
    records = [json.loads(line) for line in (tmp_path / "local" / "corpus.jsonl").read_text().splitlines()]
    german = [r for r in records if any(b.get("translation") == "translated" for b in r["blocks"])]
    assert german, "the fixture model translated nothing: the test would prove nothing"

    with local_cluster(nodes=2, cpus_per_node=1) as address:
        on_cluster = ["run", *common, "-o", "ray", "--engine", "ray", "--address", address]
        ray = _babelmill(on_cluster, tmp_path, env)
        assert ray.returncode == 0, ray.stderr
        for name in ("corpus.jsonl", "rejected.jsonl"):
            assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
        manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text())
        engine = json.loads((tmp_path / "ray" / "runs.jsonl").read_text().splitlines()[-1])["engine"]
        assert (engine["name"], engine["nodes"]) == ("ray", 2)  # both nodes ran actors
        assert set(engine["driver_seconds"]) == {"strip", "dedup"}  # the serial work, measured
        first = manifest["stages"]["translate"]
        assert first["cache_misses"] > 0

        # an edited German article on the cluster: its known sentences come from the cache that
        # the driver merged the actors' new translations into at the checkpoint commit
        # The new sentence goes after the first translated paragraph: at a page's tail one more line
        # can tip the cleaner's cut for the closing lines (MODEL.md, weak spots): not this test's subject
        edited = tmp_path / german[0]["source"]["path"]
        after = next(b["line"] for b in german[0]["blocks"] if b.get("translation") == "translated")
        lines = edited.read_text(encoding="utf-8").split("\n")
        lines.insert(after, "Ein ganz neuer Satz in der Mitte.")
        edited.write_text("\n".join(lines), encoding="utf-8")
        again = _babelmill(on_cluster, tmp_path, env)
        assert again.returncode == 0, again.stderr
        _a_node_that_cannot_see_the_inputs_is_a_clear_error(tmp_path, address, models, env)
    second = json.loads((tmp_path / "ray" / "manifest.json").read_text())["stages"]["translate"]
    assert second["cache_hits"] > 0 and second["cache_misses"] == 1  # only the new sentence is translated


def _a_node_that_cannot_see_the_inputs_is_a_clear_error(tmp_path: Path, address: str, models: Path, env) -> None:
    """The driver runs in a mount namespace of its own with the inputs on a tmpfs that only it
    sees: exactly the situation of inputs on a driver-local disk."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode:
        return  # no private mount namespaces here (not root): the check itself is still run above
    private = tmp_path / "driver-only"
    private.mkdir()
    run = [sys.executable, "-m", "babelmill", "run", str(private / "in"), "-o", str(tmp_path / "blind"),
           "--models-dir", str(models), "--engine", "ray", "--address", address]  # fmt: skip
    script = (
        f"mount -t tmpfs none {shlex.quote(str(private))} && cp -r {shlex.quote(str(SEEDS))} "
        f"{shlex.quote(str(private / 'in'))} && exec {shlex.join(run)}"
    )
    blind = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert blind.returncode == 1, blind.stderr
    assert "cannot see" in blind.stderr and str(private / "in") in blind.stderr
    assert "every node sees" in blind.stderr
