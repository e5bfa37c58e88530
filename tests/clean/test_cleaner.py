"""Strip stage: seeds, metadata, embeds, repeats, site repetition, rule files, the clean command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.clean.cleaner import Cleaner
from babelmill.clean.repeats import repeated_paragraphs
from babelmill.clean.rules import RuleError, load_rules
from babelmill.config import ConfigError, load_config
from babelmill.document import Document
from babelmill.stages.repair import RepairStage
from babelmill.stages.strip import StripConfig, StripStage

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))

ART = [
    "The city council approved the new budget on Tuesday after a debate that lasted for more than six hours.",
    "Several members had argued that the plan did not do enough for public transport in the outer districts.",
    "The mayor said she was pleased with the outcome and that talks with the unions would begin next week.",
]


def strip(text: str, stage: StripStage | None = None) -> Document:
    stage = stage or StripStage()
    return next(iter(stage.process(Document(id="t", text=text))))


def seed_doc(prefix: str) -> Document:
    path = next(p for p in SEEDS if p.name.startswith(prefix))
    doc = Document(id=prefix, text=path.read_text(encoding="utf-8"), source={"path": str(path)})
    doc = next(iter(RepairStage().process(doc)))
    return strip(doc.text)


@pytest.fixture(scope="module")
def seeds() -> dict[str, Document]:
    return {p.name[:3]: seed_doc(p.name[:3]) for p in SEEDS}


def body(doc: Document) -> str:
    return doc.body_text()


def removed(doc: Document) -> dict[str, str]:
    return {r["text"].strip(): r["rule"] for r in doc.removed}


# -- seeds ---------------------------------------------------------------------------------------

CHROME = {
    "000": ["share_log", "Write a comment", "The translation is provided by third-party software."],
    "001": ["Loading...", "Leave a comment"],
    "002": ["- AI Peanuts", "- Posts", "- Das OpenAI Drama: Was Bisher Geschah"],
    "003": [
        "robot",
        "Abstract generation in progress",
        "View Original",
        "• Reward",
        "• Comment",
        "• Share",
        "No comments",
    ],
    "004": ["Similar Posts", "Leave a Reply"],
}


@pytest.mark.parametrize("seed", sorted(CHROME))
def test_seed_chrome_goes_to_removed(seeds, seed):
    doc = seeds[seed]
    assert doc.ok and doc.blocks
    text = body(doc)
    rem = removed(doc)
    for line in CHROME[seed]:
        assert line not in [b.text for b in doc.blocks]
        assert line in rem, f"{line!r} missing from doc.removed"
    assert "The above content is for informational" not in text
    assert "Your email address will not be published" not in text
    assert all(b.kind in {"paragraph", "heading", "list_item", "quote"} for b in doc.blocks)
    assert all(b.line >= 1 and b.text == b.text.strip() and b.text for b in doc.blocks)


def test_seed_disclaimer_reason_for_detection(seeds):
    rem = removed(seeds["000"])
    assert rem["The translation is provided by third-party software."] == "disclaimer_translation"
    assert rem["Write a comment"] == "comment_widget"


def test_seed_000_titles_and_metadata(seeds):
    doc = seeds["000"]
    md = doc.metadata
    assert md["original_title"].startswith("创始团队出走殆尽")
    assert md["title"].startswith("Most of the founding team has left")
    assert md["site"] == "wallstreetcn"
    # no year on the page: a structured partial date, no year invented
    assert md["published"] == {"year": None, "month": 9, "day": 28, "time": "14:59", "raw": "Sep 28 14:59"}
    assert md["attribution"] == "The Wall Street Journal"
    assert md["editor"] == "Rocky"
    text = body(doc)
    assert "创始团队" not in text and "Editor/Rocky" not in text and "Source: The Wall" not in text
    assert not text.startswith("Most of the founding team has left")
    # the summary box restates the body: collapsed once, and recorded
    assert "repeated_paragraph" in {r["rule"] for r in doc.removed}
    assert "$Microsoft (MSFT.US)$" not in text


def test_seed_003_byline(seeds):
    md = seeds["003"].metadata
    assert md["author"] == "Lan Xi"
    assert md["attribution"] == "Weibo"
    assert md["title"] == "OpenAI's Origins: The Split between Musk and Altman"
    items = [b for b in seeds["003"].blocks if b.kind == "list_item"]
    assert len(items) > 20 and not any(b.text.startswith("•") for b in items)


def test_seed_breadcrumb_title_and_site(seeds):
    for seed, title, site in (
        ("001", "Is OpenAI in a Death Spiral?", "Machine Learning Times"),
        ("002", "Das OpenAI Drama: Was Bisher Geschah", "AI Peanuts"),
    ):
        doc = seeds[seed]
        assert doc.metadata["title"] == title
        assert doc.metadata["site"] == site
        assert title not in [b.text for b in doc.blocks]
        assert removed(doc)[f"- {title}"] == "breadcrumb"


def test_seed_002_tweets_become_quotes(seeds):
    doc = seeds["002"]
    quotes = [b for b in doc.blocks if b.kind == "quote"]
    first = quotes[0]
    assert first.text.startswith("i loved my time at openai")
    assert first.meta["author"] == "Sam Altman" and first.meta["handle"] == "@sama"
    assert first.meta["date"] == "2023-11-17T21:46"
    rem = removed(doc)
    assert rem["— Sam Altman (@sama)"] == "embed_attribution"
    assert rem["9:46 PM • Nov 17, 2023"] == "embed_timestamp"
    assert rem["… twitter.com/i/web/status/1…"] == "embed_truncation_link"
    text = body(doc)
    assert "twitter.com/i/web" not in text and "(@gdb)" not in text and "• Nov 20, 2023" not in text
    # the German article around the tweets stays prose
    assert any(b.kind == "paragraph" and b.text.startswith("Dann meldet sich Sam Altman") for b in doc.blocks)


def test_seed_001_source_tail_quotes(seeds):
    doc = seeds["001"]
    quote = next(b for b in doc.blocks if b.kind == "quote" and b.meta.get("author") == "Greg Brockman")
    assert quote.text.startswith("I’m taking a sabbatical") and not quote.text.endswith("Source.")
    assert removed(doc)["Greg Brockman"] == "embed_author"
    assert "- Source." not in body(doc)
    assert doc.metadata["subtitle"] == "Exodus of Talent raises concerns."


def test_seed_001_inline_comment_button_does_not_cut_the_closing_paragraphs(seeds):
    doc = seeds["001"]
    text = body(doc)
    assert "Sorry Ilya, Andrej and sorry to you Mira" in text
    assert "A startup isn’t just a product." in text
    assert "At least Ilya has SSI now." in text
    assert removed(doc)["Leave a comment"] == "comment_widget"
    assert "Thanks for reading!" not in text


def test_seed_004_headings_and_footer(seeds):
    doc = seeds["004"]
    assert doc.metadata["title"] == "OpenAI Staff In Revolt As 500 Threaten To Join Microsoft"
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert "High-Profile Signatories" in headings and "Microsoft Meddling With OpenAI?" in [b.text for b in doc.blocks]
    assert doc.blocks[-1].text.startswith("Even if Microsoft is willing and able")


def test_removed_lines_have_line_numbers_and_counts(seeds):
    doc = seeds["003"]
    lines = doc.text.split("\n")
    for row in doc.removed:
        assert row["text"].strip() in lines[row["line"] - 1]
    change = next(c for c in doc.history if c.action == "removed_lines")
    assert change.detail["count"] == len(doc.removed)


def test_stage_counts_reasons():
    stage = StripStage()
    strip("\n".join([ART[0], "Share on Facebook", ART[1], ART[2], "Leave a Reply"]), stage)
    assert stage.counters["removed_share_bar"] == 1
    assert stage.counters["removed_comment_widget"] == 1


# -- metadata ------------------------------------------------------------------------------------


def test_byline_forms():
    doc = strip("\n".join(["Budget passes after long debate", "By Jane Smith | Nov 19, 2019", *ART]))
    assert doc.metadata["author"] == "Jane Smith"
    assert doc.metadata["published"] == "2019-11-19"
    assert doc.metadata["title"] == "Budget passes after long debate"
    doc = strip("\n".join(["Budget passes", "Author: Li Wei Source: Xinhua", *ART, "Editor/Rocky"]))
    assert doc.metadata["author"] == "Li Wei" and doc.metadata["attribution"] == "Xinhua"
    assert doc.metadata["editor"] == "Rocky"
    assert "Editor/Rocky" not in body(doc)


def test_repeated_title_line_dropped():
    doc = strip("\n".join(["Budget passes after long debate", "Budget passes after long debate", *ART]))
    assert doc.metadata["title"] == "Budget passes after long debate"
    assert removed(doc)["Budget passes after long debate"] in {"repeated_title", "metadata_title"}
    assert [r["rule"] for r in doc.removed].count("repeated_title") == 1


# -- repeats -------------------------------------------------------------------------------------


def test_repeated_paragraph_collapsed_later_copy_goes():
    para = "Shareholders of the shipping conglomerate rejected the merger, citing valuation worries and harbour debts."
    doc = strip("\n".join([ART[0], para, ART[1], para + " ", ART[2]]))
    texts = [b.text for b in doc.blocks]
    assert texts.count(para) == 1
    assert [r for r in doc.removed if r["rule"] == "repeated_paragraph"][0]["line"] == 4


def test_copies_found_when_every_word_is_common():
    # a long report on one topic: every content word recurs in many sentences, so copies must be
    # found without relying on rare words
    import random

    rng = random.Random(3)
    vocab = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(100)]

    def sentence() -> str:
        return " ".join(rng.choice(vocab) for _ in range(12)).capitalize() + "."

    paras = [" ".join(sentence() for _ in range(3)) for _ in range(600)]
    paras += [paras[5], paras[77]]
    assert repeated_paragraphs(paras) == {600: 5, 601: 77}


def test_similar_but_different_paragraphs_stay():
    paras = [
        "Mira Murati wird doch nicht Interim CEO und auch Sam Altman kehrt nicht zurück zu der Firma.",
        "Am Freitag wird Sam Altman, der CEO von OpenAI, plötzlich gefeuert und Mira Murati soll Interim CEO werden.",
    ]
    assert repeated_paragraphs(paras) == {}


# -- corpus-level repetition --------------------------------------------------------------------


def test_site_repetition_removes_template_lines_not_shared_quotes(tmp_path):
    stage = StripStage(context={"state_dir": tmp_path})
    template = "Our weekly newsletter brings the best stories to your inbox"
    tweet = "we are going to build something new and it will be incredible"
    docs = []
    for k in range(5):
        lines = [f"Story number {k} about the harbour", f"{ART[k % 3]} Report {k}.", template]
        lines += [f"In a second paragraph, reporters looked at case {k} and found that it was unusual.", ART[2]]
        if k < 2:
            lines.insert(2, tweet)
        docs.append(Document(id=f"d{k}", text="\n".join(lines), source={"url": f"https://news.example.com/{k}"}))
    out = list(stage.process_batch(docs))
    for doc in out:
        assert removed(doc).get(template) == "site_boilerplate"
    assert removed(out[0]).get(tweet) != "site_boilerplate"
    stage.close()
    stage.commit()  # the runner commits at its checkpoint after close
    assert (tmp_path / "strip_sites.sqlite").is_file()
    # the counts carry over to the next run
    again = StripStage(context={"state_dir": tmp_path})
    assert again.store.site_docs("news.example.com") == 5
    # the same documents seen again (a rerun) are not counted twice
    assert [d.id for d in again.process_batch(docs)] == [d.id for d in docs]
    assert again.store.site_docs("news.example.com") == 5


def test_reprints_are_not_emptied_by_site_repetition():
    stage = StripStage()
    text = "\n".join(ART)
    out = list(stage.process_batch([Document(id=f"r{k}", text=text) for k in range(6)]))
    assert all(d.ok and len(d.blocks) == 3 for d in out)


# -- empty and bad input -------------------------------------------------------------------------


def test_no_article_text_is_quarantined():
    doc = strip("Home\nNews\nSport\nShare on Facebook\nLeave a Reply\n")
    assert not doc.ok
    assert doc.status_reason == "no_article_text"
    assert doc.removed
    # the run's stderr line and the rejected record's message say what happened, not the code again
    assert doc.status_detail["message"] == (
        "the cleaner kept none of its 5 lines (`babelmill clean --explain` on the file gives each line's reason)"
    )


def test_only_short_sentences_kept_as_fallback():
    # the hand-tuned structure step finds no article region and keeps the sentences as a fallback
    doc = strip("Short note here today.\nAnother short note.\n", StripStage(StripConfig(line_model="")))
    assert doc.ok
    assert [b.text for b in doc.blocks] == ["Short note here today.", "Another short note."]


def test_line_model_keeps_both_short_sentences():
    # the headline model may take the first as title
    doc = strip("Short note here today.\nAnother short note.\n")
    assert doc.ok
    kept = [b.text for b in doc.blocks] + [doc.metadata.get("title")]
    assert "Short note here today." in kept and "Another short note." in kept


def test_lone_surrogates_do_not_crash_the_site_counter():
    # a broken JSON escape can leave a lone surrogate in the text; it has no UTF-8 form
    text = "\n".join([*ART, "Menu \ud800 item", "Share \udfff"])
    stage = StripStage()
    doc = strip(text, stage)
    assert doc.ok and not stage.counters.get("errors")
    assert [b.text for b in doc.blocks] == ART


@pytest.mark.parametrize("text", ["", "\n\n\n", "\x00\x01", "a" * 5000, "•\n-\n*"])
def test_odd_input_does_not_crash(text):
    doc = strip(text)
    assert doc.ok or doc.status_reason == "no_article_text"


# -- rule files and config -----------------------------------------------------------------------


def test_bad_regex_names_file_and_rule(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "broken_one"\npattern = "share (this"\n', encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_rules([bad])
    assert "bad.toml" in str(err.value) and "broken_one" in str(err.value)
    with pytest.raises(ValueError, match="broken_one"):
        StripConfig(rule_files=[str(bad)])


def test_bad_regex_fails_at_config_load(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nname = "oops"\npattern = "[unclosed"\n', encoding="utf-8")
    cfg = tmp_path / "pipeline.toml"
    cfg.write_text(f'[pipeline]\nstages = ["strip"]\n[stages.strip]\nrule_files = ["{bad}"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="oops"):
        load_config(cfg)


def test_rule_file_key_errors(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text('[[rule]]\nname = "x"\npattern = "a"\naction = "explode"\n', encoding="utf-8")
    with pytest.raises(RuleError, match="action"):
        load_rules([bad])


def test_thresholds_overridable_from_toml(tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text('[pipeline]\nstages = ["strip"]\n[stages.strip]\ngood_words = 40.0\nnav_run = 5\n', encoding="utf-8")
    options = load_config(cfg).options["strip"]
    assert options.good_words == 40.0 and options.nav_run == 5
    assert StripStage(options).cleaner.t.good_words == 40.0


def test_custom_rule_file_adds_a_reason(tmp_path):
    rules = tmp_path / "extra.toml"
    rules.write_text('[[rule]]\nname = "promo"\nreason = "promo_box"\npattern = "buy one get one free"\n')
    cfg = StripConfig(rule_files=["rules/boilerplate.toml", str(rules)])
    doc = strip("\n".join([ART[0], "Buy one get one free", ART[1], ART[2]]), StripStage(cfg))
    assert removed(doc)["Buy one get one free"] == "promo_box"


def test_a_final_rule_removes_its_line_without_changing_what_the_line_model_sees(tmp_path):
    """A rule with action = "final" runs after the line model: the features the model reads (and
    so the packaged model, trained on them) are those of a run without it, and its line still goes
    with its reason."""
    rules = tmp_path / "final.toml"
    rules.write_text(
        '[[rule]]\nname = "tipjar"\nreason = "donation_prompt"\naction = "final"\nmatch = "search"\n'
        'max_words = 40\npattern = "support our newsroom"\n'
    )
    line = "If you value reporting like this, please support our newsroom with a monthly gift today."
    text = "\n".join([ART[0], ART[1], line, ART[2]])
    plain = StripConfig(line_model="")
    with_final = StripConfig(line_model="", rule_files=["rules/boilerplate.toml", str(rules)])
    features = [
        Cleaner(cfg.ruleset(REPO / "pipeline"), cfg.thresholds(), keep_features=True).clean(text).features
        for cfg in (plain, with_final)
    ]
    assert features[0].tolist() == features[1].tolist()
    assert removed(strip(text, StripStage(plain))).get(line) is None
    doc = strip(text, StripStage(StripConfig(rule_files=["rules/boilerplate.toml", str(rules)])))
    assert removed(doc)[line] == "donation_prompt"
    assert [b.text for b in doc.blocks] == ART


# -- the clean command ---------------------------------------------------------------------------


def test_clean_cli_prints_article_only(tmp_path):
    from babelmill.cli import main

    page = tmp_path / "page.txt"
    page.write_text("\n".join(["Home", "News", "Sport", "Budget passes", *ART, "Leave a Reply"]), encoding="utf-8")
    # the hand-tuned structure step, exactly
    config = tmp_path / "pipeline.toml"
    config.write_text('[stages.strip]\nline_model = ""\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", "--config", str(config), str(page)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "\n\n".join(ART) + "\n"
    # the line model (default): the article and nothing the rules removed; on a page this short
    # it is unsure about the menu item and headline just above the article (MODEL.md, weak spots)
    result = CliRunner().invoke(main, ["clean", str(page)])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n\n".join(ART) + "\n")
    assert "Home" not in result.stdout and "Leave a Reply" not in result.stdout


def test_clean_cli_explain_lists_reasons(tmp_path):
    from babelmill.cli import main

    page = tmp_path / "page.txt"
    page.write_text("\n".join(["Budget passes", "Share on Facebook", *ART, "Leave a Reply"]), encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", "--explain", str(page)])
    assert result.exit_code == 0
    assert "[share_bar] Share on Facebook" in result.stderr
    assert "[comment_widget] Leave a Reply" in result.stderr
    assert "# title: Budget passes" in result.stderr
    assert "Leave a Reply" not in result.stdout


def wrapped_markdown(sentence: str) -> str:
    """The sentence as a Markdown paragraph: a bold word, a linked word, hard-wrapped."""
    w = sentence.split()
    return f"{w[0]} **{w[1]}** [{w[2]}](https://example.com/{w[2]}) {' '.join(w[3:8])}\n{' '.join(w[8:])}"


def test_a_markdown_page_gives_its_headline_byline_and_date_and_clean_text(tmp_path):
    """A scraper's Markdown: the metadata step sees the headline without "# " and the byline
    without emphasis marks, so title, author and date are extracted; no syntax reaches the text."""
    import json

    from babelmill.cli import main

    page = tmp_path / "bike.md"
    page.write_text(
        "Skip to content\n\n# City Council Approves New Bike Lanes\n\n*By Jane Doe, March 3, 2024*\n\n"
        + "\n\n".join(wrapped_markdown(a) for a in ART)
        + "\n\n![A cyclist](https://example.com/bike.jpg)\n\nShare on Facebook | Share on Twitter\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["clean", "--json", str(page)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    meta = out["metadata"]
    assert meta["title"] == "City Council Approves New Bike Lanes"
    assert meta["author"] == "Jane Doe" and meta["published"] == "2024-03-03"
    text = "\n".join(b["text"] for b in out["blocks"])
    assert text == "\n".join(ART)


def test_clean_cli_seed_and_missing_file(tmp_path):
    from babelmill.cli import main

    result = CliRunner().invoke(main, ["clean", str(SEEDS[4]), str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert "Similar Posts" not in result.stdout and "OpenAI is facing a mutiny" in result.stdout
    assert "missing.txt" in result.stderr


def test_clean_cli_names_the_file_the_reason_and_what_it_means(tmp_path):
    from babelmill.cli import main

    image = tmp_path / "image.txt"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = CliRunner().invoke(main, ["clean", str(image), str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"babelmill clean: {image}: quarantined (binary): binary file (png signature)",
        f"babelmill clean: {tmp_path / 'missing.txt'}: quarantined (not_found): no such file",
    ]


# -- Chinese pages -------------------------------------------------------------------------------

ZH_PAGE = """首页
新闻
财经
科技
OpenAI创始团队出走殆尽，奥特曼孤家寡人
作者：张三 来源：华尔街见闻
2024年9月28日 14:59
OpenAI最初的使命是为公众利益开发人工智能，这与推出商业产品的新举措产生了冲突。今年核心科学家的离职与此密切相关。
周三晚上，OpenAI首席技术官穆拉蒂宣布辞职，随后首席研究官麦格鲁和副总裁佐夫也相继离职。
The Wall Street Journal reported on Friday that the plan is causing the company to split apart.
据知情人士透露，公司内部的权力斗争、工作疲劳以及关键员工对更高薪酬的要求，进一步冲击了OpenAI。
相关文章
奥特曼回应离职潮
分享到微信
暂无评论
"""


def test_chinese_page():
    doc = strip(ZH_PAGE)
    md = doc.metadata
    assert md["title"] == "OpenAI创始团队出走殆尽，奥特曼孤家寡人"
    assert "original_title" not in md  # same script as the body: nothing to pair
    assert md["author"] == "张三" and md["attribution"] == "华尔街见闻"
    assert md["published"] == "2024-09-28T14:59"
    texts = [b.text for b in doc.blocks]
    assert len(texts) == 4 and texts[2].startswith("The Wall Street Journal")
    rem = removed(doc)
    assert rem["首页"] == "navigation" and rem["分享到微信"] == "share_bar" and rem["暂无评论"] == "comment_widget"
    assert rem["奥特曼回应离职潮"] == "line_model"  # a teaser link after the article


def test_chinese_paragraphs_that_mention_a_date_stay_article_text():
    lead = "新华社北京11月20日电 国家统计局今天发布数据显示，今年前十个月全国规模以上工业增加值同比增长百分之四点一。"
    dated = "该线路一期工程已于2021年12月30日开通，日均客流超过二十万人次，是浦东南北向的重要通道。"
    page = "\n".join(
        [
            "上海地铁十八号线二期明年开通",
            "2024年9月28日 14:59 来源：新华网",
            lead,
            "国家统计局新闻发言人表示，工业生产总体保持平稳，高技术制造业增长较快，其中电子设备制造业增长明显。",
            dated,
            "专家认为，随着一系列稳增长政策持续发力，经济运行有望继续回升向好，但外部环境依然复杂严峻。",
        ]
    )
    doc = strip(page)
    texts = [b.text for b in doc.blocks]
    # a wire lead and a sentence with a date are article text, not a dateline or the publication date
    assert lead in texts and dated in texts
    assert doc.metadata["published"] == "2024-09-28T14:59"  # the date line still is one
    assert all(r["rule"] not in ("dateline", "metadata_date") or "来源" in r["text"] for r in doc.removed)


def test_clean_cli_json_record(tmp_path):
    import json

    from babelmill.cli import main

    page = tmp_path / "page.txt"
    page.write_text("\n".join(["Budget passes", "By Jane Smith", *ART, "Leave a Reply"]), encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", "--json", str(page)])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["status"] == "ok" and record["metadata"]["author"] == "Jane Smith"
    assert [b["text"] for b in record["blocks"]] == ART
    assert {"line": 6, "text": "Leave a Reply", "rule": "comment_widget"} in record["removed"]
