"""Detect stage: block languages (script, detectors, context) and the document origin."""

from __future__ import annotations

import copy

import pytest

from babelmill.detect.langid import LanguageIdentifier
from babelmill.detect.script import script_language
from babelmill.stages.detect import DetectStage
from tests.conftest import SEEDS, make_doc


@pytest.fixture(scope="module")
def stage() -> DetectStage:
    return DetectStage()


def run(stage: DetectStage, doc):
    (out,) = list(stage.process(doc))
    return out


def seed_doc(prefix: str):
    (path,) = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return make_doc(text="\n".join(lines), blocks=lines)


def lang_of(doc, startswith: str) -> str:
    (block,) = [b for b in doc.blocks if b.text.startswith(startswith)]
    return block.lang


# -- script rules -----------------------------------------------------------------------------


def test_han_is_chinese_and_kana_is_not():
    assert script_language("创始团队出走殆尽,高光时刻") == ("zh", "zh")
    # Japanese mixes kanji with kana: one kana is enough to rule Chinese out
    assert script_language("食物繊維やさまざまな栄養の宝庫") == ("other", "ja")
    assert script_language("カタカナ") == ("other", "ja")
    assert script_language("한국어 문장입니다") == ("other", "ko")
    assert script_language("مرحبا بالعالم") == ("other", "ar")
    assert script_language("A plain English line") is None


def test_japanese_block_is_other_with_code(stage):
    doc = run(
        stage, make_doc(blocks=["This is an English paragraph about a trip to Tokyo last year.", "東京へ行きました。"])
    )
    assert doc.blocks[1].lang == "other"
    assert doc.blocks[1].meta["lang_code"] == "ja"
    assert "lang_code" not in doc.blocks[0].meta


def test_every_block_gets_a_language_and_confidence(stage):
    doc = run(stage, make_doc(blocks=["Die Regierung hat heute neue Regeln beschlossen.", "12:30", "🫡", "Berlin"]))
    for b in doc.blocks:
        assert b.lang in {"de", "en", "zh", "other"}
        assert 0.0 <= b.lang_confidence <= 1.0
    assert stage.counters["blocks_de"] >= 4


# -- context ----------------------------------------------------------------------------------

GERMAN = [
    "Die Bundesregierung hat am Mittwoch ein neues Gesetz zur Förderung der Windenergie beschlossen.",
    "Greg Brockman",
    "9:46 PM • Nov 17, 2023",
    "Nach Angaben des Ministeriums sollen die Genehmigungsverfahren deutlich schneller werden.",
    "Leave a comment and tell us what you think about the new rules for wind farms.",
    "Kritiker bemängeln, dass die Regeln für den Naturschutz dabei zu kurz kommen könnten.",
]


def test_short_lines_take_the_language_of_their_context(stage):
    doc = run(stage, make_doc(blocks=GERMAN))
    # a name and a timestamp carry no language of their own: the German article decides
    assert doc.blocks[1].lang == "de"
    assert doc.blocks[2].lang == "de"
    # a real English sentence keeps its own language
    assert doc.blocks[4].lang == "en"
    assert doc.origin["language"] == "de"


def test_same_name_follows_an_english_context(stage):
    english = [
        "The federal government approved a new law on Wednesday to promote wind energy.",
        "Greg Brockman",
        "According to the ministry, approval procedures are supposed to become much faster.",
    ]
    doc = run(stage, make_doc(blocks=english))
    assert doc.blocks[1].lang == "en"


def test_output_is_deterministic(stage):
    doc = seed_doc("002")
    a = run(stage, copy.deepcopy(doc))
    b = run(DetectStage(), copy.deepcopy(doc))
    assert [(x.lang, x.lang_confidence) for x in a.blocks] == [(x.lang, x.lang_confidence) for x in b.blocks]
    assert a.origin == b.origin


