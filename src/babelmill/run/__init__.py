"""A run: inputs in, corpus out. :func:`run_pipeline` reads top to bottom:

lock the output directory -> plan the inputs (:mod:`.plan`) -> stream the planned documents
through the stages on an engine (:mod:`babelmill.engines`) -> write and commit the records
(:mod:`.writer`) -> write the manifest (:mod:`.manifest`).

A run is incremental: the state in ``OUTPUT/state/`` (:mod:`.state`) says which inputs are done
and how far the outputs are committed. Records are written in input-path order, so one run over a
set of inputs always writes the same bytes.
"""

from babelmill.errors import RunError
from babelmill.run.inputs import discover_inputs
from babelmill.run.manifest import RunSummary
from babelmill.run.runner import RunOptions, build_stages, run_pipeline

__all__ = ["RunError", "RunOptions", "RunSummary", "build_stages", "discover_inputs", "run_pipeline"]
