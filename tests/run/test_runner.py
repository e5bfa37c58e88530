"""End-to-end: the seeds through the default pipeline, checked on the actual output files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from babelmill.io.write import load_schema
from tests import schema_check
from tests.conftest import SEEDS, read_jsonl, run_seed_copy, run_seeds, site_store_tables

HAN = re.compile(r"[\u4e00-\u9fff]")


def all_text(record: dict) -> str:
    return record["text"]


def removed_texts(record: dict) -> str:
    return "\n".join(r["text"] for r in record["cleaning"]["removed"])


def test_every_seed_is_kept_and_accounted_for(seeds_output: Path, seed_records: dict):
    assert sorted(seed_records) == ["000", "001", "002", "003", "004"]
    manifest = json.loads((seeds_output / "manifest.json").read_text())
    fates = {Path(i["path"]).name[:3]: i["fate"] for i in manifest["inputs"]}
    assert fates == {k: "kept" for k in seed_records}
    assert manifest["summary"]["inputs"] == 5
    assert read_jsonl(seeds_output / "rejected.jsonl") == []


def _rounded(value):
    """A record with its floats to 3 decimals: another CPU's vector units may sum a dot product in
    another order (the last bits of a probability), which is no stale output."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def test_the_committed_output_is_what_the_seeds_give_now(seeds_output: Path):
    """output/ in the repository is the seeds' corpus (`make run`): a change of the code or of
    the configuration's options that alters it must come with the regenerated files."""
    committed = SEEDS.parent / "output"
    for name in ("corpus.jsonl", "rejected.jsonl", "parallel.jsonl"):
        ours, theirs = (
            [_rounded(json.loads(line)) for line in (d / name).read_text(encoding="utf-8").splitlines()]
            for d in (seeds_output, committed)
        )
        assert ours == theirs, f"output/{name} differs from the seeds' run: regenerate output/ (README, 'make run')"
    ours, theirs = (json.loads((d / "manifest.json").read_text()) for d in (seeds_output, committed))
    assert ours["config_sha256"] == theirs["config_sha256"]
    assert {k: v.get("records") for k, v in ours["outputs"].items()} == {
        k: v.get("records") for k, v in theirs["outputs"].items()
    }


def test_records_match_the_schema(seeds_output: Path):
    corpus_schema = load_schema("corpus-record")
    rejected_schema = load_schema("rejected-record")
    for record in read_jsonl(seeds_output / "corpus.jsonl"):
        jsonschema.validate(record, corpus_schema)
    for record in read_jsonl(seeds_output / "rejected.jsonl"):
        jsonschema.validate(record, rejected_schema)


def test_schema_rejects_a_record_without_provenance(seed_records: dict):
    broken = dict(seed_records["004"])
    del broken["source"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, load_schema("corpus-record"))


def test_the_output_check_every_test_gets_finds_a_bad_record(seeds_output: Path, tmp_path_factory):
    """The autouse fixture validates outputs with this check; it must see a wrong record."""
    folder = tmp_path_factory.mktemp("bad-output")
    shutil.copy(seeds_output / "corpus.jsonl", folder / "corpus.jsonl")
    shutil.copy(seeds_output / "manifest.json", folder / "manifest.json")
    assert schema_check.validate_outputs(folder) == 5
    records = read_jsonl(folder / "corpus.jsonl")
    records[2]["cleaning"]["removed"].append({"stage": "dedup", "reason": "recurring_paragraph", "text": "x"})
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(AssertionError, match="cleaning/removed"):
        schema_check.validate_outputs(folder)


def test_german_article_is_german_and_its_english_tweets_stay_english(seed_records: dict):
    de = seed_records["002"]
    assert de["origin"]["language"] == "de"
    assert not de["origin"]["machine_translated"]
    tweet_blocks = [b for b in de["blocks"] if "shocked and saddened" in (b.get("original") or b["text"])]
    assert tweet_blocks, "the quoted English tweet must be kept"
    assert all(b["lang"] == "en" and b["translation"] == "native" for b in tweet_blocks)
    german_blocks = [b for b in de["blocks"] if "Die Tech-Szene ist in Aufruhr" in (b.get("original") or b["text"])]
    assert german_blocks and all(b["lang"] == "de" for b in german_blocks)


def test_german_blocks_wait_for_a_model_visibly(seeds_output: Path, seed_records: dict):
    de = seed_records["002"]
    pending = [b for b in de["blocks"] if b["translation"] == "pending"]
    assert pending and de["translation"]["blocks_pending"] == len(pending)
    assert all("babelmill models install" in b["note"] for b in pending)
    manifest = json.loads((seeds_output / "manifest.json").read_text())
    assert manifest["summary"]["blocks_pending"] >= len(pending)
    entry = next(i for i in manifest["inputs"] if Path(i["path"]).name.startswith("002"))
    assert entry["pending_languages"] == ["de"]


