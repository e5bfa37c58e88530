"""The Ray engine writes exactly the corpus the local engine writes (on a local Ray instance)."""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import sys
from pathlib import Path

import pytest

from babelmill.config import load_config
from babelmill.engines.ray import IN_FLIGHT, RayEngine, _Pool, batch_size, plan, pool_options, steps
from babelmill.report.progress import RunProgress
from babelmill.run import RunError, RunOptions, build_stages, run_pipeline
from babelmill.testing.inputs import write_inputs

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
# every kind of segment: plain stages on an actor pool (read, repair; normalize), a serial stage
# on the driver in between (strip: corpus-wide line counts), a model stage on its own pool
# (translate, with no models: blocks wait), and the stateful dedup on the driver at the end
STAGES = ["read", "repair", "strip", "translate", "normalize", "dedup"]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.toml"
    path.write_text("[pipeline]\nstages = [" + ", ".join(f'"{s}"' for s in STAGES) + "]\n")
    return path


def test_stages_are_cut_into_actor_pools_and_driver_segments(tmp_path: Path):
    stages = build_stages(load_config(_config(tmp_path)), {})
    cut = plan(stages)
    segments = [(kind, [[s.key for s in g] for g in groups]) for kind, groups in cut]
    # strip keeps only its site counts on the driver; its cleaning goes to the next actor pool
    assert segments == [
        ("parallel", [["read", "repair"]]),
        ("serial", [["strip"]]),
        ("parallel", [["strip"], ["translate"], ["normalize"]]),
        ("serial", [["dedup"]]),
    ]
    cleaning = cut[2][1][0][0]
    assert not type(cleaning).once_per_corpus and type(cut[1][1][0][0]).once_per_corpus


@pytest.mark.parametrize(
    "gpus, device, expected",
    [
        (2, None, {"pool": "gpu", "actors": 2, "num_gpus": 1}),  # one actor per GPU, the model loaded once on each
        (0, None, {"pool": "cpu", "actors": 8, "num_gpus": 0}),  # no GPU: the CPU actors translate too
        (2, "cpu", {"pool": "cpu", "actors": 8, "num_gpus": 0}),  # --device cpu keeps translation off the GPUs
    ],
)
def test_translation_actors_take_the_gpus_when_there_are_any(tmp_path: Path, gpus, device, expected):
    stages = {s.key: s for s in build_stages(load_config(_config(tmp_path)), {})}
    pool = pool_options([stages["translate"]], cpus=8, gpus=gpus, device=device)
    assert {k: pool[k] for k in expected} == expected
    plain = pool_options([stages["read"], stages["repair"]], cpus=8, gpus=gpus, device=device)
    assert plain["num_gpus"] == 0 and plain["actors"] == 8 and plain["pool"] == "cpu"
    # consecutive groups on one pool are one step: on CPUs a single task runs the whole chain
    groups = [[stages["strip"]], [stages["translate"]], [stages["normalize"]]]
    cut = [[s.key for s in step["stages"]] for step in steps(groups, cpus=8, gpus=gpus, device=device)]
    on_gpu = expected["pool"] == "gpu"
    assert cut == ([["strip"], ["translate"], ["normalize"]] if on_gpu else [["strip", "translate", "normalize"]])


def test_every_node_is_asked_for_each_models_folder_of_babelmill_models(tmp_path: Path):
    """$BABELMILL_MODELS="a:b" reaches the run as one models_dir; the nodes were asked whether
    they see a path named "a:b", which none does, so a cluster run stopped before any work."""
    from babelmill.stage import RunContext

    folders = f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}"
    engine = RayEngine(context=RunContext(output_dir=tmp_path / "out", models_dir=folders))
    assert engine._shared_paths([]) == [str(tmp_path / "out"), str(tmp_path / "a"), str(tmp_path / "b")]


