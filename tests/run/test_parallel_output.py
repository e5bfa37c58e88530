"""``parallel.jsonl`` from real runs with the random-weight de->en fixture: schema, alignment with
the corpus and the inputs, replacement on rerun, crash/rerun identity, sharded layouts.

The model's output is noise: these tests prove the plumbing, never translation quality.
"""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from babelmill.io.layout import iter_corpus_records
from babelmill.io.parallel import iter_parallel_records
from babelmill.io.write import load_schema
from babelmill.run import RunOptions, run_pipeline
from babelmill.run.state import RunState
from babelmill.translate.install import install_archive
from babelmill.translate.protect import has_translatable_text, protect
from babelmill.translate.sentences import split_sentences

pytestmark = pytest.mark.slow

GERMAN = [
    "Die Regierung hat am Montag neue Regeln für künstliche Intelligenz vorgestellt.",
    "Der Zug aus Berlin kam mit zwei Stunden Verspätung in München an.",
    "Die Polizei bittet die Bevölkerung um Hinweise und um Fotos vom Unfallort.",
    "Im Jahr 2023 investierte das Unternehmen mehr als je zuvor in die Forschung.",
    "Die Ergebnisse wurden in der Fachzeitschrift Nature veröffentlicht.",
    "Das Wetter bleibt wechselhaft, mit Regen und Wind bis zum Wochenende.",
    "Weitere Informationen finden Sie unter https://example.com/news im Netz.",
]
WORDS = (
    "council harbour budget river election vaccine market energy school railway storm court minister "
    "festival museum bridge factory farmers report police hospital province coast summit treaty"
).split()
STAGES = '[pipeline]\nstages = ["read", "repair", "strip", "detect", "translate", "normalize", "dedup"]\n'


def english(seed: int) -> str:
    """A distinct English paragraph per seed (so that only the intended copies are near-duplicates)."""
    words = [WORDS[(seed * 7 + i * i) % len(WORDS)] for i in range(45)]
    return "The " + " and the ".join(" ".join(words[i : i + 3]) for i in range(0, 45, 3)) + " were discussed."


def article(title: str, german: list[str], english_text: str) -> str:
    return f"{title}\n\n" + "\n\n".join([*german, english_text]) + "\n"


def write_inputs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "01.txt": article("Neue Regeln", [f"{GERMAN[0]} {GERMAN[1]}", GERMAN[2]], english(1)),
        "02.txt": article("Forschung", [f"{GERMAN[3]} {GERMAN[0]}", GERMAN[4]], english(2)),
        "03.txt": article("Neue Regeln", [f"{GERMAN[0]} {GERMAN[1]}", GERMAN[2]], english(1)),  # = 01
        "04.txt": article("Wetter", [GERMAN[5], GERMAN[6]], english(4)),
        # a near copy of 02 (one English word changed): a duplicate after translation
        "05.txt": article("Forschung", [f"{GERMAN[3]} {GERMAN[0]}", GERMAN[4]], english(2).replace("The", "A", 1)),
        "06.txt": "English only\n\n" + english(6) + "\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def models(tmp_path: Path, de_en_archive: Path, isolated_models: Path) -> Path:
    folder = tmp_path / "models"
    install_archive(de_en_archive, folder)
    return folder


def run(inputs: Path, out: Path, models: Path, config: Path | None = None, **kw):
    opts = RunOptions(inputs=[str(inputs)], output_dir=out, models_dir=str(models), config_path=config, **kw)
    return run_pipeline(opts, warn=lambda msg: None)


def translatable_sentences(text: str) -> list[str]:
    return [s for s in split_sentences(text) if has_translatable_text(protect(s).text)]


def test_parallel_file_is_valid_and_aligned_with_corpus_and_inputs(tmp_path: Path, models: Path):
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    summary = run(inputs, out, models)
    pairs = [json.loads(line) for line in (out / "parallel.jsonl").read_text(encoding="utf-8").splitlines()]
    corpus = {r["id"]: r for r in iter_corpus_records(out)}
    schema = load_schema("parallel-record")
    for pair in pairs:
        jsonschema.validate(pair, schema)

    # one pair per translated sentence of the corpus, in corpus order, and nothing else
    expected = []
    for doc_id, record in corpus.items():
        for index, block in enumerate(record["blocks"]):
            if block["translation"] == "translated":
                expected += [(doc_id, index, s) for s in translatable_sentences(block["original"])]
    assert [(p["id"], p["block"], p["source"]) for p in pairs] == expected
    assert len(pairs) == summary.parallel_pairs > 0
    assert sum(r["translation"]["blocks_translated"] for r in corpus.values()) == len(
        {(p["id"], p["block"]) for p in pairs}
    )
    # every source sentence stands verbatim in the input it came from
    for pair in pairs:
        source_text = Path(corpus[pair["id"]]["source"]["path"]).read_text(encoding="utf-8")
        assert pair["source"] in source_text
        block = corpus[pair["id"]]["blocks"][pair["block"]]
        assert pair["flags"] == block["meta"]["quality"]["flags"]
        assert pair["model"] == "translate-de_en-random" and pair["model_version"] == "0.0"
    # the duplicate input has no pairs; the sentence shared by 01 and 02 is reused in 02
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert sorted((r["source"]["path"][-6:], r["reason"]) for r in rejected) == [
        ("03.txt", "identical_input"),
        ("05.txt", "near_duplicate"),
    ]
    near = next(r["id"] for r in rejected if r["reason"] == "near_duplicate")
    assert near not in {p["id"] for p in pairs} and {p["id"] for p in pairs} <= corpus.keys()
    shared = [p for p in pairs if p["source"] == GERMAN[0]]
    assert [p["from_cache"] for p in shared] == [False, True]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["parallel.jsonl"]["records"] == len(pairs)