@pytest.mark.parametrize("seed", ["000", "003"])
def test_chinese_origin_articles_are_flagged_with_evidence(seed_records: dict, seed: str):
    origin = seed_records[seed]["origin"]
    assert origin["machine_translated"] is True
    assert origin["machine_translated_from"] == "zh"
    assert origin["evidence"]


@pytest.mark.parametrize("seed", ["001", "002", "004"])
def test_native_articles_are_not_flagged(seed_records: dict, seed: str):
    assert seed_records[seed]["origin"]["machine_translated"] is False


def test_chinese_title_becomes_original_title_metadata(seed_records: dict):
    rec = seed_records["000"]
    assert HAN.search(rec["metadata"].get("original_title", ""))
    assert not HAN.search(rec["text"])
    assert rec["title"] and not HAN.search(rec["title"])


CHROME = {
    "000": ["share_log", "Write a comment"],
    "001": ["Loading...", "Leave a comment"],
    "002": ["- Posts"],
    "003": ["View Original", "Abstract generation in progress", "No comments"],
    "004": ["Similar Posts", "Leave a Reply", "Your email address will not be published"],
}


@pytest.mark.parametrize("seed", sorted(CHROME))
def test_ui_chrome_is_removed_and_recorded(seed_records: dict, seed: str):
    rec = seed_records[seed]
    for chrome in CHROME[seed]:
        assert chrome not in all_text(rec), chrome
        assert chrome in removed_texts(rec), chrome
    assert all(r["rule"] for r in rec["cleaning"]["removed"])


def test_share_bar_lines_are_removed(seed_records: dict):
    rec = seed_records["003"]
    lines = {line.strip(" -•") for line in rec["text"].split("\n")}
    assert not {"Reward", "Comment", "Share"} & lines


def test_bylines_and_source_lines_become_metadata(seed_records: dict):
    assert seed_records["003"]["source"]["author"] == "Lan Xi"
    assert seed_records["003"]["source"]["attribution"] == "Weibo"
    assert "Author: Lan Xi" not in seed_records["003"]["text"]
    assert seed_records["000"]["source"]["attribution"] == "The Wall Street Journal"
    assert "Source: The Wall Street Journal" not in seed_records["000"]["text"]


def test_text_is_in_the_uniform_format(seed_records: dict):
    for rec in seed_records.values():
        text = rec["text"]
        assert "\n\n\n" not in text and text == text.strip()
        assert "•" not in text
        assert not rec["title"] or not text.startswith(rec["title"])


def test_rerun_does_no_work_and_changes_nothing(tmp_path: Path, empty_models_dir: Path):
    out = tmp_path / "out"
    first, _ = run_seeds(out, empty_models_dir)
    corpus = (out / "corpus.jsonl").read_bytes()
    second, _ = run_seeds(out, empty_models_dir)
    assert first.processed == 5 and first.kept == 5
    assert second.processed == 0 and second.unchanged == 5
    assert (out / "corpus.jsonl").read_bytes() == corpus
    assert json.loads((out / "manifest.json").read_text())["run"] == 2


