"""Helpers that tests and benchmarks share (benchmarks never import ``tests/``).

* :mod:`.argos` - tiny Argos Translate packages with random CTranslate2 weights;
* :mod:`.inputs` - deterministic sample inputs (article dumps, copies, bad files).
"""
