"""Word-frequency and sentence-level features for the MT-from-Chinese detector, beside the shipped recipe.

Usage::

    .venv/bin/python benchmarks/mtdetect_frequency.py [--quick] [--seeds 0 1]

The model card's eighth round (``src/babelmill/data/mtdetect.md``). Same out-of-fold harness as
``benchmarks/mtdetect_domains.py``: 5 folds grouped by source document over
``mtdetect-large.tsv``, C = 32, social weight 0.3, cut at the pooled best F1 of each variant's
own out-of-fold scores; figures: pooled CV F1 / AUC, news-chunk F1 / AUC, native and German-origin
news chunks flagged, and WMT22 (``mtdetect.tsv``, never trained on) scored by the same recipe
fitted on all rows at that cut. Variants (``+`` adds a block to the shipped three, scale 1):

* ``+freq``: a *frequency shape* block: hashed 1-4-grams of the text where a function word or
  punctuation stays itself, a number is ``N`` and every other word is its English Zipf band in
  half-Zipf steps (``wordfreq``), with a capital flag (``C9`` / ``z11``); grams with a
  China-topic word are left out, as in the word block;
* ``+freq_table``: the same from a compact table (the 50,000 most frequent English words and
  their bands, the rest band 0), to see whether the 57 MB package could be replaced;
* ``freq_for_shapes``: the frequency block in place of the shape block;
* ``rare_words``: the word block with every word under Zipf 3 replaced by its band (names and
  rare words as ``_z2_``), in place of the word block;
* ``rare_words+freq_table_for_shapes``: both of the last two (the table's bands);
* ``+web_native``: not a feature: the shipped recipe with more native news in training, the
  article texts (human-annotated, ``boilerplate2/``, ``lang=en``) of every other site, up to 3
  chunks of about 80 words per page as ``native_en`` (weight 1), in every training fold; scored
  on the same WMT chunks only (skipped when ``boilerplate2/`` is absent);
* ``stack_logit`` / ``stack_freq`` / ``stack_sentence``: a logistic regression on the shipped
  out-of-fold logit, alone (the reference for the two others) or with 9 standardised
  frequency statistics (mean and 10/25/50% quantiles of content words' Zipf, shares under Zipf
  3 and 4 and not listed, Guiraud's type/token ratio, type/token ratio) or 15 sentence-level ones
  (sentence length mean / sd / coefficient of variation / range, commas and clauses per sentence
  mean / sd, share of sentences opening with a connective, a subject pronoun or ``the``, repeated
  content words, content-word overlap of neighbouring sentences, first/second person rate,
  quotation marks per sentence), fitted out of fold on the same folds.

Per variant it prints the paired per-fold change of CV F1 and news F1 against the shipped recipe
(mean and spread over the folds) beside the shipped recipe's fold-to-fold spread. The frequency
variants need ``wordfreq`` (``pip install wordfreq``; data CC BY-SA 4.0): without it they are
skipped with a line saying so and the rest runs. ``--quick``: one fold seed, the shipped recipe,
``+freq`` and ``stack_sentence`` (under a minute). Nothing is written. Ends with ``RESULT``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

import train_mtdetect as M  # noqa: E402

from babelmill.detect import mtfeatures as F  # noqa: E402

C = 32.0
FOLDS = 5
TABLE_WORDS = 50_000
BAND_WIDTH = 0.5  # Zipf units per band
SHIPPED = ("w", "s", "p")
SCALE = {"p": 0.5}
FITTED: dict[str, tuple[tuple[str, ...], bool]] = {  # name -> (blocks, needs wordfreq)
    "shipped": (SHIPPED, False),
    "+freq": ((*SHIPPED, "f"), True),
    "+freq_table": ((*SHIPPED, "t"), True),
    "freq_for_shapes": (("w", "f", "p"), True),
    "rare_words": (("r", "s", "p"), True),
    "rare_words+freq_table_for_shapes": (("r", "t", "p"), True),
    "+web_native": (SHIPPED, False),
}
STACKED = ("stack_logit", "stack_freq", "stack_sentence")
QUICK = ("shipped", "+freq", "stack_logit", "stack_sentence")


# ---------------------------------------------------------------- word frequency


def zipf_function(table_words: int | None) -> Callable[[str], float] | None:
    """Word -> Zipf frequency (0 when unknown): from ``wordfreq``, or from a table of its
    ``table_words`` most frequent English words; None when ``wordfreq`` is not installed."""
    try:
        from wordfreq import top_n_list, zipf_frequency
    except ImportError:
        return None
    if table_words is None:
        return lru_cache(maxsize=None)(lambda w: zipf_frequency(w, "en"))
    table = {w: zipf_frequency(w, "en") for w in top_n_list("en", table_words)}
    return lambda w: table.get(w, 0.0)


def table_bytes(zipf: Callable[[str], float], table_words: int) -> int:
    """Gzipped size of the compact table (``word<TAB>band`` lines) the pipeline would carry."""
    import gzip

    from wordfreq import top_n_list

    lines = "".join(f"{w}\t{int(zipf(w) / BAND_WIDTH)}\n" for w in top_n_list("en", table_words))
    return len(gzip.compress(lines.encode("utf-8"), compresslevel=9, mtime=0))


def frequency_sequence(text: str, zipf: Callable[[str], float]) -> list[str | None]:
    """Function words and punctuation as themselves, numbers ``N``, other words their Zipf band
    with a capital flag; China-topic words None (their grams are left out)."""
    out: list[str | None] = []
    for tok in F._SEQ_RE.findall(text):
        low = tok.lower()
        if low in F._FW:
            out.append(low)
        elif tok[0].isdigit():
            out.append("N")
        elif tok[0].isalpha():
            word = low.split("'")[0]
            if word in F._TOPIC:
                out.append(None)
            else:
                out.append(("C" if tok[0].isupper() else "z") + str(int(zipf(word) / BAND_WIDTH)))
        else:
            out.append(tok)
    return out


def frequency_counts(text: str, zipf: Callable[[str], float], block: str) -> Counter[int]:
    seq = frequency_sequence(text, zipf)
    grams = [seq[i : i + n] for n in range(1, 5) for i in range(len(seq) - n + 1)]
    return Counter(F.bucket(block, " ".join(g), M.DIM) for g in grams if None not in g)


def rare_word_counts(text: str, zipf: Callable[[str], float]) -> Counter[int]:
    """The word block's 1-2-grams with words under Zipf 3 as their band."""
    seq = []
    for tok in F.word_sequence(text):
        z = zipf(tok.split("'")[0])
        seq.append(tok if tok in ("0", F.TOPIC_MASK) or tok in F._FW or z >= 3.0 else f"_z{int(z)}_")
    grams = F._ngrams(seq, *F.WORD_NGRAMS)
    return Counter(F.bucket("r", g, M.DIM) for g in grams if F.TOPIC_MASK not in g)