def test_an_edited_input_replaces_its_pairs_and_leaves_the_others(tmp_path: Path, models: Path):
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    run(inputs, out, models)
    before = (out / "parallel.jsonl").read_text(encoding="utf-8").splitlines()
    old_id = next(r["id"] for r in iter_corpus_records(out) if r["source"]["path"].endswith("04.txt"))
    (inputs / "04.txt").write_text(article("Wetter", [GERMAN[5], f"{GERMAN[6]} {GERMAN[2]}"], english(4)))
    summary = run(inputs, out, models)
    assert summary.replaced == 1
    after = (out / "parallel.jsonl").read_text(encoding="utf-8").splitlines()
    assert not any(json.loads(line)["id"] == old_id for line in after)
    assert [line for line in before if json.loads(line)["id"] != old_id] == after[: len(before) - 2]
    new = [json.loads(line) for line in after[len(before) - 2 :]]
    assert [p["source"] for p in new] == [GERMAN[5], GERMAN[6], GERMAN[2]]
    assert [p["from_cache"] for p in new] == [True, True, True]  # all three were made for other records


def test_parallel_false_writes_no_file(tmp_path: Path, models: Path):
    config = tmp_path / "no-parallel.toml"
    config.write_text(STAGES + "[output]\nparallel = false\n")
    out = tmp_path / "out"
    summary = run(write_inputs(tmp_path / "in"), out, models, config)
    assert not (out / "parallel.jsonl").exists() and summary.parallel_pairs == 0
    assert "parallel.jsonl" not in json.loads((out / "manifest.json").read_text())["outputs"]


class _Died(BaseException):
    """Stands in for the process dying: no handler in the runner sees it."""


def test_dying_at_any_checkpoint_then_rerunning_gives_the_same_files(tmp_path: Path, models: Path, monkeypatch):
    inputs = write_inputs(tmp_path / "in")
    config = tmp_path / "pipeline.toml"
    config.write_text(STAGES)
    reference = tmp_path / "reference"
    run(inputs, reference, models, config, checkpoint_every=1)
    real_commit = RunState.commit
    for die_at in (2, 4, 5):  # after the first record, mid-way, before the last
        out = tmp_path / f"died-{die_at}"
        calls = {"n": 0}

        def dying(self, die_at=die_at, calls=calls):
            calls["n"] += 1
            if calls["n"] == die_at:
                raise _Died
            return real_commit(self)

        monkeypatch.setattr(RunState, "commit", dying)
        with pytest.raises(_Died):
            run(inputs, out, models, config, checkpoint_every=1)
        monkeypatch.undo()
        gc.collect()  # close what the dead run left open
        run(inputs, out, models, config, checkpoint_every=1)
        for name in ("corpus.jsonl", "parallel.jsonl", "rejected.jsonl"):
            assert (out / name).read_bytes() == (reference / name).read_bytes(), f"{name}, died at commit {die_at}"


def test_sharded_output_holds_the_same_pairs(tmp_path: Path, models: Path):
    pytest.importorskip("pyarrow")
    inputs = write_inputs(tmp_path / "in")
    plain = tmp_path / "plain"
    run(inputs, plain, models)
    expected = list(iter_parallel_records(plain))
    for fmt in ("jsonl.gz", "parquet"):
        out = tmp_path / fmt
        shutil.rmtree(out, ignore_errors=True)
        run(inputs, out, models, output_format=fmt, shard_size="2KB")
        shards = sorted(f"parallel/{p.name}" for p in (out / "parallel").iterdir())  # shards only
        assert len(shards) > 1 and all(name.endswith(fmt) for name in shards)
        assert list(iter_parallel_records(out)) == expected
        manifest = json.loads((out / "manifest.json").read_text())
        assert [n for n in manifest["outputs"] if n.startswith("parallel/")] == shards
    # an edited input's pairs leave the (typed Parquet) shards too
    old_id = next(p["id"] for p in expected if p["source"] == GERMAN[5])
    (inputs / "04.txt").write_text(article("Wetter", [GERMAN[5], f"{GERMAN[6]} {GERMAN[2]}"], english(4)))
    run(inputs, tmp_path / "parquet", models, output_format="parquet", shard_size="2KB")
    after = list(iter_parallel_records(tmp_path / "parquet"))
    assert old_id not in {p["id"] for p in after}
    assert [p["source"] for p in after[-3:]] == [GERMAN[5], GERMAN[6], GERMAN[2]]
    assert all(isinstance(p["block"], int) and isinstance(p["from_cache"], bool) for p in after)