def test_identifier_does_not_depend_on_global_langdetect_seed():
    from langdetect import DetectorFactory

    text = "Sam Altman"  # ambiguous, so any randomness would show
    before = LanguageIdentifier(use_lingua=False).identify(text)
    old = DetectorFactory.seed
    try:
        DetectorFactory.seed = 12345
        after = LanguageIdentifier(use_lingua=False).identify(text)
    finally:
        DetectorFactory.seed = old
    assert (before.code, before.confidence) == (after.code, after.confidence)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Dzisiaj rano rząd ogłosił nowe przepisy dotyczące podatków.", "pl"),
        ("Hükümet bugün vergilerle ilgili yeni düzenlemeler açıkladı.", "tr"),
        ("Regjeringen kunngjorde i dag nye regler for skatt og avgifter.", None),  # nb is not in the set
    ],
)
def test_languages_outside_the_set_or_near_a_target_are_other(text, code):
    guess = LanguageIdentifier().identify(text)
    assert guess.lang == "other"
    if code:
        assert guess.code == code


def test_langdetect_only_knows_the_configured_languages():
    # restricted profiles: a Slovak-looking timestamp cannot come back as Slovak
    scores = LanguageIdentifier(languages=("de", "en", "nl"), use_lingua=False).scores("Mai 2024, 13:45 Uhr")
    assert scores and set(scores) <= {"de", "en", "nl", "zh"}
    from babelmill.detect.langid import _LangdetectModel

    # only those profiles are loaded (time per text grows with their number)
    assert set(_LangdetectModel.factory(("de", "en", "nl", "zh")).langlist) == {"de", "en", "nl", "zh-cn", "zh-tw"}


# -- seeds ------------------------------------------------------------------------------------


def test_german_seed_keeps_embedded_english_tweets(stage):
    doc = run(stage, seed_doc("002"))
    assert doc.origin["language"] == "de"
    assert doc.origin["machine_translated"] is False
    assert lang_of(doc, "i loved my time at openai") == "en"
    assert lang_of(doc, "Sam and I are shocked and saddened by what the board did today.") == "en"
    assert lang_of(doc, "Die Kurzversion ist") == "de"
    assert 0.8 < doc.origin["language_mix"]["de"] < 1.0
    assert doc.origin["language_mix"]["en"] > 0.05


def test_low_accuracy_lingua_keeps_the_seed_decisions():
    from babelmill.detect.detector import DetectConfig

    low = DetectStage(DetectConfig(lingua_low_accuracy=True))
    assert low.detector.identifier.name == "script+lingua(low accuracy)+langdetect"
    german = run(low, seed_doc("002"))
    assert german.origin["language"] == "de" and german.origin["machine_translated"] is False
    assert lang_of(german, "i loved my time at openai") == "en"
    assert lang_of(german, "Die Kurzversion ist") == "de"
    assert run(low, seed_doc("000")).origin["machine_translated_from"] == "zh"


@pytest.mark.parametrize("prefix", ["000", "003"])
def test_machine_translated_seeds_are_flagged_with_evidence(stage, prefix):
    doc = run(stage, seed_doc(prefix))
    o = doc.origin
    assert o["language"] == "en"
    assert o["machine_translated"] is True
    assert o["machine_translated_from"] == "zh"
    assert o["mt_score"] >= 0.5
    assert o["evidence"], "a flag must say why"
    assert any(e.startswith("classifier P(mt_zh)=") for e in o["evidence"])
    assert doc.history[-1].stage == "detect" and doc.history[-1].reason == "machine_translated"


def test_chinese_title_with_english_rendering_is_evidence(stage):
    doc = run(stage, seed_doc("000"))
    assert any("Chinese line paired with English rendering" in e for e in doc.origin["evidence"])
    assert lang_of(doc, "创始团队") == "zh"


@pytest.mark.parametrize("prefix", ["001", "004"])
def test_native_english_seeds_are_not_flagged(stage, prefix):
    doc = run(stage, seed_doc(prefix))
    assert doc.origin["language"] == "en"
    assert doc.origin["machine_translated"] is False
    assert doc.origin["machine_translated_from"] is None
    assert doc.origin["mt_score"] < 0.5


# -- explicit markers -------------------------------------------------------------------------

NATIVE = [
    "The city council voted on Tuesday night to expand the bike lane network downtown.",
    "Residents had complained for years about the lack of safe routes to school.",
    "We're thrilled, said one parent, who'd waited a long time for this.",
]


