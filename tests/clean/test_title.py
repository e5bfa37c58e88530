"""The learned headline: chosen among the lines around the article's start, never page chrome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from babelmill.clean.title import TitleModel, default_model, page_lines, verdicts_of
from babelmill.clean.title_candidates import NEVER, candidates
from babelmill.document import Document
from babelmill.stages.strip import StripConfig, StripStage

REPO = Path(__file__).parents[2]
ART = [
    "The city council approved the new budget on Tuesday after a debate that lasted for more than six hours and "
    "ended late in the evening.",
    "Several members had argued that the plan did not do enough for public transport, while others said the cuts "
    "to the library service went too far.",
    "The mayor said she was pleased with the outcome and that the city would now begin talks with the unions about "
    "the details of the budget.",
]
CHROME = ["Skip to main content", "Search this site", "Get our app", "Home", "News", "Sport", "Contact us"]


def strip(text: str, **cfg) -> Document:
    return next(iter(StripStage(StripConfig(**cfg)).process(Document(id="t", text=text))))


def test_shipped_model_loads_and_is_small() -> None:
    path = REPO / "src" / "babelmill" / "data" / "title.json"
    assert path.stat().st_size < 20_000
    model = default_model()
    assert isinstance(model, TitleModel) and len(model.weights) == len(model.features) == len(model.mean)


def test_headline_below_chrome_is_the_title_and_leaves_the_body() -> None:
    headline = "Council passes budget after six-hour debate"
    doc = strip("\n".join([*CHROME, headline, *ART]))
    assert doc.metadata["title"] == headline
    assert 0.0 < doc.metadata["title_probability"] <= 1.0
    assert headline not in [b.text for b in doc.blocks]
    assert {r["text"]: r["rule"] for r in doc.removed}[headline] == "metadata_title"


def test_chrome_is_never_a_candidate() -> None:
    """Lines a rule or the site template removed are not candidates, whatever the model says."""
    text = "\n".join(["Share on Facebook", "Tweet", "Subscribe to our newsletter", *ART])
    lines = page_lines(text)
    doc = strip(text, learned_title=False)
    verdicts = verdicts_of(doc.blocks, doc.removed)
    texts = {c.line.text for c in candidates(lines, verdicts)}
    removed = {r["text"]: r["rule"] for r in doc.removed}
    for line, rule in removed.items():
        if rule.startswith(NEVER):
            assert line not in texts, (line, rule)
    # with every line but the article chrome, no title is made up from the chrome
    title = strip(text).metadata.get("title")
    assert title not in ("Share on Facebook", "Tweet", "Subscribe to our newsletter")


def test_no_title_option_wins_when_no_line_is_credible() -> None:
    model = default_model()
    assert model is not None
    cautious = TitleModel(model.features, model.mean, model.scale, model.weights, no_title_score=1e9)
    from babelmill.clean.title import choose_title

    text = "\n".join(["Council passes budget after six-hour debate", *ART])
    doc = strip(text, learned_title=False)
    cand, p = choose_title(page_lines(text), verdicts_of(doc.blocks, doc.removed), model=cautious)
    assert cand is None and p < 0.01


def test_learned_title_off_keeps_the_rule_based_pick() -> None:
    text = "\n".join([*CHROME, "Council passes budget after six-hour debate", *ART])
    doc = strip(text, learned_title=False)
    assert "title_probability" not in doc.metadata


def test_seed_titles_are_headlines_not_chrome() -> None:
    chrome_words = ("skip", "search", "menu", "subscribe", "app", "login", "contact", "home")
    for path in sorted((REPO / "seeds").glob("*.txt")):
        md = strip(path.read_text(encoding="utf-8")).metadata
        title = md.get("title")
        assert title, path.name
        assert not any(title.casefold().startswith(w) for w in chrome_words), (path.name, title)


def test_model_features_match_the_candidates() -> None:
    model = default_model()
    text = "\n".join([*CHROME, "Council passes budget after six-hour debate", *ART])
    doc = strip(text, learned_title=False)
    cands = candidates(page_lines(text), verdicts_of(doc.blocks, doc.removed))
    assert cands and sorted(cands[0].features) == model.features


def test_model_json_is_what_the_trainer_writes() -> None:
    data = json.loads((REPO / "src" / "babelmill" / "data" / "title.json").read_text(encoding="utf-8"))
    assert data["kind"] == "conditional_logit" and data["l2"] > 0
    assert "no_title_score" in data and "l3s-gn1" in data["data"]


@pytest.mark.parametrize("n_chrome", [0, 3, 7])
def test_title_is_stable_under_more_menu_lines(n_chrome: int) -> None:
    headline = "Council passes budget after six-hour debate"
    doc = strip("\n".join([*CHROME[:n_chrome], headline, *ART]))
    assert doc.metadata.get("title") == headline


def test_topic_words_keep_the_names_and_verbs_of_a_headline() -> None:
    """The overlap features count a headline's topic words: the stop-words English list alone
    would drop "opens", "cases" and "Microsoft" and leave this headline without any."""
    from babelmill.clean.title_candidates import topic_stems

    assert topic_stems("EU opens new cases against Microsoft") == {"opens", "cases", "micro"}
    assert topic_stems("The of and with from") == set()


def test_a_quoted_sentence_is_never_a_candidate() -> None:
    quote = '"We are pleased with the outcome of the vote tonight," the mayor said.'
    dek = "'Rapper's attorney reportedly says the damage will have dire consequences.'"
    headline = "Council passes budget after six-hour debate"
    text = "\n".join([*CHROME, headline, dek, quote, *ART])
    doc = strip(text, learned_title=False)
    texts = {c.line.text for c in candidates(page_lines(text), verdicts_of(doc.blocks, doc.removed))}
    assert headline in texts
    assert quote not in texts and dek not in texts


def test_a_headline_printed_twice_pools_its_probability() -> None:
    from babelmill.clean.title import pooled_choice

    # two copies of one text at 1.0 each outweigh a single line at 1.5 (2e > e^1.5)
    k, share, emitted = pooled_choice(["Budget passes", "Other story", "• Budget passes"], [1.0, 1.5, 1.0], -5.0)
    assert k == 0 and emitted
    assert share > 0.5
    # the "no title" option still wins over a pooled text that scores lower
    assert pooled_choice(["A", "A"], [0.0, 0.0], 2.0)[2] is False


def test_a_title_is_emitted_when_the_candidates_together_outweigh_the_no_title_option() -> None:
    """A headline and its dek splitting the page's probability: neither line alone outscores the
    "no title" option, but together they hold most of the probability, so the page has a title
    (the better line); when the option holds half or more, the title stays null."""
    from babelmill.clean.title import pooled_choice

    # shares: headline 0.33, dek 0.30, no title 0.37
    k, share, emitted = pooled_choice(["Podium for Canuck", "Bronze medal picks up slack"], [0.0, -0.1], 0.1)
    assert emitted and k == 0 and 0.3 < share < 0.35
    # three lines at 0.2 each against an option at 0.4: still a title
    assert pooled_choice(["A", "B", "C"], [0.0, 0.0, 0.0], 0.69)[2] is True
    # the option at half or more: null
    assert pooled_choice(["A", "B"], [0.0, 0.0], 0.7)[2] is False


def test_the_articles_byline_anchors_candidates_below_kept_teasers() -> None:
    """A headline next to the article's byline is a candidate even when kept teasers and
    headings above it hold every body anchor (the first kept block, the first long paragraph
    and the longest kept run all start 70 lines above it)."""
    teaser = (
        "Teaser about another product with enough words in it to read like a paragraph of text that someone kept "
        "on the page above the article it belongs to"
    )
    headline = "Storage vendor unveils an array for small businesses"
    rows = [teaser] * 10 + [f"Link number {i}" for i in range(60)] + [headline, "By Dan Muse", *ART]
    lines = page_lines("\n".join(rows))
    verdicts = {ln.n: (None, "paragraph" if ln.weq >= 10 else "heading") for ln in lines}
    verdicts[lines[71].n] = ("metadata_author", None)
    texts = {c.line.text for c in candidates(lines, verdicts)}
    assert headline in texts


def test_lines_that_open_with_page_furniture_words_are_marked() -> None:
    """Lines such as "Send me a copy of this e-mail.", "Powered by TypePad" and "» Links to
    this article" open with a command or link word of page furniture; a headline seldom does."""
    furniture = ["Send me a copy of this e-mail.", "Powered by TypePad", "» Links to this article", "What are these?"]
    headline = "Council passes budget after six-hour debate"
    text = "\n".join([*furniture, headline, *ART])
    doc = strip(text, learned_title=False)
    feats = {c.line.text: c.features for c in candidates(page_lines(text), verdicts_of(doc.blocks, doc.removed))}
    assert feats[headline]["ui_start"] == 0.0
    assert all(feats[t]["ui_start"] == 1.0 for t in furniture if t in feats)
    assert sum(t in feats for t in furniture) >= 2
    model = default_model()
    assert model.weights[model.features.index("ui_start")] < 0  # learned: such a line is less likely the headline


