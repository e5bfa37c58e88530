"""The Ray engine: the same stages, spread over a Ray cluster with Ray Data.

Only the streaming of documents through the stages changes (``RayEngine.execute`` stands in for
:func:`babelmill.engines.local.execute`); the runner still plans the inputs and commits records and
state on the driver, so checkpoints, crash safety and the output format are the same as with the
local engine.

The pipeline is cut into segments, in order:

* **serial** stages run on the driver, in input order, exactly as the local engine runs them:
  stages whose output for a document depends on the documents before it (run-wide state):
  those that declare ``once_per_corpus`` (every ``StatefulStage``: strip counts recurring lines
  per site across the corpus, dedup keeps its persisted index);
* **parallel** stages between them become Ray Data ``map_batches`` over actor pools, each actor
  building its stage instances once (a callable class). Consecutive plain stages share one pool;
  a stage that declares ``needs_device`` (translate) gets its own pool, batches of the stage's
  ``batch_size``, and one GPU per actor when the cluster has GPUs (the model loads once per
  actor), CPU actors otherwise.

Documents travel as pickled bytes in windows of :data:`WINDOW` documents (a Ray dataset each), so
a serial stage upstream keeps streaming; the order is preserved (``preserve_order``), so the
corpus is byte-identical to the local engine's. Each actor ships the counters and seconds of its
stages back with every batch; they are added to the driver's stage instances for the manifest.

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
from babelmill.errors import RunError
from babelmill.io.read import source_fs_path
from babelmill.stage import RunContext, Stage

DOC = "doc"
STATS = "stats"
# documents per Ray block handed to per-document actors (small enough to spread a few hundred)
PER_DOC_BATCH = 32


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise RunError(
            "--engine ray needs Ray Data, which is not installed: pip install 'babelmill[ray]' "
            "(or use the default --engine local)"
        ) from None
    return ray


# documents per Ray dataset: large enough that starting the actor pools is a small cost
WINDOW = 80 * 256  # a multiple of every stage's batch size (see _dataset)


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


def is_serial(stage: Stage) -> bool:
    """True for stages that must see every document in one process, in order (run-wide state)."""
    return type(stage).once_per_corpus


def uses_device(stage: Stage) -> bool:
    """Model stages get their own actor pool, on GPUs when there are any."""
    return type(stage).needs_device


def plan(stages: list[Stage]) -> list[tuple[str, list[list[Stage]]]]:
    """Cut the stages into ``("serial", [[stage]])`` and ``("parallel", [group, ...])`` segments;
    a parallel segment's groups are its actor pools (chained plain stages, or one model stage).

    A serial stage that can be split (:meth:`Stage.split`) keeps only its in-order part on the
    driver; the rest of it joins the next actor pool."""
    segments: list[tuple[str, list[list[Stage]]]] = []

    def add_parallel(stage: Stage) -> None:
        if not segments or segments[-1][0] != "parallel":
            segments.append(("parallel", []))
        groups = segments[-1][1]
        if uses_device(stage) or not groups or uses_device(groups[-1][0]):
            groups.append([stage])
        else:
            groups[-1].append(stage)

    for stage in stages:
        if is_serial(stage):
            segments.append(("serial", [[stage]]))
            rest = stage.split()
            if rest is not None:
                add_parallel(rest)
        else:
            add_parallel(stage)
    return segments


def pool_options(group: list[Stage], cpus: float, gpus: float, device: str | None = None) -> dict[str, Any]:
    """Actor pool of one group: a model stage gets one GPU per actor and one actor per GPU when
    the cluster has GPUs (unless ``--device cpu``), else half the CPUs; plain stages one CPU per
    actor, up to one actor per CPU.

    >>> class Plain(Stage): key = "plain"
    >>> pool_options([Plain()], cpus=16, gpus=2)
    {'actors': 16, 'batch_size': 32, 'num_cpus': 1, 'num_gpus': 0}
    """
    workers = max(1, int(cpus))
    stage = group[0]
    if not uses_device(stage):
        return {"actors": workers, "batch_size": PER_DOC_BATCH, "num_cpus": 1, "num_gpus": 0}
    device = device or getattr(stage.config, "device", "auto")
    use_gpu = gpus >= 1 and device != "cpu"
    return {
        "actors": max(1, int(gpus)) if use_gpu else max(1, workers // 2),
        "batch_size": max(1, stage.batch_size),
        "num_cpus": 1,
        "num_gpus": 1 if use_gpu else 0,
    }


class StageChain:
    """Ray Data callable class: builds its stages once per actor, runs each batch through them.

    Input and output batches are pyarrow tables with a ``doc`` column (pickled Documents) and a
    ``stats`` column (pickled per-batch stage statistics, carried along from earlier groups). A
    row with an empty ``doc`` carries only statistics (a batch whose documents were all dropped).
    """

    def __init__(self, specs: list[tuple[type[Stage], Any]], context: RunContext, cpus: float = 1):
        cwd = context.driver_cwd
        if cwd and os.path.isdir(cwd):
            os.chdir(cwd)  # relative input paths resolve as on the driver (shared file system)
        # worker=True: state meant for the output (the translation cache) goes back to the driver;
        # cpus: the actor's share of its node (the translation threads follow it)
        context = context.replace(worker=True, cpus=max(1, int(cpus)))
        self.stages = [stage_class(config, context) for stage_class, config in specs]
        self.node = _node_id()

    def __call__(self, batch):
        import pyarrow as pa

        docs: list[Document] = []
        stats: list[dict[str, Any]] = []
        for raw_doc, raw_stats in zip(batch.column(DOC).to_pylist(), batch.column(STATS).to_pylist(), strict=True):
            if raw_doc:
                docs.append(pickle.loads(raw_doc))
            if raw_stats:
                stats.extend(pickle.loads(raw_stats))
        stream: Iterator[Document] = iter(docs)
        for stage in self.stages:
            stream = stage.run(stream)
        out = list(stream)
        for stage in self.stages:
            stats.append(
                {
                    "key": stage.key,
                    "counters": dict(stage.counters),
                    "seconds": stage.seconds,
                    "models": stage.models_used(),
                    "state": stage.export_state(),
                    "node": self.node,
                }
            )
            stage.counters = Counter()
            stage.seconds = 0.0
        doc_col = [pickle.dumps(d, protocol=5) for d in out] or [b""]
        stats_col = [pickle.dumps(stats, protocol=5)] + [b""] * (len(doc_col) - 1)
        return pa.table({DOC: pa.array(doc_col, pa.large_binary()), STATS: pa.array(stats_col, pa.large_binary())})

    def __del__(self) -> None:
        for stage in getattr(self, "stages", []):
            try:
                stage.close()
            except Exception:  # noqa: BLE001 - best effort at actor shutdown
                pass


class RayEngine:
    """Run the distributed part of the pipeline on Ray; see the module docstring."""

    name = "ray"

    def __init__(self, address: str | None = None, context: RunContext | None = None, verbose: bool = False):
        self.ray = _import_ray()
        self.address = address
        self.verbose = verbose
        self.context = (context or RunContext()).replace(driver_cwd=os.getcwd())
        self._models: dict[str, Any] = {}
        self._nodes: set[str] = set()
        self._serial: list[Stage] = []  # the stages (or their in-order parts) run on the driver
        self._worker_seconds: Counter[str] = Counter()
        self._checked = False

    def _init(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": self.verbose}
            if not self.verbose:
                kwargs["logging_level"] = logging.WARNING
            if self.address:
                import babelmill

                kwargs["address"] = self.address
                # ship this babelmill to the cluster's workers so they run the driver's code
                # (its dependencies must be installed on every node: pip install babelmill[ray])
                kwargs["runtime_env"] = {"py_modules": [str(Path(babelmill.__file__).parent)]}
            ray.init(**kwargs)
        if not self.verbose:  # babelmill reports progress itself; Ray's INFO lines are noise here
            logging.getLogger("ray").setLevel(logging.WARNING)
            logging.getLogger("ray.data").setLevel(logging.ERROR)
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # the corpus is written in input order
        ctx.enable_progress_bars = False  # babelmill shows its own progress

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
        for kind, groups in plan(stages):
            if kind == "serial":
                stage = groups[0][0]
                self._serial.append(stage)
                stream = stage.run(stream)
                if progress is not None:
                    stream = progress.track(stage.key, stream)
            else:
                if progress is not None:  # rows in pipeline order, counted from the workers' stats
                    for group in groups:
                        for s in group:
                            progress.register(s.key)
                stream = self._distributed(groups, stages, stream, progress)
        return stream

    def _shared_paths(self, docs: list[Document]) -> list[str]:
        """What the workers will open: the output's state folder, the models, the inputs (a sample)."""
        ctx = self.context
        paths = [str(p) for p in (ctx.state_dir or ctx.output_dir, ctx.models_dir) if p]
        inputs = [str(source_fs_path(d.source)) for d in docs if d.source.get("path") or d.source.get("path_hex")]
        return paths + _sample(inputs)

    def _dataset(self, groups: list[list[Stage]], docs: list[Document]):
        ray = self.ray
        cpus, gpus = self._resources()
        import pyarrow as pa

        # blocks of exactly PER_DOC_BATCH documents: a stage's batches (multiples of it) then
        # hold the same documents as on the local engine (see Stage.run)
        blocks = []
        for i in range(0, len(docs), PER_DOC_BATCH):
            chunk = [pickle.dumps(d, protocol=5) for d in docs[i : i + PER_DOC_BATCH]]
            blocks.append(
                pa.table(
                    {DOC: pa.array(chunk, pa.large_binary()), STATS: pa.array([b""] * len(chunk), pa.large_binary())}
                )
            )
        ds = ray.data.from_arrow(blocks)
        for group in groups:
            pool = pool_options(group, cpus, gpus, self.context.device)
            ds = ds.map_batches(
                StageChain,
                fn_constructor_args=([(type(s), s.config) for s in group], self.context, pool["num_cpus"]),
                batch_size=pool["batch_size"],
                batch_format="pyarrow",
                compute=ray.data.ActorPoolStrategy(min_size=1, max_size=pool["actors"]),
                num_gpus=pool["num_gpus"],
                num_cpus=pool["num_cpus"],
            )
        return ds

    def _distributed(
        self, groups: list[list[Stage]], stages: list[Stage], docs: Iterator[Document], progress: Any = None
    ) -> Iterator[Document]:
        """Send the documents through the segment's actor pools, a window at a time, in order."""
        while True:
            window = list(itertools.islice(docs, WINDOW))
            if not window:
                return
            self._init()
            if not self._checked:
                self._checked = True
                if len([n for n in self.ray.nodes() if n.get("Alive")]) > 1:
                    self.check_nodes_see(self._shared_paths(window))
            yield from self._run_window(groups, stages, window, progress)

    def _run_window(
        self, groups: list[list[Stage]], stages: list[Stage], docs: list[Document], progress: Any = None
    ) -> Iterator[Document]:
        by_key = {s.key: s for s in stages}
        ds = self._dataset(groups, docs)
        for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None, prefetch_batches=2):
            for raw_doc, raw_stats in zip(batch.column(DOC).to_pylist(), batch.column(STATS).to_pylist(), strict=True):
                if raw_stats:
                    for entry in pickle.loads(raw_stats):
                        stage = by_key.get(entry["key"])
                        if stage is not None:
                            stage.counters.update(entry["counters"])
                            stage.seconds += entry["seconds"]
                            self._worker_seconds[entry["key"]] += entry["seconds"]
                        self._models.update(entry.get("models") or {})
                        if entry.get("node"):
                            self._nodes.add(entry["node"])
                        if stage is not None and entry.get("state") is not None:
                            stage.absorb_state(entry["state"])
                        if progress is not None:
                            progress.add(entry["key"], entry["counters"].get("documents_in", 0))
                if raw_doc:
                    yield pickle.loads(raw_doc)
