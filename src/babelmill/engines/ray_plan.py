"""How the Ray engine cuts the pipeline (see :mod:`babelmill.engines.ray`): which stages run on
the driver and which on actors, which actor pool runs them, and in batches of how many
documents. Pure functions of the stages and the cluster's resources (no Ray needed)."""

from __future__ import annotations

from typing import Any

from babelmill.stage import Stage

#: documents per batch sent to a CPU actor, at least: a task's overhead (pickling, scheduling)
#: stays small
PER_DOC_BATCH = 32
#: and at most (the translate stage's own batch: translation runs faster on more sentences at
#: once, as CTranslate2 batches hold sentences of one length)
MAX_BATCH = 256
#: between those, a run is cut into at least this many batches per actor, so that the actors
#: finish at about the same time: documents that cost much more than others (pages to
#: translate) often come together in the input order, and a batch holding most of them would
#: leave the other actors idle at the end
BATCHES_PER_ACTOR = 16
#: batches each actor has queued or running, so it never waits for the driver
IN_FLIGHT = 2
#: batches per actor sent but not yet handed on (running, queued, or finished and waiting for an
#: earlier, slower batch): how far the actors may run ahead of the slowest batch
AHEAD_PER_ACTOR = 8


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
    """Which actor pool runs one group, and in batches of how many documents: a model stage goes
    to the GPU pool (one actor per GPU, the stage's own ``batch_size``) when the cluster has GPUs
    (unless ``--device cpu``); everything else, model stages on a CPU-only cluster included, to
    the CPU pool: one actor per CPU, each running the whole chain of per-document stages on
    batches of :data:`PER_DOC_BATCH` (translation is batch-independent, see
    :meth:`babelmill.translate.backend.CTranslate2Backend.translate`, so its batch may differ from
    the local engine's).

    >>> class Plain(Stage): key = "plain"
    >>> pool_options([Plain()], cpus=16, gpus=2)
    {'pool': 'cpu', 'actors': 16, 'batch_size': 32, 'num_cpus': 1, 'num_gpus': 0}
    """
    workers = max(1, int(cpus))
    stage = group[0]
    device = device or getattr(stage.config, "device", "auto")
    if uses_device(stage) and gpus >= 1 and device != "cpu":
        return {"pool": "gpu", "actors": max(1, int(gpus)), "batch_size": max(1, stage.batch_size),
                "num_cpus": 1, "num_gpus": 1}  # fmt: skip
    return {"pool": "cpu", "actors": workers, "batch_size": PER_DOC_BATCH, "num_cpus": 1, "num_gpus": 0}


def steps(groups: list[list[Stage]], cpus: float, gpus: float, device: str | None = None) -> list[dict[str, Any]]:
    """A parallel segment's groups as the steps the driver sends batches to: consecutive groups
    on the same pool are merged into one step (one task per batch runs all of them)."""
    out: list[dict[str, Any]] = []
    for group in groups:
        pool = pool_options(group, cpus, gpus, device)
        if out and out[-1]["pool"] == pool["pool"]:
            out[-1]["stages"].extend(group)
        else:
            out.append({**pool, "stages": list(group)})
    return out


def batch_size(step: dict[str, Any], documents: int, actors: int) -> int:
    """Documents per batch of one step: a GPU step keeps its stage's batch; a CPU step cuts the
    run into :data:`BATCHES_PER_ACTOR` batches per actor, within [:data:`PER_DOC_BATCH`,
    :data:`MAX_BATCH`]; never more than one actor's share, so a small run still spreads.

    >>> [batch_size({"pool": "cpu", "batch_size": 32}, n, actors=2) for n in (20, 200, 1000, 10**6)]
    [10, 32, 32, 256]
    """
    actors = max(1, actors)
    size = step["batch_size"]
    if step["pool"] == "cpu":
        size = max(PER_DOC_BATCH, min(MAX_BATCH, -(-documents // (actors * BATCHES_PER_ACTOR))))
    return max(1, min(size, -(-documents // actors)))
