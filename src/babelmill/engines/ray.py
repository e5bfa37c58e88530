"""The Ray engine: the same stages, spread over a Ray cluster's actors.

Only the streaming of documents through the stages changes (``RayEngine.execute`` stands in for
:func:`babelmill.engines.local.execute`); the runner still plans the inputs and commits records and
state on the driver, so checkpoints, crash safety and the output format are the same as with the
local engine.

The pipeline is cut into segments, in order:

* **serial** stages run on the driver, in input order, exactly as the local engine runs them:
  stages whose output for a document depends on the documents before it (run-wide state):
  those that declare ``once_per_corpus`` (every ``StatefulStage``: strip counts recurring lines
  per site across the corpus, dedup keeps its persisted index). A serial stage that can be split
  (:meth:`Stage.split`) keeps only its in-order part here;
* **parallel** stages between them run on long-lived actors (:class:`StageWorker`), started once
  per run: a CPU pool of one actor per CPU, each holding every parallel stage and running the
  whole chain of a segment on batches (:func:`~babelmill.engines.ray_plan.batch_size`), and, when the cluster
  has GPUs, a GPU pool (one actor per GPU) for the stages that declare ``needs_device``
  (translate, in batches of its ``batch_size``). Each actor builds its stages once, so a model
  loads once per actor and run.

The driver streams: it sends a step's batches to the least busy actor of its pool, keeps
:data:`IN_FLIGHT` batches per actor in flight (a new one as soon as any actor has room, so a slow
batch never idles the others), and hands the results on in input order, so a
serial stage downstream starts as soon as the first batch is back and the corpus is
byte-identical to the local engine's (translation does not depend on how documents are batched).
Each actor ships the counters, seconds and state of its stages back with every batch; they are
added to the driver's stage instances for the manifest.

On a cluster (``--address``): the workers read the inputs themselves, so input paths (resolved
from the driver's working directory) and the output's ``state/`` folder (translation cache) must
be on a file system every node sees; babelmill's dependencies must be installed on every node
(``pip install 'babelmill[ray]'``), and the driver ships its own babelmill code to the workers.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babelmill.document import Document
from babelmill.engines.ray_connect import check_address, import_ray, quiet_local_start
from babelmill.engines.ray_plan import AHEAD_PER_ACTOR, IN_FLIGHT, batch_size, plan, pool_options, steps
from babelmill.errors import RunError
from babelmill.io.read import source_fs_path
from babelmill.stage import RunContext, Stage

__all__ = ["RayEngine", "StageWorker", "batch_size", "plan", "pool_options", "steps"]


def _node_id() -> str | None:
    try:
        import ray

        return ray.get_runtime_context().get_node_id()
    except Exception:  # noqa: BLE001 - only for the manifest's node count
        return None


def _missing_paths(paths: list[str], cwd: str | None) -> list[str]:
    """Run on one node: which of ``paths`` (relative ones from the driver's ``cwd``) it cannot see."""
    if cwd and not os.path.isdir(cwd):
        return [cwd]
    base = Path(cwd) if cwd else Path.cwd()
    return [p for p in paths if not (base / p).exists()]


def _sample(paths: list[str], limit: int = 200) -> list[str]:
    """At most ``limit`` of ``paths``, spread evenly (first and last included)."""
    if len(paths) <= limit:
        return list(paths)
    step = (len(paths) - 1) / (limit - 1)
    return [paths[round(i * step)] for i in range(limit)]


def _stats(stage: Stage, node: str | None) -> dict[str, Any]:
    return {
        "key": stage.key,
        "counters": dict(stage.counters),
        "seconds": stage.seconds,
        "models": stage.models_used(),
        "state": stage.export_state(),
        "node": node,
    }


class StageWorker:
    """A Ray actor that lives for the whole run: it builds the stages of every step of its pool
    once (models load once per actor, on first use) and runs batches of documents through one
    step's stages. Documents travel pickled; each batch's stage statistics (counters, seconds,
    models, state for the driver) come back with it."""

    def __init__(self, specs: dict[int, list[tuple[type[Stage], Any]]], context: RunContext, cpus: int = 1):
        cwd = context.driver_cwd
        if cwd and os.path.isdir(cwd):
            os.chdir(cwd)  # relative input paths resolve as on the driver (shared file system)
        # worker=True: state meant for the output (the translation cache) goes back to the driver;
        # cpus: the actor's share of its node (the translation threads follow it)
        context = context.replace(worker=True, cpus=max(1, int(cpus)))
        self.steps = {i: [cls(config, context) for cls, config in chain] for i, chain in specs.items()}
        self.node = _node_id()

    def node_id(self) -> str | None:
        return self.node

    def run(self, step: int, raw: bytes) -> bytes:
        stages = self.steps[step]
        stream: Iterator[Document] = iter(pickle.loads(raw))
        for stage in stages:
            stream = stage.run(stream)
        out = list(stream)
        stats = []
        for stage in stages:
            stats.append(_stats(stage, self.node))
            stage.counters = Counter()
            stage.seconds = 0.0
        return pickle.dumps((out, stats), protocol=5)

    def close(self) -> None:
        for chain in self.steps.values():
            for stage in chain:
                try:
                    stage.close()
                except Exception:  # noqa: BLE001 - best effort at actor shutdown
                    pass


class _Pool:
    """The actors of one pool and how many batches each has in flight (new batches go to the
    least busy one)."""

    def __init__(self, actors: list[Any]):
        self.actors = actors
        self.busy = [0] * len(actors)
        self.last = -1

    def pick(self) -> int:
        """The least busy actor; among equals the next one after the last picked (round robin)."""
        n = len(self.actors)
        self.last = min(range(self.last + 1, self.last + 1 + n), key=lambda i: self.busy[i % n]) % n
        return self.last


class RayEngine:
    """Run the distributed part of the pipeline on Ray; see the module docstring."""

    name = "ray"

    def __init__(self, address: str | None = None, context: RunContext | None = None, verbose: bool = False):
        self.ray = import_ray()
        self.address = address
        self.verbose = verbose
        self.context = (context or RunContext()).replace(driver_cwd=os.getcwd())
        self._models: dict[str, Any] = {}
        self._nodes: set[str] = set()
        self._serial: list[Stage] = []  # the stages (or their in-order parts) run on the driver
        self._worker_seconds: Counter[str] = Counter()
        self._pools: dict[str, _Pool] = {}
        self._segment_steps: list[list[dict[str, Any]]] = []

    def _init(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": self.verbose}
            if not self.verbose:
                kwargs["logging_level"] = logging.WARNING
            if self.address:
                import babelmill

                check_address(self.address)
                kwargs["address"] = self.address
                # ship this babelmill to the cluster's workers so they run the driver's code
                # (its dependencies must be installed on every node: pip install babelmill[ray])
                kwargs["runtime_env"] = {"py_modules": [str(Path(babelmill.__file__).parent)]}
            if not self.address:
                quiet_local_start()
            ray.init(**kwargs)
        if not self.verbose:  # babelmill reports progress itself; Ray's INFO lines are noise here
            logging.getLogger("ray").setLevel(logging.WARNING)

    def _resources(self) -> tuple[float, float]:
        res = self.ray.cluster_resources()
        return float(res.get("CPU", 1)), float(res.get("GPU", 0))

    def models_used(self) -> dict[str, Any]:
        return dict(self._models)

    def facts(self) -> dict[str, Any]:
        """Name, nodes that ran actors, and the seconds each serial stage spent on the driver
        (the work that more nodes do not speed up; see benchmarks/SCALE.md)."""
        driver = {s.key: round(s.seconds - self._worker_seconds[s.key], 3) for s in self._serial}
        return {"name": self.name, "nodes": len(self._nodes), "driver_seconds": driver}

    def check_nodes_see(self, paths: list[str], timeout: float = 120.0) -> None:
        """Every node of the cluster must see ``paths`` (inputs, the output folder, the models) on
        storage they share; a node that does not, or does not answer, is a :class:`RunError`
        naming it and what it misses, before any work is sent there."""
        ray = self.ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        nodes = [n for n in ray.nodes() if n.get("Alive")]
        check = ray.remote(num_cpus=0)(_missing_paths)
        refs = {
            n["NodeID"]: check.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ).remote(paths, self.context.driver_cwd)
            for n in nodes
        }
        where = {n["NodeID"]: n.get("NodeManagerAddress", "?") for n in nodes}
        problems = []
        ready, late = ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout)
        for node_id, ref in refs.items():
            name = f"node {node_id[:8]} ({where[node_id]})"
            if ref in late:
                problems.append(f"{name} did not answer within {timeout:.0f} s")
                continue
            missing = ray.get(ref)
            if missing:
                more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
                problems.append(f"{name} cannot see {', '.join(missing[:3])}{more}")
        if problems:
            raise RunError(
                "; ".join(problems) + ": the inputs, the output folder and the models must be on storage "
                "that every node sees at the same path (see README, Larger corpora)"
            )

    def execute(self, stages: list[Stage], seeds: list[Document], progress: Any = None) -> Iterator[Document]:
        stream: Iterator[Document] = iter(seeds)
        segments = plan(stages)
        parallel = [groups for kind, groups in segments if kind == "parallel"]
        if parallel and seeds:
            self._start(parallel, seeds)
        index = 0
        for kind, groups in segments:
            if kind == "serial":
                stage = groups[0][0]
                self._serial.append(stage)
                stream = stage.run(stream)
                if progress is not None:
                    stream = progress.track(stage.key, stream)
                continue
            if progress is not None:  # rows in pipeline order, counted from the workers' stats
                for group in groups:
                    for s in group:
                        progress.register(s.key)
            for step in self._segment_steps[index] if seeds else []:
                stream = self._step(step, stages, stream, progress)
            index += 1
        return self._closing(stream)

    def _closing(self, stream: Iterator[Document]) -> Iterator[Document]:
        try:
            yield from stream
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Let the actors close their stages, then end them (their CPUs go back to the cluster)."""
        pools, self._pools = self._pools, {}
        actors = [a for pool in pools.values() for a in pool.actors]
        if not actors:
            return
        ray = self.ray
        try:
            ray.wait([a.close.remote() for a in actors], num_returns=len(actors), timeout=30)
        finally:
            for actor in actors:
                ray.kill(actor)

    def _start(self, parallel: list[list[list[Stage]]], seeds: list[Document]) -> None:
        """Join (or start) Ray, check that every node sees what it must, and start the actor
        pools: they load their stages (in the background: the first batches queue behind that)."""
        self._init()
        if len([n for n in self.ray.nodes() if n.get("Alive")]) > 1:
            self.check_nodes_see(self._shared_paths(seeds))
        cpus, gpus = self._resources()
        self._segment_steps = [steps(groups, cpus, gpus, self.context.device) for groups in parallel]
        specs: dict[str, dict[int, list[tuple[type[Stage], Any]]]] = {}
        options: dict[str, dict[str, Any]] = {}
        number = itertools.count()
        for segment in self._segment_steps:
            for step in segment:
                step["index"] = next(number)
                specs.setdefault(step["pool"], {})[step["index"]] = [(type(s), s.config) for s in step["stages"]]
                options[step["pool"]] = dict(step)
        if "gpu" in options and "cpu" in options:  # the GPU actors take a CPU each
            options["cpu"]["actors"] = max(1, int(cpus) - options["gpu"]["actors"])
        for segment in self._segment_steps:
            for step in segment:
                step["batch_size"] = batch_size(step, len(seeds), options[step["pool"]]["actors"])
        worker = self.ray.remote(StageWorker)
        for name, chains in specs.items():
            opt = options[name]
            actors = [
                worker.options(num_cpus=opt["num_cpus"], num_gpus=opt["num_gpus"]).remote(
                    chains, self.context, opt["num_cpus"]
                )
                for _ in range(opt["actors"])
            ]
            self._pools[name] = _Pool(actors)

    def _shared_paths(self, docs: list[Document]) -> list[str]:
        """What the workers will open: the output's state folder, the models, the inputs (a sample)."""
        from babelmill.translate.packages import search_dirs

        ctx = self.context
        # models_dir may name several folders ($BABELMILL_MODELS: "a:b"), each of them shared
        models = [str(d) for d in search_dirs(ctx.models_dir)] if ctx.models_dir else []
        paths = [str(p) for p in (ctx.state_dir or ctx.output_dir,) if p] + models
        inputs = [str(source_fs_path(d.source)) for d in docs if d.source.get("path") or d.source.get("path_hex")]
        return paths + _sample(inputs)

    def _step(
        self, step: dict[str, Any], stages: list[Stage], docs: Iterator[Document], progress: Any = None
    ) -> Iterator[Document]:
        """Send ``docs`` through one step in batches and hand them on in input order.

        The step keeps :data:`IN_FLIGHT` batches per actor queued or running (each to the least busy
        actor of the pool, which the steps of a segment chain share); a new one goes out as soon
        as any of them finished, whichever it was, so a slow batch at the head of the
        order only holds back the *handing on* (its successors wait, finished, in ``done``), never
        the other actors. At most :data:`AHEAD_PER_ACTOR` batches per actor are out or waiting,
        which bounds the driver's memory. Statistics are absorbed in input order too, so the
        run's counters and the translation cache rows do not depend on which batch finished first.
        """
        pool = self._pools[step["pool"]]
        by_key = {s.key: s for s in stages}
        running: dict[Any, tuple[int, int]] = {}  # object ref -> (batch number, actor)
        done: dict[int, bytes] = {}  # finished batches waiting for their turn
        depth, ahead = IN_FLIGHT * len(pool.actors), AHEAD_PER_ACTOR * len(pool.actors)
        source = iter(docs)
        sent = handed = 0
        more = True
        while True:
            while more and len(running) < depth and sent - handed < ahead:
                batch = list(itertools.islice(source, step["batch_size"]))
                if not batch:
                    more = False
                    break
                i = pool.pick()
                pool.busy[i] += 1
                running[pool.actors[i].run.remote(step["index"], pickle.dumps(batch, protocol=5))] = (sent, i)
                sent += 1
            if handed in done:
                out, stats = pickle.loads(done.pop(handed))
                handed += 1
                for entry in stats:
                    self._absorb(entry, by_key.get(entry["key"]), progress)
                yield from out
                continue
            if not running:
                return
            ready, _ = self.ray.wait(list(running), num_returns=1)
            for ref in ready:
                number, i = running.pop(ref)
                pool.busy[i] -= 1
                done[number] = self.ray.get(ref)

    def _absorb(self, entry: dict[str, Any], stage: Stage | None, progress: Any) -> None:
        """One batch's statistics of one stage, from a worker, into the driver's copy of it."""
        if stage is not None:
            stage.counters.update(entry["counters"])
            stage.seconds += entry["seconds"]
            self._worker_seconds[entry["key"]] += entry["seconds"]
            if entry.get("state") is not None:
                stage.absorb_state(entry["state"])
        self._models.update(entry.get("models") or {})
        if entry.get("node"):
            self._nodes.add(entry["node"])
        if progress is not None:
            progress.add(entry["key"], entry["counters"].get("documents_in", 0))
