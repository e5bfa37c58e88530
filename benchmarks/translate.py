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
    batching, dedup, length-sorted token batches on parallel translators. Rows: its default
    (beam 4, the baseline's beam: like for like), beam 2 and greedy (beam 1), the speed options,
    and (full run only) beam 4 with the previous threading (one translator x 2 OpenMP threads,
    4096-token batches).
(c) the ceiling = raw ``ctranslate2.Translator.translate_batch``, one call on the distinct
    sentences babelmill's backend receives, pre-tokenized and length-sorted, with the same decode
    settings and token budget, at beam 4 and greedy, in both thread layouts of the machine
    (translators x threads); the faster layout per beam is the ceiling. Nothing else: no
    splitting, protection, tokenization, cache, quality checks or assembly.
(d) cache rerun = (b) default again with its persistent cache in place.
(e) where babelmill's time goes: the default row runs with timers around sentence splitting,
    protection, SentencePiece encode/decode, the SQLite cache, the quality checks and the
    CTranslate2 calls, so the gap to the ceiling splits into babelmill's own work and any
    difference of its CTranslate2 calls from the raw one.

The machine is shared and noisy: every row runs ``--repeats`` times, interleaved with the
others in rotating order, and medians are reported, in wall-clock and in CPU seconds (the CPU
time of this process varies much less with other processes' load). Each babelmill run starts
with an empty cache, so every row decodes every distinct sentence.

    python benchmarks/translate.py            # argos-size model: 6+6 layers, d512, ffn 2048, 8 heads, 32k vocab
    python benchmarks/translate.py --quick    # 2+2 layers, d256, 8k vocab, fewer sentences (< 1 min)

Outputs of random weights are garbage; only speed is measured. Last line: ``RESULT
speedup_vs_argos=<beam 4 vs baseline> fraction_of_ceiling=<beam 4 vs raw beam 4>
greedy_speedup_vs_argos=... greedy_fraction_of_ceiling=... sentences_per_s=<beam 4>
cache_rerun_speedup=...`` followed by the other figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import sentencepiece as spm  # noqa: E402

import babelmill.stages.translate as stage_module  # noqa: E402
import babelmill.translate.backend as backend_module  # noqa: E402
import babelmill.translate.pieces as pieces_module  # noqa: E402
from babelmill.document import Block, Document  # noqa: E402
from babelmill.stages.translate import TranslateConfig, TranslateStage  # noqa: E402
from babelmill.testing.argos import build_package  # noqa: E402
from babelmill.translate.backend import AUTO_BATCH_TOKENS, batch_budget, cpu_count, resolve_threads  # noqa: E402
from babelmill.translate.install import install_archive  # noqa: E402
from babelmill.translate.sentences import split_sentences  # noqa: E402

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
    clock = Clock()
    for paragraph in paragraphs:
        translation.translate(paragraph)
    elapsed = clock.stop()
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


def run_argos_pattern(package_dir: Path, paragraphs: list[str], max_len: int) -> Elapsed:
    """argostranslate.translate.apply_packaged_translation's CTranslate2 call, reproduced."""
    import ctranslate2
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(package_dir / "model"), device="cpu", inter_threads=1, intra_threads=0)
    clock = Clock()
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
    return clock.stop()


class Elapsed(float):
    """Wall-clock seconds (the float value) with the process's CPU seconds (all threads) in ``cpu``."""

    cpu: float

    def __new__(cls, wall: float, cpu: float) -> Elapsed:
        obj = super().__new__(cls, wall)
        obj.cpu = cpu
        return obj


class Clock:
    """Wall and CPU time from construction to :meth:`stop`. On a shared machine the CPU time of
    this process varies much less than the wall time (other processes' load shows in wall time)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> Elapsed:
        return Elapsed(time.perf_counter() - self.wall, time.process_time() - self.cpu)


def make_docs(paragraphs: list[str], per_doc: int = 8) -> list[Document]:
    docs = []
    for i in range(0, len(paragraphs), per_doc):
        blocks = [Block(text=p, lang="de", line=j + 1) for j, p in enumerate(paragraphs[i : i + per_doc])]
        docs.append(Document(id=f"bench-{i // per_doc:05d}", text="", blocks=blocks))
    return docs


def bench_config(models_dir: Path, beam: int, max_len: int, **overrides) -> TranslateConfig:
    # max_decoding_ratio=0: the same fixed cap as the baseline, nothing shorter (random weights
    # never stop on their own, so a per-sentence cap would shorten babelmill's work unfairly)
    return TranslateConfig(
        models_dir=str(models_dir),
        device="cpu",
        beam_size=beam,
        max_decoding_length=max_len,
        max_decoding_ratio=0,
        **overrides,
    )


def run_babelmill(models_dir: Path, state_dir: Path, paragraphs: list[str], beam: int, max_len: int, **overrides):
    """Time ``TranslateStage`` over :func:`make_docs` documents; returns (seconds, translated
    blocks, counters, block texts)."""
    stage = TranslateStage(bench_config(models_dir, beam, max_len, **overrides), {"state_dir": state_dir})
    stage.load_model("de")  # load the model outside the timed region, as the baseline does
    docs = make_docs(paragraphs)
    clock = Clock()
    out = list(stage.run(docs))
    elapsed = clock.stop()
    texts = [b.text for d in out for b in d.blocks]
    translated = sum(b.translation == "translated" for d in out for b in d.blocks)
    counters = dict(stage.counters)
    stage.close()
    return elapsed, translated, counters, texts


def backend_sentences(models_dir: Path, paragraphs: list[str], max_len: int) -> list[str]:
    """The distinct sentences babelmill's backend receives for these paragraphs (split, protected,
    deduplicated), in its order: the ceiling translates exactly these."""
    stage = TranslateStage(bench_config(models_dir, 4, max_len), {})
    masked = {p.masked for text in paragraphs for p in stage._split(text) if p.translate}
    return sorted(masked, key=lambda s: (len(s), s))


def run_raw(package_dir: Path, tokens: list[list[str]], beam: int, max_len: int, inter: int, intra: int) -> Elapsed:
    """The ceiling: one ``ctranslate2.Translator.translate_batch`` call on pre-tokenized,
    deduplicated, length-sorted sentences, same decode settings and token budget as babelmill;
    nothing else (no splitting, protection, tokenization, cache or assembly)."""
    import ctranslate2

    translator = ctranslate2.Translator(
        str(package_dir / "model"), device="cpu", compute_type="int8", inter_threads=inter, intra_threads=intra
    )
    budget = batch_budget(sum(map(len, tokens)), AUTO_BATCH_TOKENS["cpu"])
    clock = Clock()
    translator.translate_batch(
        tokens,
        max_batch_size=budget,
        batch_type="tokens",
        beam_size=beam,
        num_hypotheses=1,
        length_penalty=0.2,
        max_decoding_length=max_len,
        replace_unknowns=True,
        return_scores=True,
    )
    elapsed = clock.stop()
    del translator
    return elapsed


class PhaseTimer:
    """Wall time spent in babelmill's own work around CTranslate2, by phase (one instrumented
    run): functions are wrapped with timers for its duration; nested timers are subtracted so
    the phases add up."""

    PHASES = {
        "sentence splitting": [(pieces_module, "split_with_separators"), (pieces_module, "chunk_long")],
        "protection (mask + restore)": [
            (pieces_module, "protect"),
            (pieces_module, "restore"),
            (pieces_module, "has_translatable_text"),
        ],
        "tokenization (SentencePiece encode)": [(backend_module._SentencePiece, "encode_many")],
        "detokenization (SentencePiece decode)": [(backend_module._SentencePiece, "decode_many")],
        "translation cache (SQLite lookup + store)": [
            (backend_module.TranslationCache, "lookup"),
            (backend_module.TranslationCache, "put_many"),
        ],
        "quality checks": [(stage_module, "assess")],
        "CTranslate2 decoding (inside babelmill's backend)": [(backend_module.CTranslate2Backend, "translate")],
    }

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {name: 0.0 for name in self.PHASES}
        self._saved: list[tuple[object, str, object]] = []
        self._stack: list[float] = []  # time of nested timed calls, per open frame

    def _wrap(self, phase: str, fn):
        def timed(*args, **kwargs):
            self._stack.append(0.0)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - t0
                inner = self._stack.pop()
                self.seconds[phase] += spent - inner
                if self._stack:
                    self._stack[-1] += spent

        return timed

    def __enter__(self) -> PhaseTimer:
        for phase, targets in self.PHASES.items():
            for owner, name in targets:
                fn = owner.__dict__[name]
                self._saved.append((owner, name, fn))
                setattr(owner, name, self._wrap(phase, fn))
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, fn in reversed(self._saved):
            setattr(owner, name, fn)
        self._saved.clear()


#: babelmill rows: name -> (beam, TranslateConfig overrides). "legacy" = the threading and batch
#: budget babelmill used before (one translator with 2 OpenMP threads, 4096-token batches)
ROWS = {
    "default": (4, {}),
    "beam2": (2, {}),
    "greedy": (1, {}),
    "legacy_beam4": (4, {"inter_threads": 1, "intra_threads": 2, "max_batch_tokens": 4096}),
}
#: ceiling rows: raw CTranslate2 at beam 4 and greedy, each with both thread layouts of a small
#: machine (translators x OpenMP threads); the faster layout of each beam is the ceiling
RAW_ROWS = {
    "raw_beam4_inter": (4, "inter"),
    "raw_beam4_intra": (4, "intra"),
    "raw_greedy_inter": (1, "inter"),
    "raw_greedy_intra": (1, "intra"),
}


def layout(kind: str) -> tuple[int, int]:
    """(inter_threads, intra_threads) of a layout on this machine."""
    cpus = cpu_count()
    return (cpus, 1) if kind == "inter" else (1, cpus)


def gap_only(models: Path, package_dir: Path, tmp_path: Path, paragraphs, tokens, max_len: int, rounds: int) -> None:
    """babelmill at beam 4 and the raw call with the same threads, back to back, order alternating."""
    inter, intra = resolve_threads("cpu", 0, 0)
    ours: list[Elapsed] = []
    raw: list[Elapsed] = []
    for i in range(rounds):
        for name in ("babelmill", "raw") if i % 2 == 0 else ("raw", "babelmill"):
            if name == "babelmill":
                ours.append(run_babelmill(models, tmp_path / f"state-gap-{i}", paragraphs, 4, max_len)[0])
            else:
                raw.append(run_raw(package_dir, tokens, 4, max_len, inter, intra))
        print(
            f"  round {i + 1}: babelmill {ours[-1]:.2f}s ({ours[-1].cpu:.2f} CPU s), raw {raw[-1]:.2f}s "
            f"({raw[-1].cpu:.2f} CPU s), fraction {raw[-1] / ours[-1]:.3f}",
            flush=True,
        )
    frac = statistics.median(raw) / statistics.median(ours)
    per_round = statistics.median(r / o for r, o in zip(raw, ours, strict=True))
    cpu_frac = statistics.median(r.cpu for r in raw) / statistics.median(o.cpu for o in ours)
    print(f"raw CTranslate2 beam 4 with babelmill's threads ({inter} x {intra}) vs babelmill beam 4, medians")
    print(
        f"RESULT fraction_of_ceiling={frac:.3f} per_round_fraction={per_round:.3f} "
        f"cpu_fraction_of_ceiling={cpu_frac:.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small model and fewer sentences (< 1 minute)")
    ap.add_argument("--paragraphs", type=int, default=None, help="paragraphs to translate (default 150, quick 30)")
    ap.add_argument("--max-decoding-length", type=int, default=None, help="common output cap (default 48, quick 32)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions; medians are reported")
    ap.add_argument("--skip-legacy", action="store_true", help="leave out the previous-threading row (as --quick)")
    ap.add_argument(
        "--gap-only",
        action="store_true",
        help="only babelmill beam 4 and raw CTranslate2 beam 4 with babelmill's threads, alternating "
        "(--repeats rounds): the fraction of the ceiling with less noise per CPU minute",
    )
    args = ap.parse_args()
    size = (
        dict(layers=2, d_model=256, heads=4, ffn=1024, vocab=8000)
        if args.quick
        else dict(layers=6, d_model=512, heads=8, ffn=2048, vocab=32000)
    )
    n_par = args.paragraphs or (30 if args.quick else 150)
    max_len = args.max_decoding_length or (32 if args.quick else 48)
    all_paragraphs = german_paragraphs()
    paragraphs = all_paragraphs[:n_par]
    n_sent = sum(len(split_sentences(p)) for p in paragraphs)
    print(f"input: {len(paragraphs)} German paragraphs, {n_sent} sentences (splitter: babelmill rule-based)")
    print(f"model: random-weight transformer {size}, int8, max_decoding_length={max_len} on both sides")
    print(f"cpus: {cpu_count()}, {args.repeats} interleaved repetitions (order rotates), medians reported")

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
        models = tmp_path / "models"
        unique = backend_sentences(models, paragraphs, max_len)
        sp = spm.SentencePieceProcessor(model_file=str(package.path / "sentencepiece.model"))
        tokens = sp.encode(unique, out_type=str)
        print(f"ceiling input: {len(unique)} distinct backend sentences, {sum(map(len, tokens))} tokens, pre-tokenized")
        if args.gap_only:
            gap_only(models, package.path, tmp_path, paragraphs, tokens, max_len, args.repeats)
            return

        # --quick leaves out the previous-threading row (its figures are in the full run)
        rows = {k: v for k, v in ROWS.items() if not ((args.quick or args.skip_legacy) and k.startswith("legacy"))}
        times: dict[str, list[Elapsed]] = {name: [] for name in ["baseline", *rows, *RAW_ROWS]}
        texts: dict[str, list[str]] = {}
        # the default row runs with phase timers every time (a few microseconds per call), so
        # its medians break the gap to the ceiling down under the same load as the ceiling
        phase_runs: list[dict[str, float]] = []
        how = ""
        for rep in range(args.repeats):
            order = list(times)
            order = order[rep % len(order) :] + order[: rep % len(order)]
            for name in order:
                if name == "baseline":
                    elapsed, how = run_argostranslate(package.path, paragraphs, max_len)
                elif name in RAW_ROWS:
                    beam, kind = RAW_ROWS[name]
                    elapsed = run_raw(package.path, tokens, beam, max_len, *layout(kind))
                else:
                    beam, overrides = rows[name]
                    state = tmp_path / f"state-{name}-{rep}"  # fresh cache: every row decodes
                    with PhaseTimer() as timer:
                        elapsed, translated, _, out = run_babelmill(
                            models, state, paragraphs, beam, max_len, **overrides
                        )
                    if name == "default":
                        phase_runs.append(dict(timer.seconds, total=float(elapsed)))
                    assert translated == len(paragraphs), (translated, len(paragraphs))
                    texts.setdefault(name, out)
                times[name].append(elapsed)
            print(f"  repetition {rep + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f}s" for n in times), flush=True)

        # cache rerun: the default row's first state folder holds every sentence
        t_rerun, _, counters, _ = run_babelmill(models, tmp_path / "state-default-0", paragraphs, 4, max_len)

    med = {name: statistics.median(v) for name, v in times.items()}
    cpu = {name: statistics.median(e.cpu for e in v) for name, v in times.items()}
    t_base = med["baseline"]
    print(f"(a) baseline: {how}: {t_base:.2f}s, {n_sent / t_base:.1f} sentences/s")
    labels = {
        "default": "babelmill TranslateStage, default (beam 4 = baseline's beam)",
        "beam2": "babelmill beam 2 (speed option: half the hypotheses)",
        "greedy": "babelmill greedy (beam 1; speed option, lower quality)",
        "legacy_beam4": "babelmill beam 4, previous threading (inter 1 x intra 2, 4096-token batches)",
    }
    for name, label in labels.items():
        if name not in med:
            continue
        print(f"(b) {label}: {med[name]:.2f}s, {n_sent / med[name]:.1f} sentences/s, speedup {t_base / med[name]:.2f}x")
    for name, (beam, kind) in RAW_ROWS.items():
        inter, intra = layout(kind)
        print(
            f"(c) raw CTranslate2 translate_batch, beam {beam}, {inter} translator(s) x {intra} thread(s): "
            f"{med[name]:.2f}s, {n_sent / med[name]:.1f} sentences/s"
        )
    best4 = min(("raw_beam4_inter", "raw_beam4_intra"), key=med.get)
    best1 = min(("raw_greedy_inter", "raw_greedy_intra"), key=med.get)
    ceiling4, ceiling1 = med[best4], med[best1]
    frac4, frac1 = ceiling4 / med["default"], ceiling1 / med["greedy"]
    cpu_frac4, cpu_frac1 = cpu[best4] / cpu["default"], cpu[best1] / cpu["greedy"]
    print(f"    fraction of the ceiling (wall clock): beam 4 {frac4:.3f}, greedy {frac1:.3f}")
    print(
        f"    fraction of the ceiling (CPU time, same layout; steadier on a shared machine): "
        f"beam 4 {cpu_frac4:.3f}, greedy {cpu_frac1:.3f}"
    )
    print("    CPU seconds (medians): " + ", ".join(f"{n} {cpu[n]:.2f}" for n in cpu))
    legacy = ""
    if "legacy_beam4" in texts:
        differ = sum(a != b for a, b in zip(texts["default"], texts["legacy_beam4"], strict=True))
        print(f"    blocks that differ from the previous threading at beam 4: {differ} of {len(texts['default'])}")
        legacy = (
            f" threading_gain_beam4={med['legacy_beam4'] / med['default']:.2f}"
            f" blocks_differing={differ}/{len(texts['default'])}"
        )
    print(
        f"(d) rerun with the cache: {t_rerun:.3f}s ({counters.get('cache_hits', 0)} hits, "
        f"{counters.get('cache_misses', 0)} misses), {med['default'] / t_rerun:.1f}x faster than (b) default"
    )
    # the gap: babelmill's time minus the ceiling's, and where it goes (medians over the repetitions)
    decode = "CTranslate2 decoding (inside babelmill's backend)"
    phase_med = {k: statistics.median(run[k] for run in phase_runs) for k in phase_runs[0]}
    phase_med["stage plumbing and result assembly (the rest)"] = statistics.median(
        run["total"] - sum(v for k, v in run.items() if k != "total") for run in phase_runs
    )
    total = phase_med.pop("total")
    print(f"(e) where babelmill's beam-4 time goes (medians of the default row, {total:.2f}s):")
    for phase, seconds in sorted(phase_med.items(), key=lambda kv: -kv[1]):
        print(f"    {phase:<48} {seconds:7.3f}s  {100 * seconds / total:5.1f}%")
    own = total - phase_med[decode]
    same = "raw_beam4_inter" if layout("inter") == resolve_threads("cpu", 0, 0) else best4
    print(
        f"    gap to the ceiling: {med['default'] - ceiling4:.2f}s = babelmill's own work outside "
        f"CTranslate2 {own:.2f}s + its CTranslate2 calls vs raw with the same threads "
        f"{phase_med[decode] - med[same]:+.2f}s (+ noise between the medians)"
    )
    print(
        f"    without its own work babelmill would be at {ceiling4 / (med['default'] - own):.3f} of the ceiling; "
        f"the own work alone caps it at {phase_med[decode] / total:.3f}"
    )
    print(
        f"RESULT speedup_vs_argos={t_base / med['default']:.2f} fraction_of_ceiling={frac4:.3f} "
        f"greedy_speedup_vs_argos={t_base / med['greedy']:.2f} greedy_fraction_of_ceiling={frac1:.3f} "
        f"sentences_per_s={n_sent / med['default']:.1f} cache_rerun_speedup={med['default'] / t_rerun:.1f} "
        f"baseline_sents_per_s={n_sent / t_base:.1f} beam2_speedup_vs_argos={t_base / med['beam2']:.2f} "
        f"beam2_sents_per_s={n_sent / med['beam2']:.1f} greedy_sents_per_s={n_sent / med['greedy']:.1f} "
        f"ceiling_beam4_sents_per_s={n_sent / ceiling4:.1f} cpu_fraction_of_ceiling={cpu_frac4:.3f} "
        f"greedy_cpu_fraction_of_ceiling={cpu_frac1:.3f}{legacy}"
    )


if __name__ == "__main__":
    main()