# ---------------------------------------------------------------- dense statistics

_SENT = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]?\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
CONNECTIVES = frozenset(
    "however moreover furthermore meanwhile therefore thus also additionally besides so but and then "
    "still in at according with as after since because although while".split()
)
SUBJECTS = frozenset("i we you he she it they this these that there".split())
CLAUSE_WORDS = frozenset("and but or so which who that because while although when if since whereas".split())
PERSON = frozenset("i we you my our me us".split())


def _sentences(text: str) -> tuple[list[str], list[list[str]]]:
    sents = [s for s in _SENT.split(text.strip()) if s.strip()] or [text]
    toks = [[w.lower() for w in _WORD.findall(s)] or ["x"] for s in sents]
    return sents, toks


def frequency_stats(text: str, zipf: Callable[[str], float]) -> list[float]:
    _, toks = _sentences(text)
    words = [w for t in toks for w in t]
    content = [w for w in words if w not in F._FW and w not in F._TOPIC] or ["the"]
    z = np.array([zipf(w) for w in content])
    return [
        float(z.mean()),
        *(float(q) for q in np.quantile(z, [0.1, 0.25, 0.5])),
        float((z < 3).mean()),
        float((z < 4).mean()),
        float((z <= 0).mean()),
        len(set(content)) / len(content) ** 0.5,
        len(set(words)) / len(words),
    ]