def test_batches_keep_every_actor_busy_and_translation_efficient():
    cpu, gpu = {"pool": "cpu", "batch_size": 32}, {"pool": "gpu", "batch_size": 256}
    assert batch_size(cpu, 20, actors=2) == 10  # a small run: one batch per actor, none idles
    assert batch_size(cpu, 4000, actors=2) == 125  # sixteen batches per actor: they finish together
    assert batch_size(cpu, 200, actors=2) == 32  # not below the task-overhead floor
    assert batch_size(cpu, 10**6, actors=16) == 256  # nor above translation's own batch
    assert batch_size(gpu, 10**6, actors=2) == 256 and batch_size(gpu, 100, actors=2) == 50


class _SlowHeadRay:
    """Stands in for Ray: actors that echo their batch, and a cluster on which a step's first
    batch finishes only when nothing else is running (a batch of pages to translate among quick
    ones)."""

    def __init__(self):
        self.batches: dict[tuple[int, int], list[int]] = {}  # "object ref" -> its batch
        self.sent_when_head_finished: dict[int, int] = {}  # step -> batches sent by then

    def actor(self):
        def remote(step_index, payload):
            batch = pickle.loads(payload)
            ref = (step_index, batch[0])
            self.batches[ref] = batch
            return ref

        return type("Actor", (), {"run": type("Method", (), {"remote": staticmethod(remote)})})()

    def wait(self, refs, num_returns=1):
        quick = [r for r in refs if r[1] != 0]
        return ([quick[0]] if quick else [refs[0]]), []

    def get(self, ref):
        if ref[1] == 0:
            self.sent_when_head_finished[ref[0]] = sum(1 for r in self.batches if r[0] == ref[0])
        return pickle.dumps((self.batches[ref], []))


def test_a_slow_batch_does_not_idle_the_other_actors_and_order_is_kept():
    fake = _SlowHeadRay()
    engine = object.__new__(RayEngine)
    engine.ray = fake
    engine._pools = {"cpu": _Pool([fake.actor(), fake.actor()])}
    engine._absorb = lambda *args: None
    first, second = ({"pool": "cpu", "index": i, "batch_size": 2} for i in (0, 1))
    # two steps on one pool, the second fed by the first, as a segment chain after a driver stage
    out = list(engine._step(second, [], engine._step(first, [], iter(range(20)))))
    assert out == list(range(20))  # every document, handed on in input order
    # every other batch of a step was sent (and finished) while its first one still ran: handing
    # the batches on in order must not hold new work back from the free actor
    assert fake.sent_when_head_finished == {0: 10, 1: 10}
    # the steps of a chain share the pool: actors full of another step's batches do not end this one
    engine._pools["cpu"].busy = [IN_FLIGHT, IN_FLIGHT]
    assert list(engine._step({"pool": "cpu", "index": 2, "batch_size": 3}, [], iter(range(7)))) == list(range(7))


