"""The strip stage's per-site line counts: durable at the runner's checkpoints, counted once.

A line found in enough documents of one site is removed as ``site_boilerplate``. The counts
behind that decision live in ``state/strip_sites.sqlite`` and are committed with the corpus,
so a run that dies at any checkpoint and is rerun writes exactly what an uninterrupted run does.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import tests.run.test_crash_safety as crash
from babelmill.clean.site_lines import SiteLineStore, line_hash, template_candidates
from babelmill.document import Document
from babelmill.io.sinks import SingleFileSink
from babelmill.io.write import corpus_record
from babelmill.run.state import RunState
from babelmill.stage import StageStateError
from babelmill.stages.strip import StripStage
from tests.conftest import site_store_tables

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


def test_counts_of_an_earlier_version_are_refused_not_mixed_in(tmp_path: Path):
    """The old JSON counts and a format-1 store hold no per-document lines (an edited input's
    old lines could not be taken out): the run stops and asks for a rebuild."""
    (tmp_path / "strip_site_lines.json").write_text(json.dumps({"docs": {}, "lines": {}, "seen": []}))
    with pytest.raises(StageStateError, match="earlier version.*rebuild"):
        list(StripStage(context={"state_dir": tmp_path}).run(_docs(1, ())))
    (tmp_path / "strip_site_lines.json").unlink()
    old = sqlite3.connect(tmp_path / "strip_sites.sqlite")
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('hash', 'blake2b64-1');"
        "CREATE TABLE sites (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, docs INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE counted (id TEXT PRIMARY KEY) WITHOUT ROWID;"
    )
    old.close()
    with pytest.raises(StageStateError, match="format 1.*rebuild"):
        list(StripStage(context={"state_dir": tmp_path}).run(_docs(1, ())))


def test_a_forgotten_document_leaves_the_counts_as_if_never_counted(tmp_path: Path):
    docs = _docs(5, (0, 1, 2, 3))
    promo = line_hash(PROMO.casefold())
    store = SiteLineStore(tmp_path / "strip_sites.sqlite")
    for doc in docs:
        store.add("town.example.org", [line_hash(k) for k in template_candidates(doc.text)], doc.id)
    store.commit()
    assert store.counts("town.example.org", [promo]) == {promo: 4}
    assert store.forget(["d0", "d4", "never-counted"]) == 2
    # seen at once by the look-ups, durable only with the commit
    assert store.site_docs("town.example.org") == 3 and store.counts("town.example.org", [promo]) == {promo: 3}
    assert SiteLineStore(tmp_path / "strip_sites.sqlite").site_docs("town.example.org") == 5
    assert store.counted(["d0", "d1", "d4"]) == {"d1"}
    store.commit()
    store.close()
    reference = SiteLineStore(tmp_path / "reference.sqlite")
    for doc in docs[1:4]:
        reference.add("town.example.org", [line_hash(k) for k in template_candidates(doc.text)], doc.id)
    reference.commit()
    reference.close()
    # no line of the forgotten documents is left behind, not even with a count of 0
    assert site_store_tables(tmp_path / "strip_sites.sqlite") == site_store_tables(tmp_path / "reference.sqlite")


def test_a_document_id_met_again_with_other_lines_replaces_its_old_version(tmp_path: Path):
    first = StripStage(context={"state_dir": tmp_path, "commit_on_close": True})
    list(first.run(_docs(4, (0, 1, 2))))
    first.close()
    # d0 edited under the same id: the promo line goes, a new line comes
    edited = _docs(1, ())[0]
    edited.text += "\nA correction was added on Wednesday.\n"
    again = StripStage(context={"state_dir": tmp_path, "commit_on_close": True})
    list(again.run([edited, *_docs(4, (0, 1, 2))[1:]]))
    again.close()
    assert again.counters["site_counts_forgotten"] == 1
    promo, fix = line_hash(PROMO.casefold()), line_hash("a correction was added on wednesday.")
    store = SiteLineStore(tmp_path / "strip_sites.sqlite")
    assert store.site_docs("town.example.org") == 4
    assert store.counts("town.example.org", [promo, fix]) == {promo: 2, fix: 1}
    # the same lines again: counted once
    third = StripStage(context={"state_dir": tmp_path, "commit_on_close": True})
    list(third.run([edited]))
    third.close()
    assert third.counters.get("site_counts_forgotten", 0) == 0
    assert SiteLineStore(tmp_path / "strip_sites.sqlite").site_docs("town.example.org") == 4


def test_forgetting_is_durable_only_once_committed(tmp_path: Path):
    stage = StripStage(context={"state_dir": tmp_path, "commit_on_close": True})
    list(stage.run(_docs(3, (0, 1, 2))))
    stage.close()
    dying = StripStage(context={"state_dir": tmp_path})
    assert dying.forget("d0") == 1
    dying.close()
    dying.rollback()  # killed before the checkpoint: d0 is still counted
    assert SiteLineStore(tmp_path / "strip_sites.sqlite").counted(["d0"]) == {"d0"}
    rerun = StripStage(context={"state_dir": tmp_path})
    assert rerun.forget(["d0"]) == 1 and rerun.forget(["d0"]) == 0
    rerun.close()
    rerun.commit()
    assert SiteLineStore(tmp_path / "strip_sites.sqlite").site_docs("town.example.org") == 2


def test_unreadable_state_never_stops_the_stage(tmp_path: Path):
    (tmp_path / "strip_sites.sqlite").write_bytes(b"not a database" * 100)
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


def test_inputs_added_by_a_later_run_give_what_a_rebuild_gives(tmp_path: Path, monkeypatch):
    """Forty pages, then thirty more: the rebuild cleans the first 64 as one batch, so its first
    forty pages see more of their site's pages than they did in the first run. The site counts
    only decide the template, whose thresholds (3 pages and 30% of them) a few pages more do not
    cross, so the corpus is the same. (Title features read from the share of the site's pages
    that print a line moved most records here: benchmarks/TITLE.md, "Site counts".)"""
    teasers = [f"Read more: the {t} story of week {w}" for t in TOPICS for w in range(3)]
    inputs, later = tmp_path / "in", tmp_path / "later"
    for i in range(70):
        extra = [teasers[(i * 7) % len(teasers)], teasers[(i * 11 + 3) % len(teasers)]]
        text = article(i).replace("\n\nResidents", "\n\n" + "\n\n".join([PROMO, *extra]) + "\n\nResidents")
        folder = inputs if i < 40 else later
        folder.mkdir(exist_ok=True)
        (folder / f"{i:02d}.txt").write_text(text, encoding="utf-8")
    config = tmp_path / "strip.toml"
    config.write_text(STRIP_STAGES)
    out = tmp_path / "out"
    crash._run_until(inputs, out, config, None, 0, monkeypatch)
    for p in sorted(later.iterdir()):
        p.rename(inputs / p.name)
    crash._run_until(inputs, out, config, None, 0, monkeypatch)
    incremental = (out / "corpus.jsonl").read_bytes()
    assert incremental.count(b"\n") == 70
    crash._run_until(inputs, tmp_path / "rebuilt", config, None, 0, monkeypatch)
    assert (tmp_path / "rebuilt" / "corpus.jsonl").read_bytes() == incremental


# -- the site an input names (babelmill.sites) -----------------------------------------------------
# Three pages of town.example.org share the promo line among nine pages of other sites: counted
# per site, the promo is in 3 of the site's 3 pages (its template); counted in the one shared
# bucket of a run that knows no site, in 3 of 12 (under the 30% share), so it is not.


def _mixed_pages() -> list[str]:
    promo = f"\n\n{PROMO}\n\nResidents"
    return [article(i).replace("\n\nResidents", promo) if i < 3 else article(i) for i in range(12)]


def _site_run(tmp_path: Path, inputs: Path, name: str, config: str = STRIP_STAGES, **kw) -> list[dict]:
    from babelmill.run import RunOptions, run_pipeline

    (tmp_path / f"{name}.toml").write_text(config)
    out = tmp_path / name
    opts = RunOptions(inputs=[str(inputs)], output_dir=out, config_path=tmp_path / f"{name}.toml", **kw)
    run_pipeline(opts, warn=lambda msg: None)
    return [json.loads(line) for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]


def _site_template_removed(records: list[dict]) -> list[str]:
    return sorted(
        Path(r["source"]["path"]).name + (f":{r['source']['line']}" if "line" in r["source"] else "")
        for r in records
        if any(x["text"] == PROMO and x["rule"] == "site_boilerplate" for x in r["cleaning"]["removed"])
    )


def test_a_jsonl_records_url_makes_its_sites_template_lines_count_per_site(tmp_path: Path):
    def write(name: str, with_url: bool) -> Path:
        lines = []
        for i, text in enumerate(_mixed_pages()):
            host = "town.example.org" if i < 3 else f"paper{i}.example.net"
            meta = {"metadata": {"url": f"https://www.{host}/{i}", "dump": "CC-MAIN"}} if with_url else {}
            lines.append(json.dumps({"id": f"p{i}", "text": text, **meta}) + "\n")
        (tmp_path / name).mkdir()
        (tmp_path / name / "part.jsonl").write_text("".join(lines), encoding="utf-8")
        return tmp_path / name

    records = _site_run(tmp_path, write("urls", True), "with-urls", input_format="jsonl")
    assert _site_template_removed(records) == ["part.jsonl:1", "part.jsonl:2", "part.jsonl:3"]
    first = records[0]["source"]
    assert (first["url"], first["host"]) == ("https://www.town.example.org/0", "town.example.org")
    assert first["extra"] == {"metadata": {"url": "https://www.town.example.org/0", "dump": "CC-MAIN"}}
    # the same pages without their URLs share one count: the promo is no template there
    records = _site_run(tmp_path, write("no-urls", False), "without-urls", input_format="jsonl")
    assert _site_template_removed(records) == []
    assert not any("host" in r["source"] or "url" in r["source"] for r in records)


def test_a_folder_named_as_a_host_is_the_site_of_its_pages(tmp_path: Path):
    def write(name: str, site_folder: str) -> Path:
        for i, text in enumerate(_mixed_pages()):
            folder = tmp_path / name / (site_folder if i < 3 else "misc")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i:02d}.txt").write_text(text, encoding="utf-8")
        return tmp_path / name

    hosts = write("hosts", "town.example.org")
    records = _site_run(tmp_path, hosts, "by-host")
    assert _site_template_removed(records) == ["00.txt", "01.txt", "02.txt"]
    hosts_of = {Path(r["source"]["path"]).name: r["source"].get("host") for r in records}
    assert hosts_of == {f"{i:02d}.txt": "town.example.org" if i < 3 else None for i in range(12)}
    # a folder name that is no host name (data.v2) leaves its pages in the shared count
    assert _site_template_removed(_site_run(tmp_path, write("versions", "data.v2"), "by-version")) == []
    # read.site_from_folder: "never" reads no folder, "always" any folder name
    never = STRIP_STAGES + '[stages.read]\nsite_from_folder = "never"\n'
    assert _site_template_removed(_site_run(tmp_path, hosts, "never", never)) == []
    always = STRIP_STAGES + '[stages.read]\nsite_from_folder = "always"\n'
    assert _site_template_removed(_site_run(tmp_path, tmp_path / "versions", "always", always)) == [
        "00.txt", "01.txt", "02.txt"
    ]  # fmt: skip