def sentence_stats(text: str) -> list[float]:
    sents, toks = _sentences(text)
    n = len(toks)
    lens = np.array([len(t) for t in toks], float)
    commas = np.array([s.count(",") for s in sents], float)
    clauses = np.array(
        [sum(w in CLAUSE_WORDS for w in t) + s.count(",") + s.count(";") for s, t in zip(sents, toks, strict=True)],
        float,
    )
    words = [w for t in toks for w in t]
    content = [w for w in words if w not in F._FW]
    repeated = sum(c - 1 for c in Counter(content).values()) / max(len(content), 1)
    sets = [{w for w in t if w not in F._FW} for t in toks]
    overlap = [len(a & b) / max(len(a | b), 1) for a, b in zip(sets, sets[1:], strict=False)] or [0.0]
    return [
        float(lens.mean()),
        float(lens.std()),
        float(lens.std() / max(lens.mean(), 1.0)),
        float(lens.max() - lens.min()),
        float(commas.mean()),
        float(commas.std()),
        float(clauses.mean()),
        float(clauses.std()),
        sum(t[0] in CONNECTIVES for t in toks) / n,
        sum(t[0] in SUBJECTS for t in toks) / n,
        sum(t[0] == "the" for t in toks) / n,
        repeated,
        float(np.mean(overlap)),
        sum(w in PERSON for w in words) / len(words),
        (text.count('"') + text.count("\u201c")) / n,
    ]


# ---------------------------------------------------------------- harness


def web_native_rows(dev: Path) -> list:
    """Native English news chunks from the article texts of every other ``boilerplate2/`` site."""
    from babelmill.detect.mtmodel import MTClassifier

    manifest = dev / "boilerplate2" / "manifest.tsv"
    if not manifest.is_file():
        return []
    pages = [ln.split("\t") for ln in manifest.read_text(encoding="utf-8").splitlines()[1:]]
    pages = [p for p in pages if p[5] == "en"]
    sites = set(sorted({p[4] for p in pages})[::2])
    out = []
    for p in pages:
        if p[4] not in sites:
            continue
        truth = (dev / "boilerplate2" / f"{p[0]}.truth.txt").read_text(encoding="utf-8")
        paras = [t.strip() for t in truth.split("\n\n") if t.strip()]
        for chunk in MTClassifier.chunks(paras)[:3]:
            if 40 <= len(chunk.split()) <= 140:
                out.append(M.Row(chunk, "native_en", f"web:{p[4]}", "source", "web"))
    return out


