#!/usr/bin/env python3
"""Translation throughput: argostranslate's own path vs babelmill's batched translate stage.

Both sides run the SAME random-weight argos package (built here; real weights cannot be
downloaded in CI) on the SAME German paragraphs (seeds/002 + ../shared/dev/snippets German
pages), on the same CPU threads:

(a) baseline = argostranslate 1.x itself: ``PackageTranslation.translate(paragraph)`` one
    paragraph at a time, i.e. its CTranslate2 call pattern: beam 4, batches of 32 tokens,
    ``inter_threads=1``. Two things are patched, both documented: its sentence splitter (which
    downloads a MiniSBD model at first use) is replaced by babelmill's rule-based splitter, so
    both sides translate exactly the same sentences; and ``max_decoding_length`` is injected
    into its ``translate_batch`` call. Random weights rarely emit the end token, so without a
    common cap each side would decode to CTranslate2's 256-token limit; with the cap both decode
    comparable (capped) lengths. If argostranslate cannot be imported, the same call pattern is
    reproduced directly on ctranslate2.
(b) babelmill = ``TranslateStage`` over documents of the same paragraphs: cross-document
    batching, dedup, length-sorted 4096-token batches, beam 2 (its default); also reported at
    beam 4 for a like-for-like comparison.
(c) cache rerun = (b) again with the persistent cache from (b) in place.

    python benchmarks/translate.py            # argos-size model: 6+6 layers, d512, ffn 2048, 8 heads, 32k vocab
    python benchmarks/translate.py --quick    # 2+2 layers, d256, 8k vocab, fewer sentences (< 1 min)

Outputs of random weights are garbage; only speed is measured. Last line:
``RESULT speedup=<x> baseline_sents_per_s=<..> babelmill_sents_per_s=<..> cache_rerun_speedup=<..>``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from babelmill.document import Block, Document  # noqa: E402
from babelmill.stages.translate import TranslateConfig, TranslateStage  # noqa: E402
from babelmill.translate.packages import install_archive  # noqa: E402
from babelmill.translate.sentences import split_sentences  # noqa: E402
from tests.fixtures.argos_fixture import build_package  # noqa: E402

SHARED = REPO.parent / "shared" / "dev" / "snippets"


def german_paragraphs() -> list[str]:
    """Prose-like German lines (8+ words), unique, in file order."""
    files = [REPO / "seeds" / name for name in sorted(os.listdir(REPO / "seeds")) if name.startswith("002")]
    if SHARED.is_dir():
        for meta in sorted(SHARED.glob("*.json")):
            if json.loads(meta.read_text(encoding="utf-8")).get("lang") == "de":
                files.append(meta.with_suffix(".txt"))
    seen: set[str] = set()
    out: list[str] = []
    for f in files:
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if len(line.split()) >= 8 and line not in seen:
                seen.add(line)
                out.append(line)
    return out


def run_argostranslate(package_dir: Path, paragraphs: list[str], max_len: int) -> tuple[float, str]:
    """Time argostranslate translating one paragraph at a time (see module docstring)."""
    try:
        from argostranslate import settings
        from argostranslate import translate as argos_translate
    except ImportError:
        return run_argos_pattern(package_dir, paragraphs, max_len), "argos call pattern reproduced on ctranslate2"
    from argostranslate.package import Package

    pkg = Package(package_dir)
    translation = argos_translate.PackageTranslation(
        argos_translate.Language("de", "German"), argos_translate.Language("en", "English"), pkg
    )

    class RuleSentencizer:  # argostranslate's default downloads a MiniSBD model on first use
        def split_sentences(self, text: str) -> list[str]:
            return split_sentences(text)

    translation.sentencizer = RuleSentencizer()
    import ctranslate2

    real = ctranslate2.Translator(
        str(package_dir / "model"),
        device=settings.device,
        inter_threads=settings.inter_threads,
        intra_threads=settings.intra_threads,
        compute_type=settings.compute_type,
    )

    class CappedTranslator:  # argostranslate passes no max_decoding_length; add the common cap
        def translate_batch(self, *args, **kwargs):
            kwargs.setdefault("max_decoding_length", max_len)
            return real.translate_batch(*args, **kwargs)

    translation.translator = CappedTranslator()
    start = time.perf_counter()
    for paragraph in paragraphs:
        translation.translate(paragraph)
    elapsed = time.perf_counter() - start
    how = (
        f"argostranslate {argos_version()} PackageTranslation.translate per paragraph "
        f"(beam {settings.beam_size}, {settings.batch_size}-token batches, inter_threads={settings.inter_threads})"
    )
    return elapsed, how


def argos_version() -> str:
    try:
        from importlib.metadata import version

        return version("argostranslate")
    except Exception:  # noqa: BLE001
        return "?"


def run_argos_pattern(package_dir: Path, paragraphs: list[str], max_len: int) -> float:
    """argostranslate.translate.apply_packaged_translation's CTranslate2 call, reproduced."""
    import ctranslate2
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(package_dir / "model"), device="cpu", inter_threads=1, intra_threads=0)
    start = time.perf_counter()
    for paragraph in paragraphs:
        tokens = [sp.encode(s, out_type=str) for s in split_sentences(paragraph)]
        results = translator.translate_batch(
            tokens,
            replace_unknowns=True,
            max_batch_size=32,
            batch_type="tokens",
            beam_size=4,
            num_hypotheses=1,
            length_penalty=0.2,
            return_scores=True,
            max_decoding_length=max_len,
        )
        sp.decode_pieces([t for r in results for t in r.hypotheses[0]])
    return time.perf_counter() - start


