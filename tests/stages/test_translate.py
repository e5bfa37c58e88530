"""TranslateStage: block contract, cross-document batching, cache, pending path, quality flags."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelmill.config import ConfigError, build_stage_config
from babelmill.document import NATIVE, PENDING, TRANSLATED, Block, Document
from babelmill.stages.translate import TranslateConfig, TranslateStage, install_hint
from babelmill.translate.backend import BatchTranslator, resolve_compute_type, resolve_threads
from babelmill.translate.install import install_archive
from tests.fixtures import translate_fixtures
from tests.fixtures.fake_backend import ReverseBackend

de_en_archive = translate_fixtures.de_en_archive
isolated_models = translate_fixtures.isolated_models


def doc(doc_id: str, *blocks: tuple[str, str]) -> Document:
    return Document(
        id=doc_id, text="", blocks=[Block(text=t, lang=lang, line=i + 1) for i, (t, lang) in enumerate(blocks)]
    )


def run(stage: TranslateStage, docs: list[Document]) -> list[Document]:
    out = list(stage.run(docs))
    stage.close()
    return out


def test_results_map_back_to_their_blocks_across_documents():
    backend = ReverseBackend()
    docs = [
        doc("a", ("Erster Satz hier. Zweiter Satz dort.", "de"), ("Already English.", "en")),
        doc("b", ("Ein ganz anderer und viel längerer Satz steht hier.", "de")),
        doc("c", ("Kurz.", "de"), ("Zweiter Satz dort.", "de")),
    ]
    out = run(TranslateStage(TranslateConfig(), {}, backends={"de": backend}), docs)
    assert [d.id for d in out] == ["a", "b", "c"]
    a0, a1 = out[0].blocks
    assert a0.translation == TRANSLATED
    assert a0.original == "Erster Satz hier. Zweiter Satz dort."
    assert a0.text == "HIER. SATZ ERSTER DORT. SATZ ZWEITER"
    assert (a1.translation, a1.text, a1.original) == (NATIVE, "Already English.", None)
    assert out[1].blocks[0].text == ReverseBackend.expected("Ein ganz anderer und viel längerer Satz steht hier.")
    assert [b.text for b in out[2].blocks] == ["KURZ.", "DORT. SATZ ZWEITER"]
    # one backend call for the whole batch, every distinct sentence once, shortest first
    assert len(backend.calls) == 1
    sent = backend.calls[0]
    assert sorted(sent) == sorted(set(sent))
    assert "Zweiter Satz dort." in sent
    assert [len(s) for s in sent] == sorted(len(s) for s in sent)


def test_batch_size_is_many_documents():
    assert TranslateStage.batch_size >= 64


def test_block_and_document_records():
    backend = ReverseBackend()
    stage = TranslateStage(TranslateConfig(), {}, backends={"de": backend})
    (d,) = run(stage, [doc("a", ("Ein Satz.", "de"), ("Hello there.", "en"))])
    block = d.blocks[0]
    assert block.meta["quality"]["confidence"] == pytest.approx(0.9048, abs=1e-3)  # exp(-0.1)
    assert block.meta["translated_by"]["engine"] == "ctranslate2"
    assert d.translation["blocks_translated"] == 1 and d.translation["blocks_pending"] == 0
    assert d.translation["engine"] == "ctranslate2"
    change = d.history[-1]
    assert (change.stage, change.action, change.reason) == ("translate", "translated", "argos_ctranslate2")
    assert stage.counters["blocks_translated"] == 1


def test_english_only_document_is_summarised_once():
    backend = ReverseBackend()
    stage = TranslateStage(TranslateConfig(), {}, backends={"de": backend})
    (d,) = run(stage, [doc("a", ("Only English here.", "en"))])
    assert d.blocks[0].text == "Only English here." and d.blocks[0].translation == NATIVE
    assert d.translation["engine"] is None and d.translation["blocks_translated"] == 0
    assert (d.history[-1].action, d.history[-1].reason) == ("skipped", "nothing_to_translate")
    (d,) = run(TranslateStage(TranslateConfig(), {}, backends={"de": backend}), [d])
    assert len(d.history) == 1 and backend.calls == []


def test_missing_model_leaves_block_pending_with_install_hint(tmp_path, isolated_models):
    stage = TranslateStage(TranslateConfig(models_dir=str(tmp_path / "none")), {})
    (d,) = run(stage, [doc("a", ("Der Vorstand trat zurück.", "de"), ("中国经济增长了。", "zh"), ("Fine.", "en"))])
    de, zh, en = d.blocks
    assert (de.translation, de.text, de.original) == (PENDING, "Der Vorstand trat zurück.", None)
    assert de.note == install_hint("de")
    assert "babelmill models install de" in de.note and "babelmill run" in de.note
    assert zh.translation == PENDING and "zh->en" in zh.note
    assert en.translation == NATIVE
    assert d.translation == {
        "engine": None,
        "model": None,
        "model_version": None,
        "blocks_translated": 0,
        "blocks_pending": 2,
        "flagged": 0,
    }
    assert (d.history[-1].action, d.history[-1].reason) == ("pending", "no_model_installed")
    assert stage.counters["blocks_pending"] == 2


def test_other_language_uses_lang_code_or_stays_pending_with_reason():
    fr = ReverseBackend("fr@1")
    blocks = [Block("Bonjour le monde.", lang="other", meta={"lang_code": "fr"}), Block("Hej världen.", lang="other")]
    d = Document(id="x", text="", blocks=blocks)
    (d,) = run(TranslateStage(TranslateConfig(), {}, backends={"fr": fr}), [d])
    assert d.blocks[0].translation == TRANSLATED and d.blocks[0].text == "MONDE. LE BONJOUR"
    assert d.blocks[1].translation == PENDING and "language not identified" in d.blocks[1].note
    assert d.history[-1].reason == "unidentified_language"


def test_rerun_skips_translated_and_translates_pending_once_model_exists():
    d = doc("a", ("Erster Satz.", "de"), ("第一句。", "zh"))
    stage = TranslateStage(TranslateConfig(), {}, backends={"de": ReverseBackend(), "zh": None})
    (d,) = run(stage, [d])
    assert [b.translation for b in d.blocks] == [TRANSLATED, PENDING]
    de_backend, zh_backend = ReverseBackend(), ReverseBackend("zh@1")
    (d,) = run(TranslateStage(TranslateConfig(), {}, backends={"de": de_backend, "zh": zh_backend}), [d])
    assert [b.translation for b in d.blocks] == [TRANSLATED, TRANSLATED]
    assert d.blocks[0].text == "SATZ. ERSTER" and d.blocks[0].original == "Erster Satz."  # untouched
    assert de_backend.calls == []  # already translated: not sent again
    assert zh_backend.translated == ["第一句。"]
    assert d.blocks[1].original == "第一句。"
    assert d.translation["blocks_translated"] == 2 and d.translation["blocks_pending"] == 0
    # a third run changes nothing and records nothing
    history = list(d.history)
    (d,) = run(TranslateStage(TranslateConfig(), {}, backends={"de": de_backend, "zh": zh_backend}), [d])
    assert d.history == history and de_backend.calls == [] and len(zh_backend.calls) == 1


def test_persistent_cache_serves_a_rerun_without_the_backend(tmp_path):
    context = {"state_dir": tmp_path / "state"}
    texts = [("Der erste Satz. Der zweite Satz.", "de"), ("Der erste Satz.", "de")]
    first = ReverseBackend()
    stage = TranslateStage(TranslateConfig(), context, backends={"de": first})
    d1, d2 = run(stage, [doc("a", texts[0]), doc("b", texts[1])])
    assert first.translated == ["Der erste Satz.", "Der zweite Satz."]  # dedup within the batch
    assert stage.counters["cache_misses"] == 2 and stage.counters["cache_hits"] == 0
    assert (tmp_path / "state" / "translate_cache.sqlite").is_file()

    second = ReverseBackend()
    stage = TranslateStage(TranslateConfig(), context, backends={"de": second})
    e1, e2 = run(stage, [doc("a", texts[0]), doc("b", texts[1])])
    assert second.calls == []
    assert stage.counters["cache_hits"] == 2 and stage.counters["cache_misses"] == 0
    assert [e1.blocks[0].text, e2.blocks[0].text] == [d1.blocks[0].text, d2.blocks[0].text]
    # cache hits are a fact of the run (manifest), not of the record: a rerun served from the
    # cache writes the same record as the run that translated
    assert "cache_hits" not in e1.translation and (e1.translation, e2.translation) == (d1.translation, d2.translation)

    # another model (identity) never reuses these entries
    third = ReverseBackend("reverse@2")
    run(TranslateStage(TranslateConfig(), context, backends={"de": third}), [doc("a", texts[0])])
    assert len(third.translated) == 2


def test_without_state_dir_the_cache_still_dedups_across_batches():
    backend = ReverseBackend()
    stage = TranslateStage(TranslateConfig(), {}, backends={"de": backend})
    stage.process_batch([doc("a", ("Gleicher Satz.", "de"))])
    stage.process_batch([doc("b", ("Gleicher Satz.", "de"))])
    assert backend.translated == ["Gleicher Satz."]
    assert stage.counters["cache_hits"] == 1


def test_protected_spans_come_back_verbatim_even_if_dropped():
    class DropBackend(ReverseBackend):
        def translate(self, sentences):
            self.calls.append(list(sentences))
            return [("Translated text.", -0.2) for _ in sentences]

    backend = DropBackend()
    (d,) = run(
        TranslateStage(TranslateConfig(), {}, backends={"de": backend}),
        [doc("a", ("Mehr unter https://example.com/x?a=1 von @sama 🚀", "de"))],
    )
    assert "https://example.com/x?a=1" not in backend.calls[0][0]
    block = d.blocks[0]
    for span in ("https://example.com/x?a=1", "@sama", "🚀"):
        assert span in block.text
    assert "placeholder_dropped" in block.meta["quality"]["flags"]
    assert d.translation["flagged"] == 1


def test_placeholders_survive_a_backend_that_copies_them():
    backend = ReverseBackend()
    (d,) = run(
        TranslateStage(TranslateConfig(), {}, backends={"de": backend}),
        [doc("a", ("Siehe www.example.org jetzt", "de"))],
    )
    assert d.blocks[0].text == "JETZT www.example.org SIEHE"
    assert d.blocks[0].meta["quality"]["flags"] == []


def test_sentence_of_only_protected_spans_is_copied_not_translated():
    backend = ReverseBackend()
    (d,) = run(
        TranslateStage(TranslateConfig(), {}, backends={"de": backend}), [doc("a", ("https://example.com/a", "de"))]
    )
    assert backend.calls == []
    assert d.blocks[0].text == "https://example.com/a" and d.blocks[0].translation == TRANSLATED


@pytest.mark.parametrize(
    "output, flag",
    [
        ("Die Regierung hat das Gesetz nicht beschlossen und die Opposition ist dagegen.", "source_language_left"),
        ("Yes.", "length_ratio"),
        ("the news the news the news the news the news the news", "repetition"),
    ],
)
def test_quality_flags_mark_but_keep_blocks(output, flag):
    class FixedBackend(ReverseBackend):
        def translate(self, sentences):
            return [(output, -0.05) for _ in sentences]

    source = "Die Regierung hat das Gesetz nicht beschlossen, und die Opposition ist weiterhin strikt dagegen."
    stage = TranslateStage(TranslateConfig(), {}, backends={"de": FixedBackend()})
    (d,) = run(stage, [doc("a", (source, "de"))])
    block = d.blocks[0]
    assert block.translation == TRANSLATED and block.text == output
    assert flag in block.meta["quality"]["flags"]
    assert stage.counters["blocks_flagged"] == 1


def test_low_confidence_flag():
    class UnsureBackend(ReverseBackend):
        def translate(self, sentences):
            return [(self.expected(s), -3.0) for s in sentences]

    (d,) = run(TranslateStage(TranslateConfig(), {}, backends={"de": UnsureBackend()}), [doc("a", ("Ein Satz.", "de"))])
    assert "low_confidence" in d.blocks[0].meta["quality"]["flags"]


def test_backend_failure_keeps_blocks_pending_and_run_going():
    class BrokenBackend(ReverseBackend):
        def translate(self, sentences):
            raise RuntimeError("out of memory")

    stage = TranslateStage(TranslateConfig(), {}, backends={"de": BrokenBackend()})
    (d,) = run(stage, [doc("a", ("Ein Satz.", "de"))])
    assert d.blocks[0].translation == PENDING and "out of memory" in d.blocks[0].note
    assert d.history[-1].reason == "backend_failed"


def test_long_sentences_are_cut_and_rejoined():
    backend = ReverseBackend()
    long_sentence = ", ".join(f"Teil {i} mit einigen Worten" for i in range(30)) + "."
    (d,) = run(
        TranslateStage(TranslateConfig(max_sentence_chars=100), {}, backends={"de": backend}),
        [doc("a", (long_sentence, "de"))],
    )
    assert all(len(s) <= 100 for s in backend.translated) and len(backend.translated) > 1
    assert sorted(d.blocks[0].text.split()) == sorted(long_sentence.upper().split())


def test_batch_translator_preserves_order_with_duplicates():
    backend = ReverseBackend()
    sentences = ["c c c", "a", "b b", "a", "c c c"]
    results, stats = BatchTranslator(backend, None, chunk_size=2).translate(sentences)
    assert [r[0] for r in results] == [ReverseBackend.expected(s) for s in sentences]
    assert backend.calls == [["a", "b b"], ["c c c"]]
    assert (stats.requested, stats.unique, stats.cache_misses) == (5, 3, 3)


def test_config_is_validated_from_toml_values():
    cfg = build_stage_config(TranslateStage, {"beam_size": 4, "device": "cpu"}, "test")
    assert (cfg.beam_size, cfg.device, cfg.compute_type) == (4, "cpu", None)
    with pytest.raises(ConfigError, match="device"):
        build_stage_config(TranslateStage, {"device": "tpu"}, "test")
    with pytest.raises(ConfigError, match="unknown key"):
        build_stage_config(TranslateStage, {"beams": 4}, "test")


def test_thread_defaults_follow_the_machine(monkeypatch):
    monkeypatch.setattr("babelmill.translate.backend.cpu_count", lambda: 16)
    assert resolve_threads("cpu", 0, 0) == (4, 4)
    assert resolve_threads("cpu", 2, 0) == (2, 4)
    monkeypatch.setattr("babelmill.translate.backend.cpu_count", lambda: 2)
    assert resolve_threads("cpu", 0, 0) == (2, 1)  # parallel translators, one per core
    assert resolve_threads("cpu", 0, 2) == (2, 2)  # explicit values win
    assert resolve_threads("cuda", 0, 0) == (1, 1)


def test_gpu_precision_defaults_to_float16_where_the_gpu_has_it(monkeypatch):
    import ctranslate2

    def supported(types):
        monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda device: set(types))

    supported({"float32", "int8_float16", "float16", "bfloat16"})
    assert resolve_compute_type("cuda", None) == "float16"
    supported({"float32", "int8_float16"})
    assert resolve_compute_type("cuda", None) == "int8_float16"
    supported({"float32"})
    assert resolve_compute_type("cuda", None) == "default"
    assert resolve_compute_type("cuda", "bfloat16") == "bfloat16"  # configured wins
    assert resolve_compute_type("cpu", None) == "int8"


def test_batch_budget_defaults_to_the_devices(tmp_path, de_en_archive, isolated_models):
    from babelmill.translate.backend import AUTO_BATCH_TOKENS, CTranslate2Backend, DecodeOptions

    package = install_archive(de_en_archive, tmp_path / "models")
    assert CTranslate2Backend(package, device="cpu").max_batch_tokens == AUTO_BATCH_TOKENS["cpu"] == 4096
    configured = CTranslate2Backend(package, device="cpu", options=DecodeOptions(max_batch_tokens=512))
    assert configured.max_batch_tokens == 512
    assert AUTO_BATCH_TOKENS["cuda"] > AUTO_BATCH_TOKENS["cpu"]
    with pytest.raises(ValueError, match="max_batch_tokens"):
        TranslateConfig(max_batch_tokens=-1)


@pytest.mark.slow
def test_real_tiny_model_end_to_end(tmp_path, de_en_archive, isolated_models):
    """A random-weight argos package through the whole stage: loads, translates, caches."""
    models_dir = tmp_path / "models"
    install_archive(de_en_archive, models_dir)
    config = TranslateConfig(models_dir=str(models_dir), device="auto", max_decoding_length=12)
    context = {"state_dir": tmp_path / "state"}
    docs = [
        doc("a", ("Am 17. November wurde Dr. Müller entlassen. Siehe https://x.org/a", "de"), ("Hi.", "en")),
        doc("b", ("Der Zug kam an.", "de"), ("中国经济增长了。", "zh")),
    ]
    stage = TranslateStage(config, context)
    out = run(stage, docs)
    a, b = out
    assert a.blocks[0].translation == TRANSLATED and a.blocks[0].original.startswith("Am 17. November")
    assert "https://x.org/a" in a.blocks[0].text
    assert b.blocks[0].translation == TRANSLATED
    assert b.blocks[1].translation == PENDING and "zh->en" in b.blocks[1].note
    assert a.translation["model"] == "translate-de_en-random" and a.translation["model_version"] == "0.0"
    assert 0.0 < a.blocks[0].meta["quality"]["confidence"] <= 1.0
    assert stage.counters["cache_misses"] == 3

    again = [doc("a", ("Am 17. November wurde Dr. Müller entlassen. Siehe https://x.org/a", "de"))]
    stage = TranslateStage(config, context)
    (a2,) = run(stage, again)
    assert stage.counters["cache_hits"] == 2 and stage.counters["cache_misses"] == 0
    assert a2.blocks[0].text == a.blocks[0].text


class IdentityBackend(ReverseBackend):
    def translate(self, sentences):
        self.calls.append(list(sentences))
        return [(s, -0.01) for s in sentences]


_token = st.sampled_from(
    ["Der", "Satz", "z.B.", "Dr.", "17.", "ging", "nach", "Hause.", "Warum?", "Ja!", "„Gut.“", "https://ex.org/a",
     "@sama", "$AAPL", "#KI", "3,5 %", "🚀", "中国。", "经济！", "10 km", "`x = 1`", "ZQX3", "usw."]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_token, min_size=1, max_size=12).map(" ".join), min_size=1, max_size=3).map("\n".join))
def test_identity_backend_round_trips_block_text(text):
    """Splitting, protection and reassembly lose nothing: an backend that returns its input
    yields the source text again (single spaces, line breaks kept)."""
    backend = IdentityBackend()
    stage = TranslateStage(TranslateConfig(), {}, backends={"de": backend})
    (d,) = stage.process_batch([doc("a", (text, "de"))])
    block = d.blocks[0]
    assert block.translation == TRANSLATED
    assert block.text == text.strip()
    assert "placeholder_dropped" not in block.meta["quality"]["flags"]


def titled(doc_id: str, title: str, title_lang: str, *blocks: tuple[str, str]) -> Document:
    d = doc(doc_id, *blocks)
    d.metadata.update({"title": title, "title_lang": title_lang})
    return d


def test_german_title_is_translated_and_the_original_kept():
    backend = ReverseBackend()
    stage = TranslateStage(TranslateConfig(), {}, backends={"de": backend})
    (d,) = run(stage, [titled("a", "Stadt plant neue Brücke", "de", ("Der Rat stimmte zu.", "de"))])
    assert d.metadata["title"] == ReverseBackend.expected("Stadt plant neue Brücke")
    assert d.metadata["original_title"] == "Stadt plant neue Brücke"
    assert d.metadata["title_translation"] == TRANSLATED and d.metadata["original_title_lang"] == "de"
    # the title is not one of the body's blocks
    assert d.translation["blocks_translated"] == 1 and len(d.blocks) == 1
    # a rerun does not translate it again
    (d,) = run(TranslateStage(TranslateConfig(), {}, backends={"de": backend}), [d])
    assert d.metadata["original_title"] == "Stadt plant neue Brücke"


def test_title_without_a_model_is_pending_and_a_later_run_translates_it(tmp_path, isolated_models):
    stage = TranslateStage(TranslateConfig(models_dir=str(tmp_path / "none")), {})
    (d,) = run(stage, [titled("a", "中国经济增长", "zh", ("The economy grew.", "en"))])
    assert d.metadata["title"] == "中国经济增长" and d.metadata["title_translation"] == PENDING
    assert "original_title" not in d.metadata
    zh = ReverseBackend("zh@1")
    (d,) = run(TranslateStage(TranslateConfig(), {}, backends={"zh": zh}), [d])
    assert d.metadata["original_title"] == "中国经济增长" and d.metadata["title_translation"] == TRANSLATED
    assert zh.translated == ["中国经济增长"]


def test_english_title_and_a_paired_original_title_are_left_alone():
    backend = ReverseBackend()
    d = titled("a", "Budget passes", "en", ("Der Rat stimmte zu.", "de"))
    d2 = titled("b", "Most of the team has left", "en", ("Text.", "en"))
    d2.metadata["original_title"] = "创始团队出走殆尽"
    out = run(TranslateStage(TranslateConfig(), {}, backends={"de": backend}), [d, d2])
    assert out[0].metadata["title"] == "Budget passes" and "title_translation" not in out[0].metadata
    assert out[1].metadata["original_title"] == "创始团队出走殆尽"


def test_real_tiny_model_translates_a_german_title(tmp_path, de_en_archive, isolated_models):
    models_dir = tmp_path / "models"
    install_archive(de_en_archive, models_dir)
    config = TranslateConfig(models_dir=str(models_dir), max_decoding_length=12)
    (d,) = run(TranslateStage(config, {}), [titled("a", "Der Zug kam an", "de", ("Der Zug kam an.", "de"))])
    assert d.metadata["title_translation"] == TRANSLATED and d.metadata["original_title"] == "Der Zug kam an"
    assert isinstance(d.metadata["title"], str)