def test_same_inputs_give_a_byte_identical_corpus(tmp_path: Path, empty_models_dir: Path):
    outputs = []
    for name in ("a", "b"):
        out = run_seed_copy(tmp_path / name, empty_models_dir)
        outputs.append(((out / "corpus.jsonl").read_bytes(), (out / "rejected.jsonl").read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0]


def test_a_new_article_is_processed_alone_and_appended(tmp_path: Path, empty_models_dir: Path):
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    out = tmp_path / "out"
    run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    before = (out / "corpus.jsonl").read_bytes()
    (inputs / "new.txt").write_text(
        "A New Article About Trains\n\n"
        "The regional rail operator announced on Monday that it will add forty new trains to its fleet "
        "by the end of next year, citing a sharp rise in commuter numbers since the spring.\n\n"
        "Officials said the purchase would be financed from the operator's own reserves and a loan "
        "from the state development bank, without raising ticket prices for passengers.\n",
        encoding="utf-8",
    )
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    after = (out / "corpus.jsonl").read_bytes()
    assert summary.processed == 1 and summary.unchanged == 5 and summary.kept == 1
    assert after.startswith(before)
    new = read_jsonl(out / "corpus.jsonl")[-1]
    assert new["source"]["path"].endswith("new.txt")
    assert "forty new trains" in new["text"]


def test_an_identical_copy_is_a_duplicate_with_its_original(tmp_path: Path, empty_models_dir: Path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    seed = sorted(SEEDS.iterdir())[4]
    shutil.copy(seed, inputs / "a.txt")
    shutil.copy(seed, inputs / "b.txt")
    out = tmp_path / "out"
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert (summary.kept, summary.duplicates) == (1, 1)
    kept = read_jsonl(out / "corpus.jsonl")[0]
    (dup,) = read_jsonl(out / "rejected.jsonl")
    assert dup["status"] == "duplicate" and dup["duplicate_of"] == kept["id"]
    assert dup["source"]["path"].endswith("b.txt")


def test_rerun_does_not_repeat_the_record_of_a_missing_input(tmp_path: Path, empty_models_dir: Path):
    out = tmp_path / "out"
    missing = str(tmp_path / "gone.txt")
    # beside an input that exists (a run whose inputs all are missing reads nothing: exit 1)
    present = tmp_path / "present.txt"
    present.write_text(ARTICLE)
    inputs = [missing, str(present)]
    first, messages = run_seeds(out, empty_models_dir, inputs=inputs)
    assert first.quarantined == 1 and any("gone.txt" in m for m in messages)
    second, _ = run_seeds(out, empty_models_dir, inputs=inputs)
    assert second.unchanged == 2 and second.processed == 0
    assert len(read_jsonl(out / "rejected.jsonl")) == 1
    # once the file exists it is read
    Path(missing).write_text("Now there is an article here, written in plain English sentences.\n")
    third, _ = run_seeds(out, empty_models_dir, inputs=inputs)
    assert third.processed == 1 and third.kept == 1
    assert read_jsonl(out / "rejected.jsonl") == []  # its quarantine record is superseded


ARTICLE = (
    "Harbour Works Begin In Kiel\n\n"
    "Construction crews began dredging the inner harbour of Kiel on Tuesday, the first step of a "
    "three-year project to let larger ferries dock closer to the city centre.\n\n"
    "The port authority expects the work to disturb shipping only at night and has promised "
    "residents regular updates on noise levels throughout the project.\n"
)


OTHER_ARTICLE = (
    "Library Reopens After Renovation\n\n"
    "The city library in Rostock reopened its reading rooms on Monday after eighteen months of "
    "renovation that added a children's wing and a rooftop terrace.\n\n"
    "Visitors queued before the doors opened, and the librarians handed out the first new cards "
    "to a school class that had helped choose the furniture.\n"
)


def test_an_edited_input_replaces_its_record_and_a_deleted_one_keeps_it(tmp_path: Path, empty_models_dir: Path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    edited, deleted = inputs / "edited.txt", inputs / "deleted.txt"
    edited.write_text(ARTICLE, encoding="utf-8")
    # another article (a copy with a place name changed would be a near-duplicate of the first)
    deleted.write_text(OTHER_ARTICLE, encoding="utf-8")
    out = tmp_path / "out"
    run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    first = {Path(r["source"]["path"]).name: r for r in read_jsonl(out / "corpus.jsonl")}
    assert set(first) == {"edited.txt", "deleted.txt"}

    edited.write_text(ARTICLE.replace("Tuesday", "Wednesday"), encoding="utf-8")
    deleted.unlink()
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert summary.processed == 1 and summary.replaced == 1

    after = read_jsonl(out / "corpus.jsonl")
    by_name = {Path(r["source"]["path"]).name: r for r in after}
    assert len(after) == 2 and set(by_name) == {"edited.txt", "deleted.txt"}
    assert "Wednesday" in by_name["edited.txt"]["text"]
    assert by_name["edited.txt"]["id"] != first["edited.txt"]["id"]
    assert by_name["deleted.txt"] == first["deleted.txt"]
    # the edited article is not a duplicate of its own earlier version
    assert read_jsonl(out / "rejected.jsonl") == []


def test_an_edited_input_keeps_its_place_so_a_rerun_equals_a_rebuild(tmp_path: Path, empty_models_dir: Path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    towns = ["Aachen", "Bremen", "Celle"]
    for town in towns:
        (inputs / f"{town.lower()}.txt").write_text(
            ARTICLE.replace("Kiel", town).replace("ferries", f"{town} ferries"), encoding="utf-8"
        )
    out = tmp_path / "out"
    run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    (inputs / "aachen.txt").write_text(ARTICLE.replace("Kiel", "Aachen").replace("Tuesday", "Friday"), encoding="utf-8")
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert summary.replaced == 1
    records = read_jsonl(out / "corpus.jsonl")
    assert [Path(r["source"]["path"]).name for r in records] == ["aachen.txt", "bremen.txt", "celle.txt"]
    assert "Friday" in records[0]["text"]
    incremental = (out / "corpus.jsonl").read_bytes()
    run_seeds(out, empty_models_dir, inputs=[str(inputs)], rebuild=True)
    assert (out / "corpus.jsonl").read_bytes() == incremental


def test_a_duplicate_of_an_article_edited_into_another_is_decided_again(tmp_path: Path, empty_models_dir: Path):
    """The kept copy is edited into a different article: the duplicate's text is no longer in the
    corpus, so the duplicate is decided again (kept here), as a --rebuild decides it."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    out = tmp_path / "out"
    (inputs / "a.txt").write_text(ARTICLE, encoding="utf-8")
    run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    (inputs / "b.txt").write_text(ARTICLE.replace("Tuesday", "Wednesday"), encoding="utf-8")  # a later near-copy
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert summary.duplicates == 1
    (inputs / "a.txt").write_text(OTHER_ARTICLE, encoding="utf-8")
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert summary.processed == 2 and summary.kept == 2
    assert sorted(Path(r["source"]["path"]).name for r in read_jsonl(out / "corpus.jsonl")) == ["a.txt", "b.txt"]
    assert read_jsonl(out / "rejected.jsonl") == []
    incremental = [(out / f).read_bytes() for f in ("corpus.jsonl", "rejected.jsonl")]
    run_seeds(out, empty_models_dir, inputs=[str(inputs)], rebuild=True)
    assert [(out / f).read_bytes() for f in ("corpus.jsonl", "rejected.jsonl")] == incremental
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert summary.processed == 0


def test_a_byte_identical_copy_of_an_article_edited_into_another_is_kept(tmp_path: Path, empty_models_dir: Path):
    """As above with b.txt a byte-for-byte copy of a.txt (``identical_input``): it was decided
    again, but as a copy of a.txt's old record, which the same run removes; its article was lost."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    out = tmp_path / "out"
    (inputs / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (inputs / "b.txt").write_text(ARTICLE, encoding="utf-8")
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert (summary.kept, summary.duplicates) == (1, 1)
    (inputs / "a.txt").write_text(OTHER_ARTICLE, encoding="utf-8")
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert (summary.processed, summary.kept, summary.duplicates) == (2, 2, 0)
    incremental = [(out / f).read_bytes() for f in ("corpus.jsonl", "rejected.jsonl")]
    run_seeds(out, empty_models_dir, inputs=[str(inputs)], rebuild=True)
    assert [(out / f).read_bytes() for f in ("corpus.jsonl", "rejected.jsonl")] == incremental


def test_an_edited_inputs_old_lines_leave_the_site_counts(tmp_path: Path, empty_models_dir: Path):
    """The strip stage's per-site line counts after an edit are those a rebuild counts: the old
    version's lines (here its headline and a dateline) are taken out, not left for the new
    version to find "on another page"."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for town in ("Aachen", "Bremen", "Celle"):
        (inputs / f"{town.lower()}.txt").write_text(
            ARTICLE.replace("Kiel", town).replace("ferries", f"{town} ferries"), encoding="utf-8"
        )
    out = tmp_path / "out"
    run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    before = site_store_tables(out / "state" / "strip_sites.sqlite")
    assert before[0] == [("*", 3)]
    edited = ARTICLE.replace("Kiel", "Aachen").replace("Tuesday", "Friday").replace("Works Begin", "Dredging Starts")
    (inputs / "aachen.txt").write_text(edited, encoding="utf-8")
    summary, _ = run_seeds(out, empty_models_dir, inputs=[str(inputs)])
    assert summary.replaced == 1
    incremental = site_store_tables(out / "state" / "strip_sites.sqlite")
    assert incremental != before and incremental[0] == [("*", 3)]
    run_seeds(out, empty_models_dir, inputs=[str(inputs)], rebuild=True)
    assert site_store_tables(out / "state" / "strip_sites.sqlite") == incremental


def test_a_symlinked_folder_inside_an_input_folder_is_reported_not_skipped(tmp_path: Path, empty_models_dir: Path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (inputs / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    summary, messages = run_seeds(tmp_path / "out", empty_models_dir, inputs=[str(inputs)])
    assert summary.inputs == 1 and summary.quarantined == 1
    assert any("linked" in m and "not_a_file" in m for m in messages)