def _trainer():
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    import train_title

    return train_title


def test_the_trainers_site_seen_share_counts_only_the_sites_other_pages() -> None:
    tt = _trainer()
    keys = {"send me a copy of this e-mail.": 6, "our headline": 2, "a teaser": 2}
    counts = {"send me a copy of this e-mail.": 5, "our headline": 1, "a teaser": 2}
    assert tt.site_seen(keys, counts, 5) == {"send me a copy of this e-mail.": 1.0, "a teaser": 0.25}
    assert tt.site_seen(keys, counts, 1) == {}  # a site's first page has no other pages


def test_the_trainers_site_count_features_read_the_lines_around_a_candidate() -> None:
    """A headline sits above the story's own text (on no other page of the site); a teaser
    sits among other teasers and furniture that the site's other pages print too."""
    teasers = ["Universities consider naming rights", "Snow, sleet possible Thursday morning", "Mayor opens new bridge"]
    headline = "Council passes budget after six-hour debate"
    text = "\n".join([*CHROME, *teasers, headline, *ART])
    doc = strip(text, learned_title=False)
    lines = page_lines(text)
    seen = {ln.key: 1.0 for ln in lines if ln.text in CHROME or ln.text in teasers}
    cands = candidates(lines, verdicts_of(doc.blocks, doc.removed))
    _trainer().add_seen_features(cands, lines, seen)
    feats = {c.line.text: c.features for c in cands}
    assert feats[headline]["seen_below"] == 0.0 and feats[headline]["seen_above"] == 1.0
    assert feats[teasers[0]]["seen_below"] > 0.5 and feats[teasers[0]]["site_seen_share"] == 1.0
    # the shipped model reads none of them
    assert not {"site_seen_share", "seen_below", "seen_above"} & set(default_model().features)


