"""Former home of the runner; it lives in :mod:`babelmill.run` now (kept for old imports)."""

from babelmill.errors import RunError
from babelmill.run import RunOptions, RunSummary, build_stages, discover_inputs, run_pipeline

__all__ = ["RunError", "RunOptions", "RunSummary", "build_stages", "discover_inputs", "run_pipeline"]
