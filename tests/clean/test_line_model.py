"""The cleaner's learned line model: export and evaluation of the trees, the decision rule, the
packaged model's verdicts and reasons, training on a user's pages, and the config option."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from babelmill.clean.lexicon import Lexicon, grams
from babelmill.clean.line_model import (
    DEFAULT_MODEL,
    FEATURES,
    LEX_FEATURES,
    LineModel,
    decide_lines,
    lexical_columns,
    load_line_model,
)
from babelmill.document import Document
from babelmill.stages.strip import StripConfig, StripStage

ART = [
    "The city council approved the new budget on Tuesday after a debate that lasted for more than six hours.",
    "Several members had argued that the plan did not do enough for public transport in the outer districts.",
    "The mayor said she was pleased with the outcome and that talks with the unions would begin next week.",
    "Opposition members said they would keep pressing for a larger share of the money for the bus network.",
]
MENU = ["Home", "Politics", "Sports", "Weather", "Contact us"]
TEASERS = ["Mayor Meets Union Leaders", "Library Hours Extended", "New Bike Lanes Downtown", "Most read today"]


def strip(text: str, stage: StripStage | None = None) -> Document:
    stage = stage or StripStage()
    return next(iter(stage.process(Document(id="t", text=text))))


def page() -> str:
    return "\n".join([*MENU, "Budget passes after long debate", *ART, *TEASERS, "Copyright 2024 City Paper"])


# -- the packaged model ---------------------------------------------------------------------------


def test_packaged_model_loads_fast_and_is_small():
    assert DEFAULT_MODEL.stat().st_size < 3 * 1024 * 1024
    data = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    style = [f"style_{c}" for c in data["page_style"]["classes"]]
    assert data["features"] == list(FEATURES) + list(LEX_FEATURES) + style
    assert 0 < data["threshold"] < 1
    model = LineModel.load(DEFAULT_MODEL)
    assert len(model.first.roots) == len(data["trees"])
    assert model.lexicon is not None and len(model.lexicon.weights) == len(data["lexicon"]["grams"])
    # the page style tells the English sets' notions of main text apart, not languages
    assert model.style is not None and model.style.classes == ["cleaneval", "cleanportaleval", "dragnet", "l3s-gn1"]


def test_packaged_lexicon_reads_comment_and_share_chrome_as_less_likely_article_than_prose():
    lexicon = LineModel.load(DEFAULT_MODEL).lexicon
    chrome = ["Leave a Reply", "Share this article on Facebook", "Thanks for the great post, I loved it!"]
    scores = lexicon.score([*ART, *chrome])
    assert scores[len(ART) :].max() < scores[: len(ART)].min()


def test_lexicon_scores_a_line_by_its_known_word_grams():
    lexicon = Lexicon({"budget": 2.0, "the budget": 1.0, "reply": -3.0}, bias=-0.5)
    # known grams of each line: {the budget, budget} -> (2 + 1) / sqrt(2); {reply} -> -3; none -> bias
    got = lexicon.score(["THE BUDGET passed", "Reply", "nothing known here", ""])
    assert got == pytest.approx([-0.5 + 3 / np.sqrt(2), -3.5, -0.5, -0.5])
    assert grams("a b a") == ["a", "b", "a b", "b a"]
    cols = lexical_columns(got)
    assert cols.shape == (4, len(LEX_FEATURES))
    assert cols[:, 1] == pytest.approx(got - np.median(got))  # the score against the page's median


def test_lexicon_learns_only_word_grams_seen_on_enough_sites():
    pytest.importorskip("sklearn")
    from babelmill.clean.lexicon import train_lexicon

    sites = ["a.example", "b.example", "c.example", "d.example"]
    texts = [[*ART[:2], "Leave a reply", "Share this story", f"only on {s.split('.')[0]}site"] for s in sites]
    labels = [np.array([1, 1, 0, 0, 0]) for _ in sites]
    weights = [np.ones(5) for _ in sites]
    stored = train_lexicon(texts, labels, weights, sites, min_sites=3)
    again = train_lexicon(texts, labels, weights, sites, min_sites=3)
    assert stored == again  # seeded
    assert "reply" in stored["grams"] and "asite" not in stored["grams"]  # on one site only: left out
    lexicon = Lexicon.from_json(stored)
    s = lexicon.score([ART[0], "Leave a reply"])
    assert s[0] > 0 > s[1]


def test_a_model_with_a_lexicon_needs_the_lines_texts():
    model = LineModel.load(DEFAULT_MODEL)
    X = np.zeros((2, len(FEATURES)))
    with pytest.raises(ValueError, match="texts"):
        model.predict(X)
    assert model.predict(X, ["Home", "The council approved the budget."]).shape == (2,)


def test_every_line_gets_a_verdict_and_model_removals_carry_p():
    doc = strip(page())
    kept = [b.text for b in doc.blocks]
    assert all(a in kept for a in ART)
    assert not set(MENU) & set(kept)
    by_rule = {r["text"]: r for r in doc.removed}
    assert by_rule["Home"]["rule"] == "navigation" and "p" not in by_rule["Home"]  # a rule's verdict stands
    for line in ("Politics", "Weather", "Mayor Meets Union Leaders"):
        row = by_rule[line]
        assert row["rule"] == "line_model" and 0 <= row["p"] < 0.5, row
    res = StripStage().cleaner.clean(page())
    assert len(res.verdicts) == len(page().split("\n"))
    v = {r["line"]: r for r in res.verdicts}
    assert v[len(MENU) + 2]["keep"] and v[len(MENU) + 2]["p"] > 0.5  # the first article paragraph
    assert not v[2]["keep"] and v[2]["rule"] == "line_model"
    assert not v[1]["keep"] and v[1]["rule"] == "navigation" and v[1]["p"] is None


def test_without_a_model_the_structure_step_decides():
    doc = strip(page(), StripStage(StripConfig(line_model="")))
    assert all(a in [b.text for b in doc.blocks] for a in ART)
    assert "line_model" not in {r["rule"] for r in doc.removed}
    assert all("p" not in r for r in doc.removed)


def test_clean_explain_shows_model_probability(tmp_path):
    from babelmill.cli import main

    path = tmp_path / "page.txt"
    path.write_text(page(), encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", "--explain", str(path)])
    assert result.exit_code == 0, result.output
    assert "[line_model p=0." in result.stderr
    assert "- 2 [line_model p=" in result.stderr  # "Politics"
    assert ART[0] in result.stdout and "Politics" not in result.stdout


# -- evaluation and the decision rule ------------------------------------------------------------


def test_decide_keeps_unsure_long_prose_runs():
    p = np.array([0.05, 0.9, 0.3, 0.3, 0.2, 0.05])
    hard = np.zeros(6, dtype=bool)
    short = np.array([1, 0, 0, 0, 0, 1], dtype=bool)
    weq = np.array([1, 30, 30, 30, 30, 1], dtype=float)
    plain = decide_lines(p, hard, short, weq, 0.5, 2.0, 60.0)
    assert plain.tolist() == [False, True, False, False, False, False]
    guarded = decide_lines(p, hard, short, weq, 0.5, 0.25, 60.0)
    assert guarded.tolist() == [False, True, True, True, True, False]
    # a rule's removal breaks the run and is never undone
    hard[3] = True
    assert not decide_lines(p, hard, short, weq, 0.5, 0.25, 60.0)[3]


def test_expected_f_cut_adapts_to_the_page():
    from babelmill.clean.line_model import expected_f_keep

    weq = np.array([40.0, 40.0, 40.0, 6.0, 6.0, 6.0])
    none = np.zeros(6, dtype=bool)
    # a clear article: the unsure short lines around it go
    clear = np.array([0.95, 0.9, 0.92, 0.35, 0.3, 0.35])
    assert expected_f_keep(clear, none, weq, 1.0).tolist() == [True, True, True, False, False, False]
    # the same unsure lines stay on a page where nothing is sure (a fixed 0.5 would drop them all)
    unsure = np.array([0.45, 0.4, 0.42, 0.35, 0.3, 0.35])
    assert expected_f_keep(unsure, none, weq, 1.0)[:3].all()
    # weighing recall more keeps more; a rule's removal is never undone
    assert expected_f_keep(clear, none, weq, 4.0).sum() >= expected_f_keep(clear, none, weq, 1.0).sum()
    hard = none.copy()
    hard[1] = True
    assert not expected_f_keep(clear, hard, weq, 1.0)[1]
    # the model's rule with fbeta > 0: the cut ...
    assert decide_lines(clear, none, none, weq, 0.99, 2.0, 60.0, fbeta=1.0).tolist() == [True] * 3 + [False] * 3
    # ... and its threshold is a floor: lines at or above it stay whatever the cut
    assert decide_lines(clear, none, none, weq, 0.3, 2.0, 60.0, fbeta=1.0).all()


def test_comment_marks():
    from babelmill.clean.line_model import comment_marks

    stamped = ["Posted October 28, 2012 at 10:31 pm | Permalink", "6 hours ago from TweetDeck", "21:57 Uhr",
               "vor 3 Stunden", "margherita July 29, 2012 at 12:51 pm"]  # fmt: skip
    replies = ["Alicia says:", "Reply", "Antworten", "Report abuse", "12 comments"]
    prose = ["The council approved the budget after a long debate.", "Die Regierung hat am Montag beschlossen."]
    marks = comment_marks(stamped + replies + prose)
    assert marks[: len(stamped), 0].all() and marks[len(stamped) : len(stamped) + len(replies), 1].all()
    assert not marks[-len(prose) :].any()


def test_tuning_scores_pages_by_the_exact_token_overlap():
    # the decision rule is tuned on these scores: a line repeated on the page must not earn its
    # truth tokens twice (the benchmark scores the kept text as one bag of tokens)
    from babelmill.clean.train import Page, PageData, token_index, tokens
    from babelmill.clean.tuning import page_scores

    lines = ["The cat sat", "The cat sat", "A dog"]
    truth = "The cat sat on the mat."
    ids, line, counts, n_truth = token_index([tokens(t) for t in lines], truth)
    z = np.zeros(3)
    pd = PageData(
        Page("p", Path("p.txt"), "site", truth=truth),
        np.zeros((3, 1)),
        z,
        z,
        z > 0,
        z > 0,
        z,
        z,
        n_truth,
        lines,
        ids,
        line,
        counts,
    )
    prec, rec, f1 = page_scores(pd, np.array([True, True, False]))
    # kept: the x2, cat x2, sat x2; the truth has "the" twice, "cat" and "sat" once -> 4 of 6
    assert (prec, rec) == pytest.approx((4 / 6, 4 / 6)) and f1 == pytest.approx(4 / 6)
    prec, rec, _ = page_scores(pd, np.array([True, False, True]))
    assert (prec, rec) == pytest.approx((3 / 5, 3 / 6))
    assert page_scores(pd, np.zeros(3, dtype=bool)) == (0.0, 0.0, 0.0)


def test_model_with_other_features_is_refused(tmp_path):
    data = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="other features"):
        load_line_model(str(path))
    with pytest.raises(ValueError, match="not found"):
        load_line_model(str(tmp_path / "missing.json"))


# -- training ---------------------------------------------------------------------------------------


def _write_site(folder: Path, site: str, n: int, rng: random.Random) -> list[str]:
    rows = []
    for k in range(n):
        pid = f"{site[:3]}{k:02d}"
        art = rng.sample(ART, 3) + [f"Story number {k} of {site} was written for this test and has enough words."]
        lines = [*rng.sample(MENU, 4), f"Headline {k} for {site}", *art, *rng.sample(TEASERS, 3), f"(c) {site}"]
        (folder / f"{pid}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / f"{pid}.truth.txt").write_text("\n\n".join(art) + "\n", encoding="utf-8")
        rows.append(f"{pid}\t{site}")
    return rows


def _clean_with_model(tmp_path: Path, model_name: str) -> str:
    """``babelmill clean`` of :func:`page` with a config in ``tmp_path`` naming the model file
    (relative to the config's folder); its output."""
    from babelmill.cli import main

    cfg = tmp_path / "pipeline.toml"
    cfg.write_text(f'[stages.strip]\nline_model = "{model_name}"\n', encoding="utf-8")
    test_page = tmp_path / "new.txt"
    test_page.write_text(page(), encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", "--config", str(cfg), str(test_page)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_train_cleaner_on_own_pages_is_reproducible_and_usable(tmp_path):
    pytest.importorskip("lightgbm")
    from babelmill.clean.train import export_trees, fit_trees
    from babelmill.cli import main

    folder = tmp_path / "pages"
    folder.mkdir()
    rng = random.Random(0)
    rows = ["id\tdomain"]
    for site in ("alpha.example", "beta.example", "gamma.example", "delta.example"):
        rows += _write_site(folder, site, 5, rng)
    (folder / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out1, out2 = tmp_path / "m1.json", tmp_path / "m2.json"
    args = ["train-cleaner", str(folder), "--rounds", "15", "--inner-folds", "2"]
    r1 = CliRunner().invoke(main, [*args, "-o", str(out1)])
    assert r1.exit_code == 0, r1.output
    # --check retrains and compares byte for byte, writing nothing; a file that differs fails it
    r2 = CliRunner().invoke(main, [*args, "-o", str(out1), "--check"])
    assert r2.exit_code == 0, r2.output
    assert "reproduced byte for byte" in r2.output
    out2.write_bytes(out1.read_bytes().replace(b'"rounds":15', b'"rounds":16'))
    r3 = CliRunner().invoke(main, [*args, "-o", str(out2), "--check"])
    assert r3.exit_code == 1 and "check FAILED" in r3.output
    assert b'"rounds":16' in out2.read_bytes()  # left as it was
    data = json.loads(out1.read_text(encoding="utf-8"))
    assert data["training"]["pages"] == 20 and data["training"]["sites"] == 4

    # the config points at it, relative to the config's folder
    assert ART[0] in _clean_with_model(tmp_path, "m1.json")

    # numpy evaluation of the exported trees agrees with LightGBM's own
    from babelmill.clean.cleaner import Cleaner
    from babelmill.clean.pages import load_pages
    from babelmill.clean.train import featurize

    pages = load_pages([folder])
    stage = StripStage(StripConfig(line_model=""))
    featurizer = Cleaner(stage.cleaner.rules, stage.cleaner.t, keep_features=True)
    feats = featurize(pages, featurizer)
    # featurized as a run that cannot tell sites (benchmarks/clean.py --both-ways): the menu the
    # site's pages share is left to the model instead of being removed as template; same labels
    unsited = featurize(pages, featurizer, site_counts=False)
    menu_line = next(i for i, t in enumerate(feats[0].texts) if t in MENU)
    assert feats[0].hard[menu_line] and not unsited[0].hard[menu_line]
    assert np.array_equal(unsited[0].y, feats[0].y) and not unsited[0].site_counted
    booster = fit_trees(feats, rounds=10)
    trees, depth = export_trees(booster)
    plain = {**data, "features": list(FEATURES), "lexicon": None}
    model = LineModel.from_json(
        {**plain, "trees": trees, "depth": depth, "stage2": None, "threshold": 0.5, "prose_words": 1e9}
    )
    X = np.concatenate([pd.X for pd in feats])
    assert np.allclose(model.predict(X), booster.predict(X), atol=1e-9)
    # the written first stage is the forest over the features and the lexicon's out-of-fold columns
    from babelmill.clean.train import oof_text_rows, site_text_models

    def site_lexicons(pages: list) -> dict:
        return {site: lexicon for site, (lexicon, _) in site_text_models(pages, 2).items()}

    written, _ = export_trees(fit_trees(feats, rounds=15, rows=oof_text_rows(feats, 2)))
    assert data["trees"] == json.loads(json.dumps(written))
    # given both copies of each page, the lexicon learns from the ones that knew their site only
    assert site_lexicons(feats + unsited) == site_lexicons(feats)
    # with the lexicon: its columns are computed from the lines' texts, page by page
    lexicon = Lexicon.from_json(data["lexicon"])
    rows = [np.hstack([pd.X, lexical_columns(lexicon.score(pd.texts))]) for pd in feats]
    booster = fit_trees(feats, rounds=10, rows=rows)
    trees, depth = export_trees(booster)
    model = LineModel.from_json({**data, "trees": trees, "depth": depth, "stage2": None})
    for pd, r in zip(feats, rows, strict=True):
        assert np.allclose(model.predict(pd.X, pd.texts), booster.predict(r), atol=1e-9)
    # each site's held-out lexicon (what the title and warning trainers clean a dev page with) never
    # learned from its site's pages: flipping their labels leaves it as it was, and moves the others'
    lexicons = site_lexicons(feats)
    site = feats[0].page.site
    flipped = site_lexicons([dataclasses.replace(pd, y=1 - pd.y) if pd.page.site == site else pd for pd in feats])
    assert flipped[site] == lexicons[site]
    other_fold = {s for s in lexicons if lexicons[s] is not lexicons[site]}
    assert other_fold and {s for s in lexicons if flipped[s] != lexicons[s]} == other_fold


def test_train_cleaner_on_two_sets_learns_their_page_style(tmp_path, monkeypatch):
    pytest.importorskip("lightgbm")
    from babelmill.clean import train
    from babelmill.cli import main

    monkeypatch.setattr(train, "STYLE_MIN_SET_PAGES", 8)
    monkeypatch.setattr(train, "STYLE_MIN_PAGES", 3)
    rng = random.Random(0)
    folders = []
    for name, sites in (("news", ("alpha.example", "beta.example")), ("blogs", ("gamma.example", "delta.example"))):
        folder = tmp_path / name
        folder.mkdir()
        rows = ["id\tdomain"]
        for site in sites:
            rows += _write_site(folder, site, 5, rng)
        (folder / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        folders.append(str(folder))
    out = tmp_path / "m.json"
    args = ["train-cleaner", *folders, "--rounds", "15", "--inner-folds", "2", "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--no-page-style"])
    assert result.exit_code == 0, result.output
    assert "page_style" not in json.loads(out.read_text(encoding="utf-8"))  # switched off
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["page_style"]["classes"] == ["blogs", "news"]
    assert data["features"][-2:] == ["style_blogs", "style_news"]
    model = LineModel.from_json(data)
    assert model.style is not None and model.style.classes == ["blogs", "news"]
    assert ART[0] in _clean_with_model(tmp_path, "m.json")


def test_train_cleaner_needs_labelled_pages(tmp_path):
    pytest.importorskip("lightgbm")
    from babelmill.cli import main

    result = CliRunner().invoke(main, ["train-cleaner", str(tmp_path), "-o", str(tmp_path / "m.json")])
    assert result.exit_code != 0
    assert "no labelled pages" in result.output
