"""Stage key -> stage class. Imports are lazy so ``babelmill --help`` stays fast."""

from __future__ import annotations

import importlib

STAGES: dict[str, str] = {
    "read": "babelmill.stages.read:ReadStage",
    "repair": "babelmill.stages.repair:RepairStage",
    "strip": "babelmill.stages.strip:StripStage",
    "detect": "babelmill.stages.detect:DetectStage",
    "translate": "babelmill.stages.translate:TranslateStage",
    "normalize": "babelmill.stages.normalize:NormalizeStage",
    "dedup": "babelmill.stages.dedup:DedupStage",
}


def known_stages() -> list[str]:
    return list(STAGES)


def get_stage_class(key: str) -> type:
    module, _, name = STAGES[key].partition(":")
    return getattr(importlib.import_module(module), name)
