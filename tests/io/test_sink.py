"""What every sink shares (babelmill.io.sink, babelmill.io.sinks.open_sink): the layout check,
output names."""

from __future__ import annotations

from pathlib import Path

import pytest

from babelmill.errors import SinkError
from babelmill.io.formats import OutputConfig
from babelmill.io.layout import CORPUS
from babelmill.io.sinks import CorpusSink, ShardedSink, SingleFileSink, open_sink

# -- layouts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, fmt, message",
    [
        ({"corpus_layout": "sharded:jsonl.gz"}, "jsonl", "written as sharded jsonl.gz, not single jsonl"),
        ({"corpus_layout": "single:jsonl"}, "parquet", "written as single jsonl, not sharded parquet"),
        ({"corpus_bytes": "10"}, "jsonl.gz", "written as single jsonl, not sharded jsonl.gz"),  # before layouts
        ({"corpus_bytes": "1"}, "jsonl.gz", "written as single jsonl, not sharded jsonl.gz"),
    ],
)
def test_another_layout_is_refused(tmp_path, state, fmt, message):
    sink = open_sink(tmp_path, state, OutputConfig(format=fmt))
    with pytest.raises(SinkError, match=message) as err:
        sink.recover()
    assert str(err.value).startswith(f"{tmp_path} holds a corpus written as ")
    assert str(err.value).endswith(
        "; rerun with the same --format/--shard-size, or use --rebuild or another -o directory"
    )


@pytest.mark.parametrize("state", [{}, {"corpus_bytes": "0"}, {"corpus_bytes": ""}])
def test_a_fresh_state_takes_any_layout(tmp_path, state):
    open_sink(tmp_path, state, OutputConfig(format="jsonl.gz")).recover()
    open_sink(tmp_path, state, OutputConfig()).recover()


def test_base_sink_does_nothing():
    sink = CorpusSink(Path("."), {}, OutputConfig())
    assert (sink.full_before(b"x"), sink.state_values(), sink.remove_ids({"a"}), sink.files()) == (False, {}, 0, [])


def test_an_unknown_output_name_is_refused(tmp_path):
    with pytest.raises(ValueError) as err:
        open_sink(tmp_path, {}, OutputConfig(), "pairs")
    assert str(err.value) == "output name must be one of corpus, parallel, not 'pairs'"


def test_parallel_layout_is_checked_on_its_own_keys(tmp_path):
    sink = open_sink(tmp_path, {"parallel_bytes": "10"}, OutputConfig(format="jsonl.gz"), "parallel")
    with pytest.raises(SinkError, match="single jsonl, not sharded jsonl.gz"):
        sink.recover()


def test_sinks_write_the_corpus_unless_told_otherwise(tmp_path):
    assert ShardedSink(tmp_path, {}, OutputConfig(format="jsonl.gz")).name == "corpus"
    assert SingleFileSink(tmp_path, {}, OutputConfig()).path == tmp_path / CORPUS
