"""Dedup benchmark: precision/recall on injected copies, throughput, memory, incremental cost.

Builds a synthetic news corpus from the seeds and the dev data (boilerplate truths, mtdetect
rows, snippet pages): distinct base documents are recombined from a sentence pool with 15% of
words substituted (so two bases share almost no 5-word shingles; checked below), and copies are
injected at known rates:

* exact copies (case, whitespace, quote style, punctuation changed)          5%
* word edits (2% of words substituted, deleted or inserted)                  5%
* reordered paragraphs                                                        5%
* page boilerplate added (1-3 navigation/footer lines)                        5%
* truncation (the first 80-95% of the words kept)                             5%

30% of copies are flagged machine-translated. Documents go straight through ``DedupStage``
(not the whole pipeline). Each measured run is a subprocess so peak RSS is its own.

A copy counts as caught when it ends in the same cluster as its base (whichever of them the
kept-member rule keeps); a duplicate decision is correct when it points into the same family.

Usage: ``python benchmarks/dedup.py [--quick]``; the last line is ``RESULT ...``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from babelmill.dedup.text import normalize_key_text, shingles, tokens  # noqa: E402
from babelmill.document import Document  # noqa: E402
from babelmill.stages.dedup import DedupConfig, DedupStage  # noqa: E402

DEV = ROOT.parent / "shared" / "dev"
SENTENCE_RE = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z„“\"(])")
KINDS = ["base", "exact", "word_edits", "reorder", "boilerplate", "truncate"]
NEAR_KINDS = KINDS[2:]
COPY_RATE = 0.05  # of each copy kind
MT_SHARE = 0.3
SUBSTITUTE = 0.15


# -- corpus ------------------------------------------------------------------------------------
def load_sources() -> tuple[list[str], list[str]]:
    """Sentence pool and page-chrome lines from the seeds and the dev data."""
    sentences: list[str] = []
    chrome: set[str] = set()

    def add_text(text: str) -> None:
        for line in text.splitlines():
            for s in SENTENCE_RE.split(line.strip()):
                if len(s.split()) >= 6:
                    sentences.append(s.strip())

    if DEV.is_dir():
        for truth in sorted((DEV / "boilerplate").glob("*.truth.txt")):
            text = truth.read_text(encoding="utf-8")
            add_text(text)
            page = truth.with_name(truth.name.replace(".truth", "")).read_text(encoding="utf-8")
            for line in page.splitlines():
                line = line.strip()
                if line and line not in text and 1 <= len(line.split()) <= 8:
                    chrome.add(line)
        for row in (DEV / "mtdetect.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            add_text(row.split("\t")[0])
        for page in sorted((DEV / "snippets").glob("*.txt")):
            add_text("\n".join(li for li in page.read_text(encoding="utf-8").splitlines() if len(li.split()) >= 8))
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        add_text(seed.read_text(encoding="utf-8", errors="replace"))
    if len(sentences) < 200:  # no dev data beside the checkout: a vocabulary-only fallback
        rng = random.Random(0)
        vocab = [f"w{i}" for i in range(5000)]
        sentences += [" ".join(rng.choice(vocab) for _ in range(rng.randint(8, 25))) + "." for _ in range(3000)]
    chrome_list = sorted(chrome) or ["Share this article", "Advertisement", "Read more", "Subscribe now"]
    return sorted(set(sentences)), chrome_list


class Corpus:
    """Deterministic, lazily generated corpus; document ``i`` has id ``d{i:07d}``.

    The first ``n_old`` plan entries form the old corpus; entries after it are "new" documents
    (new bases, and copies of old bases: yesterday's stories scraped again).
    """

    def __init__(self, n_old: int, n_new: int = 0, seed: int = 7):
        self.seed = seed
        self.sentences, self.chrome = load_sources()
        self.vocab = sorted({w for s in self.sentences for w in s.split()})
        rng = random.Random(seed)
        self.kind = array("b")
        self.family = array("i")
        n_fam = 0
        for part, n in ((0, n_old), (1, n_new)):
            old_families = n_fam
            plan = []
            n_base = n - int(n * COPY_RATE) * (len(KINDS) - 1)
            for _ in range(n_base):
                plan.append((0, n_fam))
                n_fam += 1
            for k in range(1, len(KINDS)):
                for _ in range(int(n * COPY_RATE)):
                    pool = old_families if part else n_fam
                    plan.append((k, rng.randrange(pool)))
            rng.shuffle(plan)
            for k, f in plan:
                self.kind.append(k)
                self.family.append(f)

    def __len__(self) -> int:
        return len(self.kind)

    def base_paragraphs(self, family: int) -> list[str]:
        rng = random.Random(self.seed * 1_000_003 + family)
        paras = []
        for _ in range(rng.randint(3, 6)):
            words = " ".join(rng.choice(self.sentences) for _ in range(rng.randint(2, 4))).split()
            for i in range(len(words)):
                if rng.random() < SUBSTITUTE:
                    words[i] = rng.choice(self.vocab)
            paras.append(" ".join(words))
        return paras

    def document(self, i: int) -> Document:
        kind, family = KINDS[self.kind[i]], self.family[i]
        paras = self.base_paragraphs(family)
        rng = random.Random(self.seed * 7919 + i)
        origin = {"machine_translated": kind != "base" and rng.random() < MT_SHARE}
        if kind == "exact":
            text = "\n\n".join(paras)
            text = rng.choice([str.upper, str.lower, lambda t: t])(text)
            text = text.replace(" ", rng.choice(["  ", " ", "\u00a0"])).replace(",", rng.choice([",", " ,", ";"]))
            text = text.replace('"', "\u201c") + rng.choice(["", " !", "\n"])
        elif kind == "word_edits":
            words = "\n\n".join(paras).split(" ")
            for j in rng.sample(range(len(words)), max(1, len(words) // 50)):
                op = rng.random()
                words[j] = (
                    rng.choice(self.vocab)
                    if op < 0.5
                    else ("" if op < 0.75 else f"{words[j]} {rng.choice(self.vocab)}")
                )
            text = " ".join(w for w in words if w)
        elif kind == "reorder":
            order = list(range(len(paras)))
            while order == sorted(order):
                rng.shuffle(order)
            text = "\n\n".join(paras[j] for j in order)
        elif kind == "boilerplate":
            head = [rng.choice(self.chrome) for _ in range(rng.randint(0, 2))]
            tail = [rng.choice(self.chrome) for _ in range(rng.randint(1, 2))]
            text = "\n\n".join(head + paras + tail)
        elif kind == "truncate":
            words = "\n\n".join(paras).split(" ")
            text = " ".join(words[: int(len(words) * rng.uniform(0.8, 0.95))])
        else:
            text = "\n\n".join(paras)
        return Document(id=f"d{i:07d}", text=text, origin=origin)

    def docs(self, start: int, stop: int):
        for i in range(start, stop):
            yield self.document(i)


# -- evaluation --------------------------------------------------------------------------------
def run_stage(corpus: Corpus, start: int, stop: int, root: array, state_dir: Path | None, engine: str) -> float:
    """Run the stage over documents [start, stop); fill ``root`` (kept index per doc); stage seconds."""
    ctx = {"state_dir": state_dir} if state_dir else {}
    stage = DedupStage(DedupConfig(engine=engine), context=ctx)
    for d in stage.run(corpus.docs(start, stop)):
        i = int(d.id[1:])
        root[i] = int(d.dedup["duplicate_of"][1:]) if d.dedup.get("duplicate_of") else i
    t = time.perf_counter()
    stage.close()
    stage.commit()  # as the runner does once the corpus is written
    return stage.seconds + time.perf_counter() - t


def score(corpus: Corpus, root: array, docs: range) -> dict[str, float]:
    fam, kind = corpus.family, corpus.kind
    base_of: dict[int, int] = {}
    for i in range(len(corpus)):
        if kind[i] == 0:
            base_of[fam[i]] = i
    flagged = correct = 0
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for i in docs:
        if root[i] != i:
            flagged += 1
            correct += fam[root[i]] == fam[i]
        if kind[i] != 0:
            k = KINDS[kind[i]]
            total[k] += 1
            b = base_of[fam[i]]
            caught[k] += root[i] == root[b] and root[i] >= 0
    near_total = sum(total[k] for k in NEAR_KINDS)
    out = {
        "flagged": flagged,
        "precision": correct / flagged if flagged else 1.0,
        "recall_near": sum(caught[k] for k in NEAR_KINDS) / near_total if near_total else 1.0,
        "recall_exact": caught["exact"] / total["exact"] if total["exact"] else 1.0,
    }
    out.update({f"recall_{k}": caught[k] / total[k] for k in NEAR_KINDS if total[k]})
    return out


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- workers (each in its own process) ---------------------------------------------------------
def worker_scale(n: int, engine: str, incremental: bool = False) -> dict:
    """Dedup ``n`` documents from an empty index; optionally then add 1% and time a full rebuild.

    Times are stage time (``process_batch`` + commit), so generating the corpus is not counted.
    """
    n_new = max(1, n // 100) if incremental else 0
    corpus = Corpus(n, n_new)
    total = len(corpus)
    root = array("i", [-1]) * total
    rss0 = maxrss_mib()
    out: dict = {"n": n}
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        state.mkdir()
        secs = run_stage(corpus, 0, n, root, state, engine)
        out.update(seconds=secs, docs_per_s=n / secs, rss_mib=maxrss_mib(), rss_start_mib=rss0)
        out["index_mib"] = sum(f.stat().st_size for f in state.iterdir()) / 2**20
        out.update(score(corpus, root, range(n)))
        if incremental:
            t_inc = run_stage(corpus, n, total, root, state, engine)
            inc = score(corpus, root, range(n, total))
            out.update(compare_loading(state / "dedup.sqlite", list(corpus.docs(n, min(total, n + 100)))))
            rebuild = Path(tmp) / "rebuild"
            rebuild.mkdir()
            root2 = array("i", [-1]) * total
            t_rebuild = run_stage(corpus, 0, total, root2, rebuild, engine)
            out.update(
                n_new=n_new,
                t_incremental=t_inc,
                t_rebuild=t_rebuild,
                ratio=t_inc / t_rebuild,
                inc_precision=inc["precision"],
                inc_recall_near=inc["recall_near"],
                # a rebuild decides old and new documents of one batch together and may keep a new
                # copy that outranks the old one; incrementally the old one stays (by design)
                decisions_differing=sum(1 for i in range(n, total) if root2[i] != root[i]),
            )
    return out


def compare_loading(path: Path, probe: list[Document]) -> dict:
    """Open the SQLite index and query 100 docs vs rebuilding an in-memory datasketch LSH."""
    import numpy as np
    from datasketch import MinHash, MinHashLSH

    from babelmill.dedup import DedupIndex, IndexParams, MinHasher

    cfg = DedupConfig()
    hasher = MinHasher(cfg.num_perm, cfg.seed, cfg.engine)
    sigs = [hasher.signature(shingles(tokens(normalize_key_text(d.text)), cfg.shingle_size)) for d in probe]
    t = time.perf_counter()
    index = DedupIndex(path, IndexParams())
    for s in sigs:
        index.find_near(s, cfg.threshold)
    t_sqlite = time.perf_counter() - t
    t = time.perf_counter()
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(cfg.bands, cfg.rows))
    for doc_id, blob in index.db.execute("SELECT id, sig FROM docs"):
        values = np.frombuffer(blob, dtype=np.uint32).astype(np.uint64)
        lsh.insert(
            doc_id, MinHash(num_perm=cfg.num_perm, hashvalues=values, scheme="affine32"), check_duplication=False
        )
    for s in sigs:
        lsh.query(MinHash(num_perm=cfg.num_perm, hashvalues=s.astype(np.uint64), scheme="affine32"))
    t_memory = time.perf_counter() - t
    index.close()
    return {"t_open_query_sqlite": t_sqlite, "t_build_query_memory_lsh": t_memory}


def worker_engines(n: int) -> dict:
    """Signature throughput and estimate error of rensa vs datasketch on the same shingles."""
    import numpy as np

    from babelmill.dedup import MinHasher, estimated_jaccard
    from babelmill.dedup.text import jaccard

    corpus = Corpus(n)
    sets = [shingles(tokens(normalize_key_text(d.text)), 5) for d in corpus.docs(0, n)]
    out = {}
    sigs = {}
    for engine in ("datasketch", "rensa"):
        h = MinHasher(128, 1, engine)
        t = time.perf_counter()
        sigs[engine] = [h.signature(s) for s in sets]
        out[f"{engine}_sig_per_s"] = n / (time.perf_counter() - t)
    base_of = {corpus.family[i]: i for i in range(n) if corpus.kind[i] == 0}
    errs: dict[str, list[float]] = {"datasketch": [], "rensa": []}
    for i in range(n):
        if corpus.kind[i] != 0:
            b = base_of[corpus.family[i]]
            true = jaccard(sets[i], sets[b])
            for e in errs:
                errs[e].append(abs(estimated_jaccard(sigs[e][i], sigs[e][b]) - true))
    for e, v in errs.items():
        out[f"{e}_mean_abs_err"] = float(np.mean(v))
    return out


def worker_distinct(n: int) -> dict:
    """Max true Jaccard between base documents (all pairs sharing a shingle, via inverted index)."""
    corpus = Corpus(n)
    bases = [i for i in range(n) if corpus.kind[i] == 0]
    sets = [set(shingles(tokens(normalize_key_text(corpus.document(i).text)), 5)) for i in bases]
    postings: dict[str, list[int]] = {}
    for j, s in enumerate(sets):
        for sh in s:
            postings.setdefault(sh, []).append(j)
    shared: Counter[tuple[int, int]] = Counter()
    for docs in postings.values():
        for a in range(len(docs)):
            for b in range(a + 1, len(docs)):
                shared[docs[a], docs[b]] += 1
    best = max((c / (len(sets[a]) + len(sets[b]) - c) for (a, b), c in shared.items()), default=0.0)
    return {"bases": len(bases), "pairs_sharing_a_shingle": len(shared), "max_base_jaccard": best}


WORKERS = {
    "scale": worker_scale,
    "engines": worker_engines,
    "distinct": worker_distinct,
}


def spawn(name: str, *args) -> dict:
    cmd = [sys.executable, __file__, "--worker", json.dumps([name, *args])]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=True, env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2k and 10k documents (< 1 minute)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, *wargs = json.loads(args.worker)
        print(json.dumps(WORKERS[name](*wargs)))
        return
    sizes = [2_000, 10_000] if args.quick else [10_000, 100_000]
    t0 = time.perf_counter()
    d = spawn("distinct", 2_000 if args.quick else 5_000)
    print(
        f"base documents distinct: {d['bases']} bases, {d['pairs_sharing_a_shingle']} pairs share a shingle, "
        f"max Jaccard {d['max_base_jaccard']:.3f}"
    )
    e = spawn("engines", 500 if args.quick else 2_000)
    print(
        f"signatures/s: rensa {e['rensa_sig_per_s']:.0f} vs datasketch {e['datasketch_sig_per_s']:.0f} "
        f"({e['rensa_sig_per_s'] / e['datasketch_sig_per_s']:.0f}x); mean |est - true Jaccard| on copy pairs: "
        f"rensa {e['rensa_mean_abs_err']:.3f}, datasketch {e['datasketch_mean_abs_err']:.3f}"
    )
    print(
        f"{'docs':>8} {'engine':>10} {'docs/s':>8} {'prec':>6} {'rec_near':>8} {'rec_exact':>9} "
        f"{'edits':>6} {'reord':>6} {'boiler':>6} {'trunc':>6} {'rss MiB':>8} {'index MiB':>9}"
    )
    rows = []
    for n, engine in [(sizes[0], "datasketch")] + [(n, "rensa") for n in sizes]:
        r = spawn("scale", n, engine, n == sizes[-1] and engine == "rensa")
        rows.append((engine, r))
        print(
            f"{n:>8} {engine:>10} {r['docs_per_s']:>8.0f} {r['precision']:>6.4f} {r['recall_near']:>8.4f} "
            f"{r['recall_exact']:>9.4f} {r['recall_word_edits']:>6.3f} {r['recall_reorder']:>6.3f} "
            f"{r['recall_boilerplate']:>6.3f} {r['recall_truncate']:>6.3f} {r['rss_mib']:>8.1f} "
            f"{r['index_mib']:>9.1f}"
        )
    inc = rows[-1][1]
    print(
        f"incremental: +{inc['n_new']} docs onto {inc['n']}: {inc['t_incremental']:.2f}s vs full rebuild "
        f"{inc['t_rebuild']:.2f}s -> ratio {inc['ratio']:.4f} (precision {inc['inc_precision']:.4f}, "
        f"near recall {inc['inc_recall_near']:.4f} on the new documents; "
        f"{inc['decisions_differing']} of them decided differently by the rebuild)"
    )
    print(
        f"loading: open SQLite index + 100 queries {inc['t_open_query_sqlite'] * 1000:.1f} ms vs rebuilding an "
        f"in-memory datasketch LSH of {inc['n']} signatures + 100 queries {inc['t_build_query_memory_lsh']:.2f} s"
    )
    main_rows = [r for eng, r in rows if eng == "rensa"]
    big = main_rows[-1]
    flagged = sum(r["flagged"] for r in main_rows)
    precision = sum(r["precision"] * r["flagged"] for r in main_rows) / flagged
    recall = min(r["recall_near"] for r in main_rows)
    print(
        f"peak RSS {main_rows[0]['rss_mib']:.0f} MiB at {main_rows[0]['n']} docs vs {big['rss_mib']:.0f} MiB at "
        f"{big['n']} docs; total benchmark {time.perf_counter() - t0:.1f}s"
    )
    print(
        f"RESULT precision={precision:.4f} recall={recall:.4f} incremental_cost_ratio={inc['ratio']:.4f} "
        f"docs_per_s={big['docs_per_s']:.0f}"
    )


if __name__ == "__main__":
    main()