def make_docs(paragraphs: list[str], per_doc: int = 8) -> list[Document]:
    docs = []
    for i in range(0, len(paragraphs), per_doc):
        blocks = [Block(text=p, lang="de", line=j + 1) for j, p in enumerate(paragraphs[i : i + per_doc])]
        docs.append(Document(id=f"bench-{i // per_doc:05d}", text="", blocks=blocks))
    return docs


def run_babelmill(models_dir: Path, state_dir: Path, paragraphs: list[str], beam: int, max_len: int):
    # max_decoding_ratio=0: the same fixed cap as the baseline, nothing shorter (random weights
    # never stop on their own, so a per-sentence cap would shorten babelmill's work unfairly)
    config = TranslateConfig(
        models_dir=str(models_dir), device="cpu", beam_size=beam, max_decoding_length=max_len, max_decoding_ratio=0
    )
    stage = TranslateStage(config, {"state_dir": state_dir})
    stage._engine_for("de")  # load the model outside the timed region, as the baseline does
    docs = make_docs(paragraphs)
    start = time.perf_counter()
    out = list(stage.run(docs))
    elapsed = time.perf_counter() - start
    translated = sum(b.translation == "translated" for d in out for b in d.blocks)
    counters = dict(stage.counters)
    stage.close()
    return elapsed, translated, counters


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small model and fewer sentences (< 1 minute)")
    ap.add_argument("--paragraphs", type=int, default=None, help="paragraphs to translate (default 150, quick 60)")
    ap.add_argument("--max-decoding-length", type=int, default=None, help="common output cap (default 48, quick 32)")
    args = ap.parse_args()
    size = (
        dict(layers=2, d_model=256, heads=4, ffn=1024, vocab=8000)
        if args.quick
        else dict(layers=6, d_model=512, heads=8, ffn=2048, vocab=32000)
    )
    n_par = args.paragraphs or (60 if args.quick else 150)
    max_len = args.max_decoding_length or (32 if args.quick else 48)
    all_paragraphs = german_paragraphs()
    paragraphs = all_paragraphs[:n_par]
    n_sent = sum(len(split_sentences(p)) for p in paragraphs)
    print(f"input: {len(paragraphs)} German paragraphs, {n_sent} sentences (splitter: babelmill rule-based)")
    print(f"model: random-weight transformer {size}, int8, max_decoding_length={max_len} on both sides")
    print(f"cpus: {os.cpu_count()}")

    with tempfile.TemporaryDirectory(prefix="bm-translate-") as tmp:
        tmp_path = Path(tmp)
        # importing argostranslate creates data/config/cache folders and reads settings.json:
        # point them at the temp folder so its defaults apply and the home folder stays clean
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(tmp_path / var.lower())
        for var in [v for v in os.environ if v.startswith("ARGOS_")]:
            del os.environ[var]
        t0 = time.perf_counter()
        archive = build_package(tmp_path / "pkg", "de", "en", corpus=all_paragraphs, **size)
        package = install_archive(archive, tmp_path / "models")
        print(f"built package {archive.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f}s")

        t_base, how = run_argostranslate(package.path, paragraphs, max_len)
        print(f"(a) baseline: {how}: {t_base:.2f}s, {n_sent / t_base:.1f} sentences/s")

        t_bm, translated, counters = run_babelmill(tmp_path / "models", tmp_path / "state", paragraphs, 2, max_len)
        assert translated == len(paragraphs), (translated, len(paragraphs))
        print(
            f"(b) babelmill TranslateStage, beam 2 (default): {t_bm:.2f}s, {n_sent / t_bm:.1f} sentences/s "
            f"({counters.get('cache_misses', 0)} distinct sentences decoded), speedup {t_base / t_bm:.2f}x"
        )

        t_rerun, _, counters = run_babelmill(tmp_path / "models", tmp_path / "state", paragraphs, 2, max_len)
        print(
            f"(c) rerun with the cache: {t_rerun:.3f}s ({counters.get('cache_hits', 0)} hits, "
            f"{counters.get('cache_misses', 0)} misses), {t_bm / t_rerun:.1f}x faster than (b)"
        )

        t_b4, _, _ = run_babelmill(tmp_path / "models", tmp_path / "state-b4", paragraphs, 4, max_len)
        print(f"(b4) babelmill at beam 4: {t_b4:.2f}s, {n_sent / t_b4:.1f} sentences/s, speedup {t_base / t_b4:.2f}x")

    print(
        f"RESULT speedup={t_base / t_bm:.2f} baseline_sents_per_s={n_sent / t_base:.1f} "
        f"babelmill_sents_per_s={n_sent / t_bm:.1f} cache_rerun_speedup={t_bm / t_rerun:.1f} "
        f"speedup_same_beam={t_base / t_b4:.2f}"
    )


if __name__ == "__main__":
    main()
