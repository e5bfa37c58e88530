"""The local engine: the stages run in this process, one after the other, as generators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from babelmill.document import Document
from babelmill.stage import Stage


def execute(stages: list[Stage], seeds: list[Document], progress: Any = None) -> Iterator[Document]:
    """Stream the seed documents through the stages in this process."""
    stream: Iterator[Document] = iter(seeds)
    for stage in stages:
        stream = stage.run(stream)
        if progress is not None:
            stream = progress.track(stage.key, stream)
    return stream


class LocalEngine:
    """Runs the stages in this process (the default; needs nothing beyond babelmill)."""

    name = "local"

    def __init__(self) -> None:
        self._stages: list[Stage] = []

    def execute(self, stages: list[Stage], seeds: list[Document], progress: Any = None) -> Iterator[Document]:
        self._stages = list(stages)
        return execute(stages, seeds, progress)

    def models_used(self) -> dict[str, Any]:
        used: dict[str, Any] = {}
        for stage in self._stages:
            used.update(stage.models_used())
        return dict(sorted(used.items()))

    def facts(self) -> dict[str, Any]:
        return {"name": self.name}


__all__ = ["LocalEngine", "execute"]
