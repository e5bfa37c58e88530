"""Run engines: what streams the planned documents through the stages.

An engine is the only part of a run that changes between ``--engine local`` (this process,
:mod:`babelmill.engines.local`) and ``--engine ray`` (a Ray cluster, :mod:`babelmill.engines.ray`).
Planning which inputs to process, writing records and committing state stay in
:mod:`babelmill.run`. Engines read the stages' class flags (``once_per_corpus``,
``needs_device``; see :mod:`babelmill.stage`), never stage names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from babelmill.document import Document
from babelmill.errors import RunError
from babelmill.stage import RunContext, Stage

ENGINES = ("local", "ray")


class Engine(Protocol):
    name: str

    def execute(self, stages: list[Stage], seeds: list[Document], progress: Any = None) -> Iterator[Document]:
        """Stream ``seeds`` through ``stages``, in order; yields every document once."""
        ...

    def models_used(self) -> dict[str, Any]:
        """Models the stages loaded (name -> facts), for the manifest's ``models.engine``."""
        ...

    def facts(self) -> dict[str, Any]:
        """What the manifest says of the engine: its ``name`` and, on a cluster, how many
        ``nodes`` ran stages."""
        ...


def make_engine(name: str, context: RunContext, address: str | None = None, verbose: bool = False) -> Engine:
    """The engine called ``name`` (``local`` or ``ray``)."""
    if name == "ray":
        from babelmill.engines.ray import RayEngine  # lazy: Ray is an optional extra

        return RayEngine(address=address, context=context, verbose=verbose)
    if name == "local":
        from babelmill.engines.local import LocalEngine

        return LocalEngine()
    raise RunError(f"unknown engine {name!r}; expected {' or '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "make_engine"]
