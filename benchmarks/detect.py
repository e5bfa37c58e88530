"""Language-id and machine-translation-origin benchmark for the detect stage.

Usage::

    .venv/bin/python benchmarks/detect.py [--quick] [--dev ../shared/dev]

1. Language id on ``langid.tsv`` (no context: each row alone), per kind (word/pair/sentence)
   and per label (de/en/zh/other, where the distractors nl/sv/da/fr/ja count as "other"):
   plain langdetect with ``DetectorFactory.seed = 0`` (the baseline) vs babelmill's
   :class:`~babelmill.detect.langid.LanguageIdentifier` (script rules + lingua + seeded
   langdetect), side by side in the same run. Single words are inherently ambiguous; in the
   pipeline the surrounding blocks decide them (see babelmill.detect.context).
2. Context: every ``word`` row placed between two sentences of its own language (a different
   row each), run through the stage's document logic, scored on the word block.
3. Machine-translated-from-Chinese classifier (see ``benchmarks/train_mtdetect.py``): grouped
   nested cross-validation on ``mtdetect-large.tsv`` (a source document never on both sides;
   calibration and threshold from the training folds only), per chunk and per pseudo-document;
   the shipped model on ``mtdetect.tsv`` (WMT22, never trained on); the bag-of-words baseline
   (word 1-2-gram tf-idf + logistic regression) trained and scored on the same folds and year;
   confounds (China-topic words masked, chunks mentioning China, chunk length); native English
   pages (``boilerplate/`` and ``boilerplate2/`` English, article text and whole page dump)
   through the whole document logic (article text of every page, whole dump of every fifth):
   ``native_fp_rate`` is the larger of the two flagged shares.
4. Speed: blocks/s of the baseline and of babelmill's identifier, and of the whole stage
   logic (context + origin) over the seeds.

``--quick`` uses every sixth langid row, every sixth page dump, one English page in ten and
3 outer / 2 inner folds (about a minute on one core).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_mtdetect as mtt  # noqa: E402

from babelmill.detect.detector import DetectConfig, DocumentDetector  # noqa: E402
from babelmill.detect.langid import LanguageIdentifier, group_of  # noqa: E402

KINDS = ("word", "pair", "sentence")
# the language set before it was trimmed (benchmarked side by side for load time and memory)
OLD_LANGUAGES = ("de", "en", "zh", "nl", "sv", "da", "nb", "fr", "es", "it", "pt", "pl", "tr", "ja", "ko", "ru")

_LOAD_PROBE = """
import resource, sys, time
sys.path.insert(0, {src!r})
t = time.perf_counter()
from babelmill.detect.langid import _LinguaModel
langs = tuple(sorted(set({langs!r}) | {{"de", "en", "zh"}}))
ok = _LinguaModel.probabilities("The house", langs, {low!r}) is not None  # ASCII: every Latin-script model loads
print(time.perf_counter() - t if ok else -1.0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def lingua_load(languages: tuple[str, ...], low: bool = False) -> tuple[float, float]:
    """Seconds and peak MB of a fresh process importing lingua and loading the models of ``languages``."""
    import subprocess

    code = _LOAD_PROBE.format(src=str(ROOT / "src"), langs=tuple(languages), low=low)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


GROUPS = ("de", "en", "zh", "other")


def baseline_detect():
    """Plain langdetect as most code uses it: global seed 0, ``detect()`` per text."""
    import langdetect
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0

    def detect(text: str) -> str:
        try:
            return group_of(langdetect.detect(text))
        except langdetect.LangDetectException:
            return "other"

    return detect


def accuracy_table(rows, predict) -> tuple[dict[str, float], float]:
    for text, _, _ in rows[:: max(1, len(rows) // 40)]:  # warm up: models load lazily per language
        predict(text)
    hit: Counter[str] = Counter()
    tot: Counter[str] = Counter()
    start = time.perf_counter()
    for text, label, kind in rows:
        ok = predict(text) == group_of(label)
        for key in (kind, group_of(label), "all"):
            hit[key] += ok
            tot[key] += 1
    secs = time.perf_counter() - start
    return {k: hit[k] / tot[k] for k in tot}, len(rows) / max(secs, 1e-9)


def context_accuracy(rows, detector: DocumentDetector) -> dict[str, float]:
    """Word rows between two same-language sentences, judged by the document logic."""
    sentences = defaultdict(list)
    for text, label, kind in rows:
        if kind == "sentence":
            sentences[label].append(text)
    hit: Counter[str] = Counter()
    tot: Counter[str] = Counter()
    for i, (text, label, _kind) in enumerate(r for r in rows if r[2] == "word"):
        pool = sentences[label]
        if len(pool) < 2:
            continue
        doc = [pool[i % len(pool)], text, pool[(i + 1) % len(pool)]]
        decisions, _ = detector.languages(doc)
        ok = decisions[1].lang == group_of(label)
        for key in (group_of(label), "all"):
            hit[key] += ok
            tot[key] += 1
    return {k: hit[k] / tot[k] for k in tot}


def bow_baseline(train_texts, train_y, test_texts):
    """The baseline: word 1-2-gram tf-idf, class-balanced logistic regression, default threshold."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    lr = LogisticRegression(class_weight="balanced", max_iter=2000).fit(vec.fit_transform(train_texts), train_y)
    return lr.decision_function(vec.transform(test_texts))


def english_pages(dev: Path, quick: bool, ident) -> list[tuple[str, list[str], list[str]]]:
    """(name, article paragraphs, whole-page lines) of native English pages with a human-annotated
    article text: ``boilerplate/`` (English ones) and ``boilerplate2/`` (``lang=en``)."""
    pages = []
    for path in sorted((dev / "boilerplate").glob("*.truth.txt")):
        paras = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        if paras and ident.identify(" ".join(paras)[:2000]).lang == "en":
            dump = path.with_name(path.name.replace(".truth", ""))
            pages.append((f"boilerplate/{path.name}", paras, dump.read_text(encoding="utf-8").splitlines()))
    manifest = dev / "boilerplate2" / "manifest.tsv"
    if manifest.exists():
        ids = [ln.split("\t") for ln in manifest.read_text(encoding="utf-8").splitlines()[1:]]
        ids = [row[0] for row in ids if row[5] == "en"]
        for pid in ids[::10] if quick else ids:
            truth = (dev / "boilerplate2" / f"{pid}.truth.txt").read_text(encoding="utf-8")
            dump = (dev / "boilerplate2" / f"{pid}.txt").read_text(encoding="utf-8")
            paras = [p.strip() for p in truth.split("\n\n") if p.strip()]
            pages.append((f"boilerplate2/{pid}", paras, dump.splitlines()))
    return pages


def mt_origin_section(args, detector: DocumentDetector, ident) -> dict[str, float]:
    """Machine-translated-from-Chinese: chunks (grouped nested CV, other year), documents, confounds."""
    from babelmill.detect.mtfeatures import TOPIC_WORDS
    from babelmill.detect.mtmodel import MTClassifier

    rows = mtt.load_rows(args.dev / "mtdetect-large.tsv")
    other = mtt.load_rows(args.dev / "mtdetect.tsv")
    y = np.array([r.positive for r in rows])
    oy = np.array([r.positive for r in other])
    folds, inner = (3, 2) if args.quick else (mtt.FOLDS, mtt.INNER_FOLDS)
    t0 = time.perf_counter()
    counts = mtt.featurize_all(rows)
    nested = mtt.nested_grouped_cv(rows, counts, y, folds, inner, seed=0)
    ch, docs = nested["chunk"], nested["document"]
    print(
        f"MT-from-Chinese classifier on mtdetect-large.tsv ({len(rows)} chunks, {len({r.group for r in rows})} "
        f"source documents), grouped {folds}-fold CV, calibration and threshold from an inner {inner}-fold CV "
        f"of each training part ({time.perf_counter() - t0:.0f} s):"
    )
    print(
        f"  per chunk: precision={ch['precision']:.3f} recall={ch['recall']:.3f} f1={ch['f1']:.3f} auc={ch['auc']:.3f} "
        f"native_en_fpr={ch['native_en_fpr']:.3f} mt_de_fpr={ch['mt_de_fpr']:.3f}"
    )
    print(
        f"  per pseudo-document (one system's chunks of one source document, {docs['n']}): "
        f"precision={docs['precision']:.3f} recall={docs['recall']:.3f} f1={docs['f1']:.3f} "
        f"mt_de_fpr={docs['mt_de_fpr']:.3f}; native English source documents flagged: "
        f"{docs['native_document_fpr']:.3f} of {docs['native_documents']}"
    )
    # the bag-of-words baseline on the same folds and the same other year
    texts = [r.text for r in rows]
    fold = mtt.fold_of_groups([r.group for r in rows], folds, 0)
    bz = np.zeros(len(rows))
    for k in range(folds):
        tr = [i for i, r in enumerate(rows) if fold[r.group] != k]
        te = [i for i, r in enumerate(rows) if fold[r.group] == k]
        bz[te] = bow_baseline([texts[i] for i in tr], y[tr], [texts[i] for i in te])
    boz = bow_baseline(texts, y, [r.text for r in other])
    bow_cv, bow_other = mtt.f1_at(y, bz >= 0), mtt.f1_at(oy, boz >= 0)
    bow_auc, bow_auc_other = mtt.auc(bz[y], bz[~y]), mtt.auc(boz[oy], boz[~oy])
    print(
        f"  baseline (word 1-2-gram tf-idf + logistic regression, same folds): f1={bow_cv:.3f} auc={bow_auc:.3f}; "
        f"other year f1={bow_other:.3f} auc={bow_auc_other:.3f}"
    )

    # the shipped model (trained on all of mtdetect-large.tsv) on the other year, never trained on
    model = MTClassifier.load()
    thr = model.threshold_logodds(document=False)
    oz = np.array([model.calibrated_logodds(model.logit(r.text)) for r in other])
    olab = np.array([r.label for r in other])
    o = mtt.summary(oy, oz >= thr, oz, olab)
    print(
        f"shipped model on mtdetect.tsv (WMT22, other year, {len(other)} chunks): precision={o['precision']:.3f} "
        f"recall={o['recall']:.3f} f1={o['f1']:.3f} auc={o['auc']:.3f} native_en_fpr={o['native_en_fpr']:.3f} "
        f"mt_de_fpr={o['mt_de_fpr']:.3f}"
    )
    # confounds: topic words masked in the text; chunks that mention China vs those that do not; length
    topic = re.compile(r"\b(" + "|".join(sorted(TOPIC_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
    mz = np.array([model.calibrated_logodds(model.logit(topic.sub("Xyz", r.text))) for r in other])
    mentions = np.array([bool(topic.search(r.text)) for r in rows + other])
    allz = np.concatenate([nested["calibrated_logodds"], oz])
    ally = np.concatenate([y, oy])
    pred = np.concatenate([nested["chunk_pred"], oz >= thr])
    neg_m, neg_n = ~ally & mentions, ~ally & ~mentions
    pos_m, pos_n = ally & mentions, ally & ~mentions
    print(
        f"  confounds: other year with China-topic words masked in the text f1={mtt.f1_at(oy, mz >= thr):.3f} "
        f"auc={mtt.auc(mz[oy], mz[~oy]):.3f}; held-out chunks (CV + other year) that mention China: "
        f"negatives flagged {pred[neg_m].mean():.3f} (n={neg_m.sum()}) vs {pred[neg_n].mean():.3f} without "
        f"(n={neg_n.sum()}); mt_zh recall {pred[pos_m].mean():.3f} (n={pos_m.sum()}) vs {pred[pos_n].mean():.3f} "
        f"(n={pos_n.sum()})"
    )
    words = np.array([len(r.text.split()) for r in rows + other])
    wps = np.array([len(r.text.split()) / max(1, len(re.split(r"(?<=[.!?])\s+", r.text))) for r in rows + other])
    band = (wps > 18) & (wps < 28)
    print(
        f"  length: corr(score, chunk words) within mt_zh {np.corrcoef(allz[ally], words[ally])[0, 1]:.2f}, "
        f"within others {np.corrcoef(allz[~ally], words[~ally])[0, 1]:.2f}; where words/sentence is 18-28 "
        f"({band.sum()} chunks): f1={mtt.f1_at(ally[band], pred[band]):.3f} "
        f"auc={mtt.auc(allz[band & ally], allz[band & ~ally]):.3f}"
    )
    # native English documents through the whole document logic (markers + classifier)
    pages = english_pages(args.dev, args.quick, ident)
    flagged_prose, flagged_page, dumps, shown = 0, 0, 0, []
    for i, (name, paras, dump) in enumerate(pages):
        a = detector.detect(paras).origin
        flagged_prose += a["machine_translated"]
        if a["machine_translated"] and len(shown) < 10:
            shown.append(f"    {name} (article text): {'; '.join(a['evidence'])}")
        if i % 5:  # whole dumps are ~10x the lines: every fifth page
            continue
        b = detector.detect([ln.strip() for ln in dump if ln.strip()]).origin
        dumps += 1
        flagged_page += b["machine_translated"]
        if b["machine_translated"] and len(shown) < 10:
            shown.append(f"    {name} (whole page): {'; '.join(b['evidence'])}")
    n = max(len(pages), 1)
    print(
        f"native English pages (boilerplate/ and boilerplate2/ English, human article text; 1 in 10 with --quick): "
        f"{flagged_prose}/{len(pages)} flagged on the article text, {flagged_page}/{dumps} on the whole page "
        f"dump (navigation and all; every fifth page)"
    )
    print("\n".join(shown))
    return {
        "f1_cv": ch["f1"],
        "auc_cv": ch["auc"],
        "f1_docs": docs["f1"],
        "f1_other": o["f1"],
        "auc_other": o["auc"],
        "native_fp": max(flagged_prose / n, flagged_page / max(dumps, 1)),
        "native_fp_pseudo": docs["native_document_fpr"],
        "bow_f1_cv": bow_cv,
        "bow_f1_other": bow_other,
        "bow_auc_cv": bow_auc,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="every sixth langid row and page dump, every other news page (< 1 minute)"
    )
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "dev")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from babelmill.detect.langid import DEFAULT_LANGUAGES

    old_load, old_mb = lingua_load(OLD_LANGUAGES)
    new_load, new_mb = lingua_load(DEFAULT_LANGUAGES)
    low_load, low_mb = lingua_load(DEFAULT_LANGUAGES, low=True)
    print(
        f"lingua load in a fresh process (import + models for ASCII text): {len(OLD_LANGUAGES)} languages "
        f"{old_load:.2f} s / {old_mb:.0f} MB peak; the {len(DEFAULT_LANGUAGES)} default languages "
        f"{new_load:.2f} s / {new_mb:.0f} MB peak; low-accuracy mode {low_load:.2f} s / {low_mb:.0f} MB peak"
    )

    lines = (args.dev / "langid.tsv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [tuple(line.split("\t")) for line in lines]
    if args.quick:
        rows = rows[::6]
    ident = LanguageIdentifier()
    base_acc, base_speed = accuracy_table(rows, baseline_detect())
    ours_acc, ours_speed = accuracy_table(rows, lambda t: ident.identify(t).lang or "other")
    low_ident = LanguageIdentifier(lingua_low_accuracy=True)
    low_acc, low_speed = accuracy_table(rows, lambda t: low_ident.identify(t).lang or "other")

    print(f"language id on {len(rows)} langid.tsv rows (each alone, no context); detector: {ident.name}")
    print(f"{'':12s} {'langdetect':>10s} {'babelmill':>10s} {'low-acc.':>10s}")
    for key in (*KINDS, *GROUPS, "all"):
        print(f"{key:12s} {base_acc.get(key, 0):10.3f} {ours_acc.get(key, 0):10.3f} {low_acc.get(key, 0):10.3f}")
    print(f"{'blocks/s':12s} {base_speed:10.0f} {ours_speed:10.0f} {low_speed:10.0f}")

    detector = DocumentDetector(DetectConfig())
    ctx = context_accuracy(rows, detector)
    print("single words between two sentences of their language (stage context logic):")
    print("  " + "  ".join(f"{k}={ctx.get(k, 0):.3f}" for k in (*GROUPS, "all")))

    mt = mt_origin_section(args, detector, ident)

    # whole raw page dumps (navigation and all, one block per line): document language, and how
    # many lines of the article text (the "with" snippets) get the page's language
    import json

    pages_ok = lines_ok = lines_n = base_ok = 0
    base = baseline_detect()
    snippet_pages = sorted((args.dev / "snippets").glob("*.json"))
    if args.quick:
        snippet_pages = snippet_pages[::6]
    for meta_path in snippet_pages:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        lines = [ln.strip() for ln in meta_path.with_suffix(".txt").read_text(encoding="utf-8").splitlines()]
        lines = [ln for ln in lines if ln]
        res = detector.detect(lines)
        pages_ok += res.origin["language"] == meta["lang"]
        keep = [" ".join(w.split()) for w in meta.get("with", [])]
        for line, d in zip(lines, res.decisions, strict=True):
            if any(k and k in " ".join(line.split()) for k in keep):
                lines_n += 1
                lines_ok += d.lang == meta["lang"]
                base_ok += base(line) == meta["lang"]
    print(
        f"raw page dumps (snippets/): document language right on {pages_ok}/{len(snippet_pages)} pages; "
        f"article lines in the page language: babelmill {lines_ok}/{lines_n}, langdetect {base_ok}/{lines_n}"
    )

    seeds = sorted(glob.glob(str(ROOT / "seeds" / "*.txt")))
    docs = [[ln.strip() for ln in Path(p).read_text(encoding="utf-8").splitlines() if ln.strip()] for p in seeds]
    nblocks = sum(len(d) for d in docs)
    start = time.perf_counter()
    for _ in range(3):  # the seeds are small: repeat for a steadier figure
        flags = [detector.detect(d).origin for d in docs]
    secs = (time.perf_counter() - start) / 3
    low_detector = DocumentDetector(DetectConfig(lingua_low_accuracy=True))
    low_flags = [low_detector.detect(d).origin for d in docs]  # warm-up and agreement check
    start = time.perf_counter()
    for _ in range(3):
        low_flags = [low_detector.detect(d).origin for d in docs]
    low_secs = (time.perf_counter() - start) / 3
    same = sum((a["language"], a["machine_translated"]) == (b["language"], b["machine_translated"])
               for a, b in zip(flags, low_flags, strict=True))  # fmt: skip
    print(
        f"whole detect logic over {len(docs)} seeds ({nblocks} blocks): {nblocks / secs:.0f} blocks/s; "
        f"low-accuracy mode {nblocks / low_secs:.0f} blocks/s, same decision on {same}/{len(docs)} seeds"
    )
    for p, o in zip(seeds, flags, strict=True):
        print(f"  {Path(p).name}: {o['language']} mt={o['machine_translated']} score={o['mt_score']:.3f}")

    print(
        f"RESULT langid_acc={ours_acc['all']:.4f} langid_sentence_acc={ours_acc['sentence']:.4f} "
        f"baseline_acc={base_acc['all']:.4f} blocks_per_s={nblocks / secs:.0f} langid_blocks_per_s={ours_speed:.0f} "
        f"lingua_load_s={new_load:.2f} "
        f"mt_zh_f1_grouped_cv={mt['f1_cv']:.4f} mt_zh_f1_other_year={mt['f1_other']:.4f} "
        f"mt_zh_auc={mt['auc_cv']:.4f} mt_zh_auc_other_year={mt['auc_other']:.4f} "
        f"native_fp_rate={mt['native_fp']:.4f} native_fp_rate_pseudo_documents={mt['native_fp_pseudo']:.4f} "
        f"mt_zh_f1_documents={mt['f1_docs']:.4f} baseline_bow_f1={mt['bow_f1_cv']:.4f} "
        f"baseline_bow_f1_other_year={mt['bow_f1_other']:.4f} baseline_bow_auc={mt['bow_auc_cv']:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