def out_of_fold(rows, counts, other_counts, blocks, seed, extra=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(out-of-fold logits, WMT22 logits of the all-rows fit, fold of every row); ``extra``:
    ``(counts, label)`` of chunks added to every training set (weight 1), never scored."""
    y = np.array([r.positive for r in rows])
    w = M.row_weights(rows)
    fold = M.fold_of_groups([r.group for r in rows], FOLDS, seed)
    fid = np.array([fold[r.group] for r in rows])
    ex_counts = [c for c, _ in extra]
    ex_y, ex_w = np.array([lab for _, lab in extra], dtype=bool), np.ones(len(extra))

    def fit(idx):
        cc = [counts[i] for i in idx] + ex_counts
        yy, ww = np.concatenate([y[idx], ex_y]), np.concatenate([w[idx], ex_w])
        return M.fit(cc, yy, C, weights=ww, blocks=blocks, scale=SCALE)[0]

    oof = np.zeros(len(y))
    for k in range(FOLDS):
        tr, te = np.flatnonzero(fid != k), np.flatnonzero(fid == k)
        oof[te] = M.scores(fit(tr), [counts[i] for i in te])
    return oof, M.scores(fit(np.arange(len(y))), other_counts), fid


def stack(rows, oof, other_logits, fid, X, OX) -> tuple[np.ndarray, np.ndarray]:
    """A logistic regression on (logit, standardised ``X``), fitted out of fold on the same folds
    (the all-rows one scores WMT22)."""
    from sklearn.linear_model import LogisticRegression

    y = np.array([r.positive for r in rows])
    w = M.row_weights(rows)

    def design(logits, x, ref):
        if x is None:
            return logits.reshape(-1, 1)
        mu, sd = ref.mean(0), ref.std(0) + 1e-9
        return np.column_stack([logits, (x - mu) / sd])

    def lr(idx):
        Xt = design(oof[idx], None if X is None else X[idx], None if X is None else X[idx])
        return LogisticRegression(C=1.0, max_iter=2000).fit(Xt, y[idx], sample_weight=w[idx])

    out = np.zeros(len(y))
    for k in range(FOLDS):
        tr, te = fid != k, fid == k
        ref = None if X is None else X[tr]
        out[te] = lr(tr).decision_function(design(oof[te], None if X is None else X[te], ref))
    every = np.ones(len(y), dtype=bool)
    return out, lr(every).decision_function(design(other_logits, OX, X))


def figures(rows, other, oof, other_z, fid) -> dict:
    y = np.array([r.positive for r in rows])
    news = np.array([r.domain == "news" for r in rows])
    label = np.array([r.label for r in rows])
    oy = np.array([r.positive for r in other])
    cut = M.best_threshold(oof, y)
    pred = oof >= cut
    return {
        "f1": M.f1_at(y, pred),
        "auc": M.auc(oof[y], oof[~y]),
        "news_f1": M.f1_at(y[news], pred[news]),
        "news_auc": M.auc(oof[news & y], oof[news & ~y]),
        "news_native_flagged": float(pred[news & (label == "native_en")].mean()),
        "news_mt_de_flagged": float(pred[news & (label == "mt_de")].mean()),
        "wmt22_f1": M.f1_at(oy, other_z >= cut),
        "wmt22_auc": M.auc(other_z[oy], other_z[~oy]),
        "folds_f1": [M.f1_at(y[fid == k], pred[fid == k]) for k in range(FOLDS)],
        "folds_news_f1": [M.f1_at(y[(fid == k) & news], pred[(fid == k) & news]) for k in range(FOLDS)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=M.DEFAULT_DATA)
    ap.add_argument("--other-year", type=Path, default=M.DEFAULT_OTHER)
    ap.add_argument("--seeds", type=int, nargs="+", default=None, help="fold seeds (default 0 1; --quick 0)")
    ap.add_argument("--quick", action="store_true", help="one fold seed, shipped, +freq, stack_sentence (< 1 min)")
    args = ap.parse_args()
    if not args.data.is_file() or not args.other_year.is_file():
        sys.exit(f"mtdetect_frequency: dev data not found ({args.data}, {args.other_year})")
    t0 = time.time()
    seeds = args.seeds or ([0] if args.quick else [0, 1])
    rows, other = M.load_rows(args.data), M.load_rows(args.other_year)
    counts, other_counts = M.featurize_all(rows), M.featurize_all(other)
    names = [n for n in (*FITTED, *STACKED) if not args.quick or n in QUICK]
    zipf = zipf_function(None)
    zipf_table = zipf_function(TABLE_WORDS) if "+freq_table" in names else None
    web = web_native_rows(args.data.parent) if "+web_native" in names else []
    if "+web_native" in names and not web:
        print("mtdetect_frequency: boilerplate2/ not found beside the data; skipped +web_native")
        names.remove("+web_native")
    extra = [(c, False) for c in M.featurize_all(web)]
    if web:
        print(f"+web_native: {len(web)} native chunks from {len({r.group for r in web})} sites")
    if zipf is None:
        skipped = [n for n in names if (n in FITTED and FITTED[n][1]) or n == "stack_freq"]
        print(f"mtdetect_frequency: wordfreq is not installed; skipped {', '.join(skipped)} (pip install wordfreq)")
        names = [n for n in names if n not in skipped]
    else:
        for cnt, r in zip([*counts, *other_counts], [*rows, *other], strict=True):
            cnt["f"] = frequency_counts(r.text, zipf, "f")
            if zipf_table is not None:
                cnt["t"] = frequency_counts(r.text, zipf_table, "t")
            cnt["r"] = rare_word_counts(r.text, zipf)
        if zipf_table is not None:
            print(f"compact table: {TABLE_WORDS} words, {table_bytes(zipf, TABLE_WORDS) / 1e3:.0f} kB gzipped")
    dense = {"stack_logit": (None, None), "stack_sentence": None, "stack_freq": None}
    dense["stack_sentence"] = tuple(np.array([sentence_stats(r.text) for r in rs]) for rs in (rows, other))
    if zipf is not None:
        dense["stack_freq"] = tuple(np.array([frequency_stats(r.text, zipf) for r in rs]) for rs in (rows, other))
    results: dict[tuple[int, str], dict] = {}
    for seed in seeds:
        logits = {}
        for name in names:
            if name in FITTED:
                ex = extra if name == "+web_native" else ()
                logits[name] = out_of_fold(rows, counts, other_counts, FITTED[name][0], seed, ex)
            else:
                oof, oz, fid = logits["shipped"]
                s, so = stack(rows, oof, oz, fid, *dense[name])
                logits[name] = (s, so, fid)
            results[(seed, name)] = figures(rows, other, *logits[name])
    keys = [k for k in results[(seeds[0], "shipped")] if not k.startswith("folds")]
    summary: dict[str, dict[str, float]] = {}
    cols = ("f1", "auc", "news_f1", "news_auc", "news_native_flagged", "news_mt_de_flagged", "wmt22_f1", "wmt22_auc")
    heads = ("f1", "auc", "news_f1", "news_auc", "nat_flag", "de_flag", "wmt22_f1", "wmt22_auc")
    heads += ("d_f1/fold", "d_news/fold")
    for seed in seeds:
        base = np.array(results[(seed, "shipped")]["folds_f1"])
        print(f"\nfold seed {seed} (shipped fold F1 sd {base.std(ddof=1):.3f}; d_*: paired change per fold, mean±sd)")
        print(f"{'':34}" + "".join(f"{h:>10}" for h in heads[:-2]) + "".join(f"{h:>14}" for h in heads[-2:]))
        for n in names:
            ref = "stack_logit" if n.startswith("stack_") else "shipped"
            line = f"{n:34}" + "".join(f"{results[(seed, n)][k]:10.3f}" for k in cols)
            for part in ("folds_f1", "folds_news_f1"):
                d = np.array(results[(seed, n)][part]) - np.array(results[(seed, ref)][part])
                line += f"{d.mean():+8.3f}±{d.std(ddof=1):.3f}"
            print(line)
    for n in names:
        ref = "stack_logit" if n.startswith("stack_") else "shipped"
        mean = {k: float(np.mean([results[(s, n)][k] for s in seeds])) for k in keys}
        mean["d_f1"] = mean["f1"] - float(np.mean([results[(s, ref)]["f1"] for s in seeds]))
        mean["d_news_f1"] = mean["news_f1"] - float(np.mean([results[(s, ref)]["news_f1"] for s in seeds]))
        mean["d_wmt22_f1"] = mean["wmt22_f1"] - float(np.mean([results[(s, ref)]["wmt22_f1"] for s in seeds]))
        summary[n] = mean
    spread = float(np.mean([np.std(results[(s, "shipped")]["folds_f1"], ddof=1) for s in seeds]))
    # a variant wins only above the fold spread on CV F1 and news F1, losing WMT22 F1 by <= 0.01
    winners = [
        n
        for n in names
        if n not in ("shipped", "stack_logit")
        and summary[n]["d_f1"] > spread
        and summary[n]["d_news_f1"] > spread
        and summary[n]["d_wmt22_f1"] >= -0.01
    ]
    print(f"\nmean over fold seeds {seeds}; fold spread (sd of the shipped recipe's fold F1) {spread:.3f}")
    print(f"{'':34}{'f1':>8}{'d_f1':>8}{'news_f1':>9}{'d_news':>8}{'wmt22_f1':>9}{'d_wmt22':>8}{'wmt22_auc':>10}")
    for n in names:
        s = summary[n]
        print(
            f"{n:34}{s['f1']:8.3f}{s['d_f1']:+8.3f}{s['news_f1']:9.3f}{s['d_news_f1']:+8.3f}"
            f"{s['wmt22_f1']:9.3f}{s['d_wmt22_f1']:+8.3f}{s['wmt22_auc']:10.3f}"
        )
    figures_out = {"f1_cv": summary["shipped"]["f1"], "news_f1": summary["shipped"]["news_f1"]}
    figures_out["wmt22_f1"] = summary["shipped"]["wmt22_f1"]
    figures_out["fold_sd"] = spread
    for n in names[1:]:
        key = n.lstrip("+").replace("+", "_and_")
        figures_out[f"{key}_f1_cv"] = summary[n]["f1"]
        figures_out[f"{key}_news_f1"] = summary[n]["news_f1"]
        figures_out[f"{key}_wmt22_f1"] = summary[n]["wmt22_f1"]
    figures_out["winners"] = len(winners)
    print(f"variants above the fold spread on CV and news F1 (WMT22 F1 within 0.01): {winners or 'none'}")
    line = " ".join(f"{k}={v}" if k == "winners" else f"{k}={v:.4f}" for k, v in figures_out.items())
    print(f"RESULT {line} seconds={time.time() - t0:.1f}")


if __name__ == "__main__":
    main()