def test_disclaimer_in_removed_lines_is_read(stage):
    doc = make_doc(blocks=NATIVE)
    doc.removed = [{"line": 9, "text": "The translation is provided by third-party software.", "rule": "disclaimer"}]
    out = run(stage, doc)
    assert out.origin["machine_translated"] is True
    assert any(e.startswith("disclaimer:") for e in out.origin["evidence"])


def test_article_about_weibo_is_not_from_weibo(stage):
    text = NATIVE + [
        "Some of the posts first appeared on Weibo and WeChat before spreading to other platforms, "
        "according to researchers who tracked them for several weeks in the spring."
    ]
    out = run(stage, make_doc(blocks=text))
    assert not any(e.startswith("zh source") for e in out.origin["evidence"])


def test_original_title_language_is_recorded(stage):
    doc = make_doc(blocks=NATIVE, metadata={"title": "Bike lanes", "original_title": "市议会投票扩建自行车道网络"})
    out = run(stage, doc)
    assert out.metadata["original_title_lang"] == "zh"
    assert "original title in Chinese" in out.origin["evidence"]


def test_bad_input_does_not_crash(stage):
    doc = make_doc(blocks=["", "\x00\x01", "???", "Ein ganz normaler deutscher Satz mit genug Wörtern."])
    doc.removed = [{"line": 1}]  # a removal without text
    with pytest.raises(TypeError):
        doc.removed = ["not a mapping"]  # odd entries are refused where they are made
    out = run(stage, doc)
    assert all(b.lang in {"de", "en", "zh", "other"} for b in out.blocks)
    assert set(out.origin) >= {"language", "language_mix", "machine_translated", "mt_score", "evidence"}
    empty = run(stage, make_doc(blocks=[]))
    assert empty.origin["machine_translated"] is False


# -- configuration ----------------------------------------------------------------------------


def test_bad_config_fails_at_load_not_per_document(tmp_path):
    from babelmill.config import ConfigError, load_config

    cfg = tmp_path / "p.toml"
    cfg.write_text('[pipeline]\nstages = ["detect"]\n\n[stages.detect]\nlanguages = ["de", "xx"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="xx"):
        load_config(cfg)
    cfg.write_text('[pipeline]\nstages = ["detect"]\n\n[stages.detect]\nmt_threshold = 2\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="mt_threshold"):
        load_config(cfg)


def test_broken_markers_file_fails_when_the_stage_is_built(tmp_path):
    from babelmill.detect.detector import DetectConfig

    (tmp_path / "m.toml").write_text("[disclaimer]\npatterns = ['(unclosed']\n[weights]\ndisclaimer = 1.0\n")
    with pytest.raises(ValueError, match="bad pattern"):
        DetectStage(DetectConfig(markers="m.toml"), {"config_dir": str(tmp_path)})


def test_letterless_lines_in_a_french_article_get_french(stage):
    fr = [
        "Le gouvernement a présenté mercredi un nouveau projet de loi sur l'énergie éolienne.",
        "12.11.2023 — 14:30",
        "Selon le ministère, les procédures d'autorisation devraient être nettement plus rapides.",
    ]
    doc = run(stage, make_doc(blocks=fr))
    assert [b.lang for b in doc.blocks] == ["other"] * 3
    assert {b.meta["lang_code"] for b in doc.blocks} == {"fr"}


def test_german_origin_disclaimer_is_machine_translated_but_not_from_chinese(stage):
    doc = make_doc(blocks=[*NATIVE, "This article was machine-translated from German by DeepL."])
    out = run(stage, doc)
    assert out.origin["machine_translated"] is True
    assert out.origin["machine_translated_from"] is None
    assert any(e.startswith("german source") for e in out.origin["evidence"])


def test_langdetect_alone_still_gives_timestamps_their_context():
    """Without lingua, langdetect is over-sure on a few letters ("PM Nov" -> Slovak at 1.0)."""
    from babelmill.detect.detector import DetectConfig

    doc = run(DetectStage(DetectConfig(use_lingua=False)), make_doc(blocks=GERMAN))
    assert doc.blocks[2].lang == "de"
    assert doc.origin["language"] == "de"


def test_document_without_blocks_is_judged_on_its_lines(stage):
    out = run(stage, make_doc(text="\n".join(GERMAN)))
    assert out.blocks == []
    assert out.origin["language"] == "de"
