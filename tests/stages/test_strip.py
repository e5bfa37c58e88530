"""The strip stage's per-site line counts: durable at the runner's checkpoints, counted once.

A line found in enough documents of one site is removed as ``site_boilerplate``. The counts
behind that decision live in ``state/strip_sites.sqlite`` and are committed with the corpus,
so a run that dies at any checkpoint and is rerun writes exactly what an uninterrupted run does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tests.run.test_crash_safety as crash
from babelmill.clean.site_lines import SiteLineStore, line_hash
from babelmill.document import Document
from babelmill.io.sinks import SingleFileSink
from babelmill.io.write import corpus_record
from babelmill.run.state import RunState
from babelmill.stage import StageStateError
from babelmill.stages.strip import StripStage

STRIP_STAGES = '[pipeline]\nstages = ["read", "repair", "strip"]\n'
PROMO = "Sign up for the morning briefing and get our top stories every day"
TOPICS = "harbour budget river election vaccine market energy school railway storm".split()


def article(i: int) -> str:
    """A short news article; distinct words per document so only the promo line recurs."""
    topic = TOPICS[i % len(TOPICS)]
    paras = [
        f"The {topic} council met on Tuesday to discuss plan number {i} for the coming year, officials said.",
        f"Residents told reporters that the {topic} proposal {i} would change how the town spends its money.",
        f"A final vote on the {topic} question is expected next month after a public hearing in the hall.",
    ]
    return f"Town news {i}: the {topic} debate\n\n" + "\n\n".join(paras) + "\n"


def write_site(folder: Path) -> None:
    """Ten pages of one site (no URL: one shared site bucket); three carry the same promo line."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(10):
        text = article(i)
        if i in (1, 4, 8):
            text = text.replace("\n\nResidents", f"\n\n{PROMO}\n\nResidents")
        (folder / f"{i:02d}.txt").write_text(text, encoding="utf-8")


def test_dying_at_any_checkpoint_then_rerunning_removes_the_same_site_boilerplate(tmp_path: Path, monkeypatch):
    inputs = tmp_path / "in"
    write_site(inputs)
    config = tmp_path / "strip.toml"
    config.write_text(STRIP_STAGES)

    reference = tmp_path / "reference"
    crash._run_until(inputs, reference, config, None, 0, monkeypatch)
    corpus = (reference / "corpus.jsonl").read_text(encoding="utf-8")
    assert corpus.count("\n") == 10
    kept = [json.dumps(json.loads(line)["blocks"], ensure_ascii=False) for line in corpus.splitlines()]
    assert all("Residents told reporters" in blocks for blocks in kept)
    assert not any(PROMO in blocks for blocks in kept)
    assert (reference / "state" / "strip_sites.sqlite").is_file()

    # die at the start of each checkpoint (before the stages commit) and just before each run
    # state commit (the strip counts already committed); 11 checkpoints cover the whole run
    for die_in in ((SingleFileSink, "flush"), (RunState, "commit")):
        for die_at in range(1, 12):
            out = tmp_path / f"died-in-{die_in[1]}-{die_at}"
            crash._run_until(inputs, out, config, die_in, die_at, monkeypatch)
            crash._run_until(inputs, out, config, None, 0, monkeypatch)
            for name in ("corpus.jsonl", "rejected.jsonl"):
                assert (out / name).read_bytes() == (reference / name).read_bytes(), f"{name}, {die_in[1]} #{die_at}"


def _docs(n: int, promo_in: tuple[int, ...]) -> list[Document]:
    docs = []
    for i in range(n):
        text = article(i).replace("\n\nResidents", f"\n\n{PROMO}\n\nResidents") if i in promo_in else article(i)
        docs.append(Document(id=f"d{i}", text=text, source={"url": f"https://town.example.org/{i}"}))
    return docs


def _removed_promo(docs: list[Document]) -> list[str]:
    return [d.id for d in docs if any(r["text"] == PROMO and r["rule"] == "site_boilerplate" for r in d.removed)]