def test_engine_ray_without_ray_installed_is_a_clear_error(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    (tmp_path / "a.txt").write_text("Some article text.\n")
    opts = RunOptions(inputs=[str(tmp_path / "a.txt")], output_dir=tmp_path / "out", engine="ray")
    with pytest.raises(RunError, match=r"pip install 'babelmill\[ray\]'"):
        run_pipeline(opts)


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    started = not ray.is_initialized()
    if started:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    if started:
        ray.shutdown()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray's own deprecated settings
def test_ray_corpus_is_byte_identical_to_local(local_ray, tmp_path: Path, monkeypatch):
    inputs = tmp_path / "inputs"
    shutil.copytree(SEEDS, inputs / "seeds")
    write_inputs(inputs / "generated", n=200)
    models = tmp_path / "no-models"
    models.mkdir()
    config = _config(tmp_path)

    outs, logs = {}, {}
    monkeypatch.setattr(RunProgress, "INTERVAL", 0.0)  # a progress line per written document
    for engine in ("local", "ray"):
        out = tmp_path / engine
        opts = RunOptions(
            inputs=[str(inputs)],
            output_dir=out,
            config_path=config,
            models_dir=str(models),
            engine=engine,
            log_progress=True,
        )
        logs[engine] = []
        summary = run_pipeline(opts, warn=logs[engine].append)
        outs[engine] = (out, summary)

    (local, s_local), (ray_out, s_ray) = outs["local"], outs["ray"]
    assert s_local.kept > 150 and s_local.duplicates > 0 and s_local.quarantined > 0
    assert (ray_out / "corpus.jsonl").read_bytes() == (local / "corpus.jsonl").read_bytes()
    assert (ray_out / "rejected.jsonl").read_bytes() == (local / "rejected.jsonl").read_bytes()
    assert (s_ray.kept, s_ray.duplicates, s_ray.quarantined) == (s_local.kept, s_local.duplicates, s_local.quarantined)

    # the workers' stage counters reach the manifest
    def counters(out: Path) -> dict:
        stages = json.loads((out / "manifest.json").read_text())["stages"]
        return {k: {c: v for c, v in s.items() if c != "seconds"} for k, s in stages.items()}

    assert counters(ray_out) == counters(local)
    assert json.loads((ray_out / "manifest.json").read_text())["command"]["engine"] == "ray"
    # progress shows every stage, in pipeline order, the remote ones counted from the workers
    last = [line for line in logs["ray"] if "documents written" in line][-1]
    counts = dict(part.rsplit(" ", 1) for part in last.split("stages: ")[1].split(", "))
    assert list(counts) == STAGES
    stats = json.loads((ray_out / "manifest.json").read_text())["stages"]
    for key in ("read", "repair", "translate", "normalize"):  # remote: what the workers reported
        assert int(counts[key]) == stats[key]["documents_in"] > 150
    for key in ("strip", "dedup"):  # on the driver: every document it handed on
        assert int(counts[key]) >= stats[key]["documents_in"] > 150


def test_an_address_where_no_cluster_listens_fails_at_once_in_one_line(tmp_path: Path):
    pytest.importorskip("ray")
    import os
    import socket
    import subprocess

    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    article = tmp_path / "in" / "a.txt"
    article.parent.mkdir()
    article.write_text("The council voted on Tuesday to expand the bike lanes downtown.\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "babelmill", "run", str(article.parent), "-o", str(tmp_path / "out")]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    # before: ray.init retried the address for ever, printing nothing
    res = subprocess.run(
        [*cmd, "--engine", "ray", "--address", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=90, env=env
    )
    assert res.returncode == 1, res.stderr
    assert res.stderr.splitlines() == [
        f"babelmill: error: --address 127.0.0.1:{port}: no Ray cluster answers there (Connection refused); "
        "start one with `ray start --head`, or check the host and port"
    ]


def test_a_local_ray_run_prints_only_its_summary_not_rays_token_notice(tmp_path: Path):
    """Ray warned on every local start that it enabled token authentication and how to disable
    it; a run that starts its own cluster prints its summary alone (Ray's other warnings stay)."""
    pytest.importorskip("ray")
    import os
    import subprocess

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(
        "The council voted on Tuesday to expand the bike lanes downtown after a long debate.\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k != "RAY_AUTH_MODE"}
    env["PYTHONPATH"] = str(REPO / "src")
    cmd = [sys.executable, "-m", "babelmill", "run", str(tmp_path / "in"), "-o", str(tmp_path / "out")]
    res = subprocess.run([*cmd, "--engine", "ray"], capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    assert "Token authentication" not in res.stdout + res.stderr
    assert "1 kept" in res.stdout + res.stderr


def test_only_rays_token_default_notice_is_dropped(caplog):
    from babelmill.engines.ray_connect import _RAY_AUTH_LOGGER, quiet_local_start

    quiet_local_start()
    log = logging.getLogger(_RAY_AUTH_LOGGER)
    with caplog.at_level(logging.WARNING, logger=_RAY_AUTH_LOGGER):
        log.warning("Token authentication is enabled for this Ray cluster. Set RAY_AUTH_MODE=disabled to opt out.")
        log.warning("Token authentication is disabled for this Ray cluster. Anyone with network access ...")
    assert [r.getMessage().split(".")[0] for r in caplog.records] == [
        "Token authentication is disabled for this Ray cluster"
    ]