def test_the_trainer_writes_the_shipped_file_only_from_the_shipped_setup(tmp_path: Path, monkeypatch) -> None:
    tt = _trainer()
    before = tt.DEFAULT_OUT.read_bytes()
    monkeypatch.setattr("sys.argv", ["train_title.py", "--dev", str(tmp_path), "--skip-cv", "--site-seen"])
    assert tt.main() == 2
    assert tt.DEFAULT_OUT.read_bytes() == before


def _dev_folder(root: Path) -> Path:
    """A tiny dev folder as ``train_title.collect`` reads it: site ``a.example`` prints the same
    teaser lines above each of its 3 headlines; 9 one-page sites print none. Counted by site, the
    teasers are a.example's template; in one bucket (a folder of plain dumps) they are on 3 of
    12 pages, under the template's 30%."""
    folder = root / "boilerplate2"
    folder.mkdir(parents=True)
    teasers = ["Mayor opens new bridge over the river", "Snow and sleet possible on Thursday morning"]
    rows = ["id\tdataset\tsource_id\turl\tdomain\tlang\tdump_bytes\ttruth_words\ttruth_token_coverage_in_dump"]
    subjects = ["harbour", "library", "stadium", "museum", "airport", "tram line", "hospital", "school", "market"]
    pages = [("a.example", [*teasers, f"Council votes on the {s} plan"]) for s in subjects[:3]]
    pages += [(f"b{i}.example", [f"Residents debate the new {s}"]) for i, s in enumerate(subjects)]
    for i, (site, head) in enumerate(pages):
        pid = f"{i:04d}"
        body = [f"{para} The {subjects[i % 9]} was named in the report." for para in ART]
        (folder / f"{pid}.txt").write_text("\n".join([*head, *body]) + "\n", encoding="utf-8")
        (folder / f"{pid}.truth.txt").write_text("\n".join([head[-1], *body]) + "\n", encoding="utf-8")
        rows.append(f"{pid}\tl3s-gn1\tx/{pid}\thttp://{site}/{pid}\t{site}\ten\t1\t1\t1.0")
    (folder / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def test_the_shipped_title_model_learns_each_page_with_and_without_its_sites_template(tmp_path: Path) -> None:
    """``babelmill run`` on a folder of plain page dumps cannot tell sites apart (every page in
    one bucket), a run that knows them removes each site's template: the shipped title model
    learns every page both ways, in the same site fold, so that it picks titles in either."""
    tt = _trainer()
    pages = tt.collect(_dev_folder(tmp_path), counts=tt.SHIPPED_COUNTS)
    by_id: dict[str, dict[str, dict]] = {}
    for p in pages:
        by_id.setdefault(p["id"], {})[p["counts"]] = p
    assert len(by_id) == 12 and all(set(v) == {"site", "cli"} for v in by_id.values())
    assert all(sum(p["weight"] for p in v.values()) == 1.0 for v in by_id.values())  # a page counts once
    folds: dict[str, set[int]] = {}
    for p, g in zip(pages, tt.site_folds(pages, tt.FOLDS), strict=True):
        folds.setdefault(p["id"], set()).add(g)
    assert all(len(g) == 1 for g in folds.values())  # both copies of a page in one fold
    teaser = "Mayor opens new bridge over the river"

    def template(p: dict) -> float:
        return p["feats"][p["texts"].index(teaser)]["site_repeat"]

    for copies in (by_id[f"{i:04d}"] for i in range(3)):
        assert template(copies["site"]) == 1.0  # counted by site: a.example's template
        assert template(copies["cli"]) == 0.0  # one bucket: a line like any other
        assert copies["site"]["truth"] == copies["cli"]["truth"]


def test_a_run_of_plain_dumps_picks_the_titles_a_run_that_knows_the_sites_picks() -> None:
    """A site printing the same menu and teasers above each of its 3 headlines, among 9 pages of
    other sites: known, the teasers are the site's template; as plain dumps (no site: one bucket)
    they are on 3 of 12 pages, under the template's 30%. Either way each page's title is its headline."""
    subjects = ["harbour", "library", "stadium", "museum", "airport", "tram", "hospital", "school", "market", "park"]
    subjects += ["bridge", "station"]
    teasers = ["Mayor opens new bridge over the river", "Snow and sleet possible on Thursday morning"]
    pages = []
    for i, s in enumerate(subjects):
        head = f"Council votes on the {s} plan" if i < 3 else f"Residents debate the new {s}"
        above = [*CHROME[:3], *teasers] if i < 3 else []
        body = [f"{p} The {s} was named in the report." for p in ART]
        pages.append(("a.example" if i < 3 else f"b{i}.example", head, "\n".join([*above, head, *body])))

    def titles(site_known: bool) -> list[str | None]:
        stage = StripStage(StripConfig(persist_site_counts=False))
        docs = [
            Document(id=f"p{i}", text=text, source={"site": site} if site_known else {})
            for i, (site, _, text) in enumerate(pages)
        ]
        return [d.metadata.get("title") for d in stage.process_batch(docs)]

    heads = [head for _, head, _ in pages]
    assert titles(site_known=True) == heads
    assert titles(site_known=False) == heads