def test_counts_are_durable_only_once_committed(tmp_path: Path):
    first = StripStage(context={"state_dir": tmp_path})
    list(first.run(_docs(4, (0, 1, 2))))
    first.close()  # no commit: as if the run died before its last checkpoint
    first.rollback()
    assert StripStage(context={"state_dir": tmp_path}).store.site_docs("town.example.org") == 0

    second = StripStage(context={"state_dir": tmp_path, "commit_on_close": True})
    assert _removed_promo(list(second.run(_docs(4, (0, 1, 2))))) == ["d0", "d1", "d2"]
    second.close()
    # a later run's single page with the promo finds the site's earlier pages counted
    later = StripStage(context={"state_dir": tmp_path})
    (doc,) = later.run(
        [Document(id="new", text=article(7) + f"\n{PROMO}\n", source={"url": "https://town.example.org/x"})]
    )
    assert _removed_promo([doc]) == ["new"]
    assert later.store.site_docs("town.example.org") == 5
    # without commit_on_close the runner's commit() after close makes the counts durable
    later.close()
    later.commit()
    assert SiteLineStore(tmp_path / "strip_sites.sqlite").site_docs("town.example.org") == 5


def test_old_json_counts_are_imported_once(tmp_path: Path):
    key_hash = line_hash("sign up for the morning briefing and get our top stories every day")
    old = {
        "docs": {"town.example.org": 4},
        "lines": {"town.example.org": {f"{key_hash & (2**64 - 1):016x}": 3}},
        "seen": ["d0", "d1", "d2", "d3"],
    }
    (tmp_path / "strip_site_lines.json").write_text(json.dumps(old))
    stage = StripStage(context={"state_dir": tmp_path, "commit_on_close": True})
    extra = Document(id="d9", text=article(9) + f"\n{PROMO}\n", source={"url": "https://town.example.org/9"})
    docs = list(stage.run([*_docs(4, (0, 1, 2)), extra]))
    stage.close()
    # d0..d3 were counted by the old run: not again; d9 is new
    assert stage.counters["state_imported"] == 1
    assert not (tmp_path / "strip_site_lines.json").exists()
    assert _removed_promo(docs) == ["d0", "d1", "d2", "d9"]
    store = SiteLineStore(tmp_path / "strip_sites.sqlite")
    assert store.site_docs("town.example.org") == 5
    assert store.counts("town.example.org", [key_hash]) == {key_hash: 4}
    # a second run finds no file to import and counts nothing twice
    again = StripStage(context={"state_dir": tmp_path, "commit_on_close": True})
    list(again.run(docs))
    again.close()
    assert again.counters["state_imported"] == 0
    assert SiteLineStore(tmp_path / "strip_sites.sqlite").site_docs("town.example.org") == 5


def test_unreadable_state_never_stops_the_stage(tmp_path: Path):
    (tmp_path / "strip_sites.sqlite").write_bytes(b"not a database" * 100)
    (tmp_path / "strip_site_lines.json").write_text("{broken")
    stage = StripStage(context={"state_dir": tmp_path})
    out = list(stage.run(_docs(4, (0, 1, 2))))
    assert _removed_promo(out) == ["d0", "d1", "d2"]
    assert stage.counters["state_unreadable"] == 1


def test_counts_of_another_line_hash_are_refused(tmp_path: Path):
    store = SiteLineStore(tmp_path / "strip_sites.sqlite")
    store.db.execute("UPDATE meta SET value='old' WHERE key='hash'")
    store.db.close()
    with pytest.raises(StageStateError, match="rebuild"):
        list(StripStage(context={"state_dir": tmp_path}).run(_docs(1, ())))


def test_split_strip_writes_what_the_whole_stage_writes(tmp_path: Path):
    """Engines that spread documents over processes split strip (Stage.split): site counts in
    order on one process, cleaning anywhere. The two parts together write what the whole does:
    same records (site boilerplate included) and the same counters."""

    def docs() -> list[Document]:
        out = []
        for i in range(10):
            text = (
                article(i) if i not in (1, 4, 8) else article(i).replace("\n\nResidents", f"\n\n{PROMO}\n\nResidents")
            )
            out.append(Document(id=f"bm-{i:020d}", text=text, source={"path": f"{i:02d}.txt"}))
        return out

    whole = StripStage(context={"state_dir": tmp_path / "whole"})
    ordered = StripStage(context={"state_dir": tmp_path / "split"})
    cleaning = ordered.split()
    assert not type(cleaning).once_per_corpus and cleaning.key == "strip"
    expected = list(whole.run(docs()))
    got = list(cleaning.run(ordered.run(docs())))
    pipeline = {"version": "test"}
    assert [json.dumps(corpus_record(d, pipeline)) for d in got] == [
        json.dumps(corpus_record(d, pipeline)) for d in expected
    ]
    assert any(r["rule"] == "site_boilerplate" for d in got for r in d.removed)
    assert all(not d.handover for d in got)  # nothing handed over is left in the record
    merged = ordered.counters + cleaning.counters
    assert merged == whole.counters
