#!/usr/bin/env python3
"""Translation on a CUDA GPU: babelmill's translate stage on the GPU vs on every CPU core of the
same machine, and vs raw CTranslate2 on the GPU (the ceiling), side by side in one run.

The model is a random-weight argos package built here (real weights cannot be downloaded), so
only speed and plumbing are measured, never quality. Its text is German sentences from the seeds,
their words shuffled with a fixed seed into as many distinct sentences as asked for (same length
distribution as the real ones; the stage translates each distinct sentence once, so repeats would
measure its cache, not the GPU).

Rows (each ``--repeats`` times, order rotating, medians reported):

- ``cpu``: ``TranslateStage`` with ``device="cpu"`` (int8, babelmill's automatic CPU threading);
- ``cuda``: ``TranslateStage`` with ``device="cuda"`` and the automatic compute type and batch
  budget;
- with ``--sweep``: ``cuda_<compute type>_<budget>`` rows, each compute type (int8_float16,
  float16, bfloat16) at each ``max_batch_tokens`` (4096 to 32768): what the defaults are chosen by;
- ``raw_cuda``: one ``ctranslate2.Translator.translate_batch`` call on the same distinct
  sentences, pre-tokenized and length-sorted, same compute type, decode settings and token
  budget as the ``cuda`` row's automatic ones: the ceiling for babelmill's GPU path.

Also checked: the ``cuda`` row's output is identical on every repetition (the corpus must be
byte-identical for the same inputs and config), and how many blocks the CPU and GPU rows translate
alike (random weights and different precisions: informative only).

    python benchmarks/translate_gpu.py            # argos-size model (6+6 layers, d512, 32k vocab)
    python benchmarks/translate_gpu.py --quick    # 2+2 layers, d256, 8k vocab, fewer sentences

Without a CUDA device it prints one line saying so and exits 0 with ``RESULT cuda=0``. Last line:
``RESULT cuda=1 cuda_vs_cpu=... fraction_of_ceiling=... sents_per_s_cuda=... ...``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from babelmill.document import Block, Document  # noqa: E402
from babelmill.stages.translate import TranslateConfig, TranslateStage  # noqa: E402
from babelmill.testing.argos import build_package  # noqa: E402
from babelmill.translate.backend import AUTO_BATCH_TOKENS, batch_budget, cpu_count, resolve_compute_type  # noqa: E402
from babelmill.translate.install import install_archive  # noqa: E402
from babelmill.translate.sentences import split_sentences  # noqa: E402


def cuda_devices() -> int:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count()
    except Exception:  # noqa: BLE001 - no CUDA runtime at all
        return 0


def seed_sentences() -> list[str]:
    """German sentences of 5+ words from the German seed pages, in file order."""
    out: list[str] = []
    for path in sorted((REPO / "seeds").glob("002*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            out += [s for s in split_sentences(line.strip()) if len(s.split()) >= 5]
    return out


def distinct_sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct sentences: real ones, then their words shuffled (fixed seed)."""
    real = seed_sentences()
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    i = 0
    while len(out) < n:
        words = real[i % len(real)].split()
        if i >= len(real):
            rng.shuffle(words)
        sentence = " ".join(words)
        if sentence not in seen:
            seen.add(sentence)
            out.append(sentence)
        i += 1
    return out


def make_docs(sentences: list[str], per_block: int = 3, per_doc: int = 8) -> list[Document]:
    blocks = [" ".join(sentences[i : i + per_block]) for i in range(0, len(sentences), per_block)]
    return [
        Document(
            id=f"gpu-{i // per_doc:05d}",
            text="",
            blocks=[Block(text=t, lang="de", line=j + 1) for j, t in enumerate(blocks[i : i + per_doc])],
        )
        for i in range(0, len(blocks), per_doc)
    ]


def run_stage(models: Path, state: Path, sentences: list[str], max_len: int, **overrides):
    """Seconds for ``TranslateStage`` over the sentences (model loaded before the clock starts),
    the block texts, and the device/compute type it used."""
    config = TranslateConfig(
        models_dir=str(models), beam_size=4, max_decoding_length=max_len, max_decoding_ratio=0, **overrides
    )
    stage = TranslateStage(config, {"state_dir": state})
    stage.load_model("de")
    docs = make_docs(sentences)
    t0 = time.perf_counter()
    out = list(stage.run(docs))
    elapsed = time.perf_counter() - t0
    (used,) = stage.models_used().values()
    stage.close()
    blocks = [b for d in out for b in d.blocks]
    assert all(b.translation == "translated" for b in blocks), "every block must be translated"
    return elapsed, [b.text for b in blocks], f"{used['device']}/{used.get('compute_type')}"


def run_raw(package_dir: Path, tokens: list[list[str]], max_len: int, compute_type: str) -> float:
    import ctranslate2

    translator = ctranslate2.Translator(str(package_dir / "model"), device="cuda", compute_type=compute_type)
    budget = batch_budget(sum(map(len, tokens)), AUTO_BATCH_TOKENS["cuda"])
    t0 = time.perf_counter()
    translator.translate_batch(
        tokens,
        max_batch_size=budget,
        batch_type="tokens",
        beam_size=4,
        num_hypotheses=1,
        length_penalty=0.2,
        max_decoding_length=max_len,
        replace_unknowns=True,
        return_scores=True,
    )
    elapsed = time.perf_counter() - t0
    del translator
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small model, fewer sentences (< 1 minute)")
    ap.add_argument("--sentences", type=int, default=None, help="distinct sentences (default 3000, quick 600)")
    ap.add_argument("--cpu-sentences", type=int, default=None, help="the CPU row's share of them (default all)")
    ap.add_argument("--max-decoding-length", type=int, default=48, help="common output cap")
    ap.add_argument("--sweep", action="store_true", help="also GPU rows for each compute type x batch budget")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    if not cuda_devices():
        print("no CUDA device visible to CTranslate2: nothing to measure")
        print("RESULT cuda=0")
        return
    import ctranslate2
    import sentencepiece as spm

    size = (
        dict(layers=2, d_model=256, heads=4, ffn=1024, vocab=8000)
        if args.quick
        else dict(layers=6, d_model=512, heads=8, ffn=2048, vocab=32000)
    )
    n = args.sentences or (600 if args.quick else 3000)
    sentences = distinct_sentences(n)
    n_cpu = min(n, args.cpu_sentences or n)
    auto_type = resolve_compute_type("cuda", None)
    print(f"ctranslate2 {ctranslate2.__version__}, {cuda_devices()} CUDA device(s), {cpu_count()} CPUs")
    print(f"CUDA compute types: {sorted(ctranslate2.get_supported_compute_types('cuda'))}; automatic: {auto_type}")
    print(f"model: random-weight {size}; {n} distinct German sentences; beam 4; max length {args.max_decoding_length}")

    with tempfile.TemporaryDirectory(prefix="bm-gpu-") as tmp:
        tmp_path = Path(tmp)
        os.environ.pop("BABELMILL_MODELS", None)
        t0 = time.perf_counter()
        archive = build_package(tmp_path / "pkg", "de", "en", corpus=seed_sentences(), **size)
        package = install_archive(archive, tmp_path / "models")
        models = tmp_path / "models"
        print(f"built package {archive.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f}s")
        sp = spm.SentencePieceProcessor(model_file=str(package.path / "sentencepiece.model"))
        tokens = sorted(sp.encode(sentences, out_type=str), key=len)

        rows: dict[str, dict] = {"cpu": dict(device="cpu"), "cuda": dict(device="cuda")}
        if args.sweep:
            for compute_type in ("int8_float16", "float16", "bfloat16"):
                for budget in (4096, 8192, 16384, 32768):
                    rows[f"cuda_{compute_type}_{budget}"] = dict(
                        device="cuda", compute_type=compute_type, max_batch_tokens=budget
                    )
        times: dict[str, list[float]] = {name: [] for name in [*rows, "raw_cuda"]}
        texts: dict[str, list[list[str]]] = {name: [] for name in rows}
        kinds: dict[str, str] = {}
        # warm-up: the first CUDA call pays for context creation and kernel loading
        run_stage(models, tmp_path / "warm", sentences[:50], args.max_decoding_length, device="cuda")
        for rep in range(args.repeats):
            order = list(times)
            order = order[rep % len(order) :] + order[: rep % len(order)]
            for name in order:
                if name == "raw_cuda":
                    times[name].append(run_raw(package.path, tokens, args.max_decoding_length, auto_type))
                    continue
                share = sentences[:n_cpu] if name == "cpu" else sentences
                state = tmp_path / f"state-{name}-{rep}"  # empty cache: every row decodes everything
                elapsed, out, kinds[name] = run_stage(models, state, share, args.max_decoding_length, **rows[name])
                times[name].append(elapsed * len(sentences) / len(share))  # scaled to all sentences
                texts[name].append(out)
            print(f"  repetition {rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()), flush=True)

    med = {name: statistics.median(v) for name, v in times.items()}
    for name in times:
        kind = kinds.get(name, f"cuda/{auto_type}, {AUTO_BATCH_TOKENS['cuda']} tokens")
        scaled = " (scaled from its share)" if name == "cpu" and n_cpu < n else ""
        print(f"{name:<26} {kind:<30} {med[name]:8.2f}s  {n / med[name]:9.1f} sentences/s{scaled}")
    repeatable = all(t == texts["cuda"][0] for t in texts["cuda"])
    cpu_texts, gpu_texts = texts["cpu"][0], texts["cuda"][0][: len(texts["cpu"][0])]
    same = sum(a == b for a, b in zip(cpu_texts, gpu_texts, strict=True)) / max(1, len(cpu_texts))
    print(f"cuda output identical on every repetition: {repeatable}")
    print(f"blocks translated alike on CPU (int8) and GPU ({auto_type}): {same:.3f} (random weights; informative)")
    sweep = {k: v for k, v in med.items() if k.startswith("cuda_")}
    best = ""
    if sweep:
        best = f" best_sweep={min(sweep, key=sweep.get)} best_vs_default={med['cuda'] / min(sweep.values()):.2f}"
    print(
        f"RESULT cuda=1 cuda_vs_cpu={med['cpu'] / med['cuda']:.2f} "
        f"fraction_of_ceiling={med['raw_cuda'] / med['cuda']:.3f} "
        f"sents_per_s_cuda={n / med['cuda']:.1f} sents_per_s_cpu={n / med['cpu']:.1f} "
        f"cuda_repeatable={int(repeatable)} cpus={cpu_count()}{best}"
    )


if __name__ == "__main__":
    main()
