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
import textwrap
import time
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from babelmill.dedup.text import normalize_key_text, shingles, tokens  # noqa: E402
from babelmill.dedup.verify import Comparison, Rule  # noqa: E402
from babelmill.document import Block, Document  # noqa: E402
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
def run_stage(corpus: Corpus, start: int, stop: int, root: array, state_dir: Path | None, backend: str) -> float:
    """Run the stage over documents [start, stop); fill ``root`` (kept index per doc); stage seconds."""
    ctx = {"state_dir": state_dir} if state_dir else {}
    stage = DedupStage(DedupConfig(backend=backend), context=ctx)
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
def worker_scale(n: int, backend: str, incremental: bool = False) -> dict:
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
        secs = run_stage(corpus, 0, n, root, state, backend)
        out.update(seconds=secs, docs_per_s=n / secs, rss_mib=maxrss_mib(), rss_start_mib=rss0)
        out["index_mib"] = sum(f.stat().st_size for f in state.iterdir()) / 2**20
        out.update(score(corpus, root, range(n)))
        if incremental:
            t_inc = run_stage(corpus, n, total, root, state, backend)
            inc = score(corpus, root, range(n, total))
            out.update(compare_loading(state / "dedup.sqlite", list(corpus.docs(n, min(total, n + 100)))))
            rebuild = Path(tmp) / "rebuild"
            rebuild.mkdir()
            root2 = array("i", [-1]) * total
            t_rebuild = run_stage(corpus, 0, total, root2, rebuild, backend)
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

    from babelmill.dedup import DedupIndex, MinHasher, band_keys

    cfg = DedupConfig()
    stage = DedupStage(cfg)
    hasher = MinHasher(cfg.num_perm, cfg.seed, cfg.backend)
    sigs = [hasher.signature(stage.shingles_of(d)[0]) for d in probe]
    anchors = [shingle_set(stage, d).anchors(cfg.anchor_every) for d in probe]
    t = time.perf_counter()
    index = DedupIndex(path, cfg.index_params())
    for s, a in zip(sigs, anchors, strict=True):
        index.candidates(band_keys(s, cfg.bands, cfg.rows), [], a, cfg.max_candidates, cfg.paragraph_candidate_limit)
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


def worker_backends(n: int) -> dict:
    """Signature throughput and estimate error of rensa vs datasketch on the same shingles."""
    import numpy as np

    from babelmill.dedup import MinHasher, estimated_jaccard
    from babelmill.dedup.text import jaccard

    corpus = Corpus(n)
    sets = [shingles(tokens(normalize_key_text(d.text)), 5) for d in corpus.docs(0, n)]
    out = {}
    sigs = {}
    for backend in ("datasketch", "rensa"):
        h = MinHasher(128, 1, backend)
        t = time.perf_counter()
        sigs[backend] = [h.signature(s) for s in sets]
        out[f"{backend}_sig_per_s"] = n / (time.perf_counter() - t)
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


# -- realistic edits and containment on real prose (boilerplate2 truths) ----------------------
BP2 = DEV / "boilerplate2"
REFERENCE_RATE = 1 / 60  # the syndication edit the targets are stated at: one word in sixty
#: (name, words substituted, paragraphs cut, pairs swapped, chrome lines above and below)
STRENGTHS = [
    ("1%", 0.01, 1, 1, 1),
    ("ref", REFERENCE_RATE, 1, 1, 1),
    ("2%", 0.02, 1, 1, 1),
    ("3%", 0.03, 1, 1, 2),
    ("5%", 0.05, 2, 2, 2),
]
EXCERPTS = [0.6, 0.8]  # share of the article's words kept (a contiguous run)
CJK_RATE = 1 / 40  # characters substituted in CJK copies (about one word in sixty)


@dataclass
class Article:
    key: str
    site: str
    lang: str
    paragraphs: list[str]
    chrome: list[str]


def split_of(site: str) -> str:
    """Calibration or held-out, by site: no site's articles are on both sides."""
    return "calib" if zlib.crc32(site.encode("utf-8")) % 2 == 0 else "held"


def load_articles() -> list[Article]:
    """Articles of boilerplate2 (every language), with the chrome lines of their own page dump."""
    if not (BP2 / "manifest.tsv").exists():
        return []
    out = []
    for row in (BP2 / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        f = row.split("\t")
        truth = (BP2 / f"{f[0]}.truth.txt").read_text(encoding="utf-8")
        paragraphs = [p.strip() for p in truth.split("\n\n") if p.strip()]
        body = set(truth.split())
        chrome = []
        for line in (BP2 / f"{f[0]}.txt").read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if f[5] in ("zh", "ja"):  # no spaces: a short line of the dump that is not in the text
                if 4 <= len(line) <= 30 and line not in truth:
                    chrome.append(line)
            elif line and 2 <= len(line.split()) <= 10 and not set(line.split()) <= body:
                chrome.append(line)
        out.append(Article(f[0], f[4], f[5], paragraphs, chrome[:200]))
    return out


def cjk_articles() -> list[Article]:
    """Chinese and Japanese articles: the 5 CJK pages of boilerplate2 cut into articles of 600+
    characters, and langid's Chinese and Japanese sentences, 10 to an article (5 paragraphs)."""
    pages = [a for a in load_articles() if a.lang in ("zh", "ja")]
    chrome = sorted({c for a in pages for c in a.chrome})
    out = []
    for a in pages:
        chunk: list[str] = []
        for p in a.paragraphs:
            chunk.append(p)
            if sum(map(len, chunk)) >= 600:
                out.append(Article(f"{a.key}c{len(out)}", a.site, a.lang, chunk, a.chrome))
                chunk = []
    rows = [r.split("\t") for r in (DEV / "langid.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    for lang in ("zh", "ja"):
        sents = [r[0] for r in rows if r[1] == lang and r[2] == "sentence"]
        for k in range(0, len(sents) - 9, 10):
            paras = ["".join(sents[k + i : k + i + 2]) for i in range(0, 10, 2)]
            out.append(Article(f"L{lang}{k:03d}", f"langid-{lang}", lang, paras, chrome))
    return out


def _words(paragraphs: list[str]) -> list[list[str]]:
    return [p.split() for p in paragraphs]


def _cjk_units(paragraph: str) -> list[str]:
    return list(paragraph)


def _chrome(art: Article, rng: random.Random, n: int) -> list[str]:
    pool = art.chrome or ["Share this article", "Advertisement", "Read more", "Subscribe now"]
    return [rng.choice(pool) for _ in range(n)]


def _reflow(paragraphs: list[str], rng: random.Random, cjk: bool) -> list[str]:
    """Rewrap paragraphs at another width and merge two neighbours, as a re-typeset copy is."""
    out = list(paragraphs)
    if len(out) >= 4:
        i = rng.randrange(len(out) - 1)
        out[i : i + 2] = [out[i] + ("" if cjk else "\n") + out[i + 1]]
    if cjk:
        return out
    width = rng.randint(55, 90)
    return [textwrap.fill(p, width) if rng.random() < 0.7 else p.replace(" ", rng.choice(["  ", " "])) for p in out]


def edited_copy(
    art: Article,
    rng: random.Random,
    vocab: list[str],
    rate: float,
    cuts: int,
    swaps: int,
    chrome: int,
    cjk: bool = False,
) -> list[str]:
    """A syndicated copy: paragraphs cut and swapped, words substituted, chrome lines, reflowed."""
    paras = list(art.paragraphs)
    for _ in range(cuts):
        if len(paras) >= 3:
            del paras[rng.randrange(len(paras))]
    for _ in range(swaps):
        if len(paras) >= 2:
            i, j = rng.sample(range(len(paras)), 2)
            paras[i], paras[j] = paras[j], paras[i]
    units = [_cjk_units(p) for p in paras] if cjk else _words(paras)
    positions = [(i, j) for i, u in enumerate(units) for j in range(len(u))]
    for i, j in rng.sample(positions, max(1, round(len(positions) * rate))):
        units[i][j] = rng.choice(vocab)
    paras = ["".join(u) if cjk else " ".join(u) for u in units]
    return _chrome(art, rng, chrome) + _reflow(paras, rng, cjk) + _chrome(art, rng, chrome)


def excerpt(art: Article, rng: random.Random, share: float) -> list[str]:
    """A contiguous run of ``share`` of the article's words (paragraph breaks kept), one chrome line each side."""
    words = [(i, w) for i, p in enumerate(_words(art.paragraphs)) for w in p]
    n = max(1, int(len(words) * share + 0.999))
    start = rng.randrange(len(words) - n + 1)
    paras: dict[int, list[str]] = {}
    for i, w in words[start : start + n]:
        paras.setdefault(i, []).append(w)
    return _chrome(art, rng, 1) + [" ".join(p) for p in paras.values()] + _chrome(art, rng, 1)


def embedded(art: Article, filler: Article, rng: random.Random) -> list[str]:
    """The article inside a longer page: another text's paragraphs before and after it."""
    cut = rng.randrange(len(filler.paragraphs) + 1)
    return filler.paragraphs[:cut] + art.paragraphs + filler.paragraphs[cut:]


class Realistic:
    """The realistic scenarios of one split: a corpus of real articles, then new documents against it.

    * The corpus: the split's articles (80%); articles of one site (sites with 2+ articles) all carry
      one long passage of "site" text (a bio or disclaimer of 40-150 words, taken from the other
      split), so distinct articles share long boilerplate-like passages. 20% are held back and
      come as new distinct documents: they must be kept.
    * New documents, each scenario decided as its own later run against the corpus: edited copies
      at each strength, excerpts of 60% and 80%, the article embedded in a longer page (the new
      document contains the kept one), and CJK copies (Chinese and Japanese pages, as blocks).
    """

    def __init__(self, split: str, limit: int | None = None, seed: int = 11):
        arts = load_articles()
        rng = random.Random(seed)
        self.vocab = sorted(
            {w for a in arts if a.lang != "zh" and a.lang != "ja" for p in a.paragraphs for w in p.split()}
        )
        mine = [a for a in arts if split_of(a.site) == split]
        other = [a for a in arts if split_of(a.site) != split]
        latin = [a for a in mine if a.lang not in ("zh", "ja")]
        if limit is not None:
            latin = latin[:limit]
        self.cjk = cjk_articles()  # too few for two splits: the same in both
        self.cjk_vocab = sorted({c for a in self.cjk for p in a.paragraphs for c in p if "\u3040" <= c <= "\u9fff"})
        passages = [p for a in other for p in a.paragraphs if 40 <= len(p.split()) <= 150]
        sites = Counter(a.site for a in latin)
        self.passage = {s: rng.choice(passages) for s in sorted(sites) if sites[s] >= 2}
        held_back = set(rng.sample(range(len(latin)), len(latin) // 5))
        self.corpus = [a for i, a in enumerate(latin) if i not in held_back]
        self.fresh = [a for i, a in enumerate(latin) if i in held_back]
        self.fillers = [a for a in other if len(a.paragraphs) >= 2 and a.lang not in ("zh", "ja")]
        self.seed = seed
        self._family, self.natural_pairs = natural_families(latin)

    def family(self, doc_id: str) -> str:
        """Documents of one family are copies of one article (the data holds a few real ones)."""
        key = doc_id[1:]
        return self._family.get(key, key)

    def base_paragraphs(self, art: Article) -> list[str]:
        passage = self.passage.get(art.site)
        return art.paragraphs + [passage] if passage else list(art.paragraphs)

    def base_docs(self) -> list[Document]:
        docs = [Document(id=f"b{a.key}", text="\n\n".join(self.base_paragraphs(a))) for a in self.corpus]
        docs += [cjk_document(f"b{a.key}", a.paragraphs, a.lang) for a in self.cjk]
        return docs

    def scenarios(self) -> dict[str, list[tuple[Document, str | None]]]:
        """name -> [(new document, id of the corpus document it copies, or None for a distinct one)]."""
        out: dict[str, list[tuple[Document, str | None]]] = {}
        for name, rate, cuts, swaps, chrome in STRENGTHS:
            rng = random.Random(f"{self.seed}{name}")
            out[f"edited_{name}"] = [
                (
                    Document(
                        id=f"e{a.key}", text="\n\n".join(edited_copy(a, rng, self.vocab, rate, cuts, swaps, chrome))
                    ),
                    f"b{a.key}",
                )
                for a in self.corpus
            ]
        for share in EXCERPTS:
            rng = random.Random(f"{self.seed}x{share}")
            out[f"excerpt_{share:.0%}"] = [
                (Document(id=f"x{a.key}", text="\n\n".join(excerpt(a, rng, share))), f"b{a.key}") for a in self.corpus
            ]
        rng = random.Random(f"{self.seed}embed")
        fillers = rng.sample(self.fillers, len(self.fillers))  # a page's other text is its own
        for name, with_passage in (("embedded", False), ("embedded_site", True)):
            out[name] = [
                (Document(id=f"m{a.key}", text="\n\n".join(embedded(a, fillers[i % len(fillers)], rng))), f"b{a.key}")
                for i, a in enumerate(self.corpus)
                if (a.site in self.passage) == with_passage
            ]
        rng = random.Random(f"{self.seed}cjk")
        out["cjk"] = [
            (
                cjk_document(f"c{a.key}", edited_copy(a, rng, self.cjk_vocab, CJK_RATE, 1, 1, 1, cjk=True), a.lang),
                f"b{a.key}",
            )
            for a in self.cjk
        ]
        out["fresh"] = [(Document(id=f"f{a.key}", text="\n\n".join(self.base_paragraphs(a))), None) for a in self.fresh]
        return out


def natural_families(articles: list[Article]) -> tuple[dict[str, str], list]:
    """Articles of the data that are copies of each other already (wire stories on two sites):
    Jaccard >= 0.8 or containment >= 0.9 of their plain texts. Key -> smallest key of its family."""
    from babelmill.dedup import compare

    stage = DedupStage()
    sets = {a.key: shingle_set(stage, Document(id=a.key, text="\n\n".join(a.paragraphs))) for a in articles}
    parent: dict[str, str] = {}

    def root(k: str) -> str:
        while parent.get(k, k) != k:
            k = parent[k]
        return k

    pairs = []
    for a, b in sorted(sharing_pairs(sets)):
        c = compare(sets[a], sets[b])
        if c.jaccard >= 0.8 or (c.containment >= 0.9 and c.smaller >= 25):
            pairs.append((a, b, c.jaccard, c.containment))
            ra, rb = root(a), root(b)
            parent[max(ra, rb)] = min(ra, rb)
    return {k: root(k) for k in parent}, pairs


def cjk_document(doc_id: str, paragraphs: list[str], lang: str) -> Document:
    """A Chinese or Japanese page as ``detect`` leaves it: blocks with their language, pending."""
    blocks = [Block(text=p, lang=lang if any("\u3040" <= c <= "\u9fff" for c in p) else "en") for p in paragraphs]
    for b in blocks:
        b.translation = "pending" if b.lang != "en" else "native"
    return Document(id=doc_id, text="\n\n".join(paragraphs), blocks=blocks)


def decide(stage_cfg: DedupConfig, state: Path, docs: list[Document], commit: bool) -> tuple[dict, float, int]:
    """Run the stage over ``docs`` against the index in ``state``; commit or roll back afterwards."""
    stage = DedupStage(stage_cfg, context={"state_dir": state})
    out = {d.id: (d.status_reason, d.dedup.get("duplicate_of"), d.status_detail) for d in stage.run(docs)}
    stage.close()
    (stage.commit if commit else stage.rollback)()
    if stage._index is not None:
        stage._index.db.close()
    return out, stage.seconds, stage.counters.get("candidates_verified", 0)


def worker_realistic(split: str, limit: int | None, overrides: dict) -> dict:
    """Corpus run, then each scenario as a later run against it; caught/kept per scenario."""
    data = Realistic(split, limit)
    cfg = DedupConfig(**overrides)
    out: dict = {"split": split, "corpus": len(data.corpus) + len(data.cjk), "cjk_articles": len(data.cjk)}
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        base = data.base_docs()
        decisions, secs, cands = decide(cfg, state, base, commit=True)
        merged = [(k, v[1]) for k, v in decisions.items() if v[1]]
        wrong_merges = [(a, b) for a, b in merged if data.family(a) != data.family(b)]
        out["corpus_merged"] = merged  # natural copies in the data, or distinct articles merged
        out["corpus_false"] = wrong_merges
        out["natural_pairs"] = data.natural_pairs
        out["corpus_docs_per_s"] = len(base) / secs
        false_pos = len(wrong_merges)
        flagged = len(merged)
        for name, items in data.scenarios().items():
            decisions, secs, cands = decide(cfg, state, [d for d, _ in items], commit=False)
            caught = wrong = 0
            misses = []
            for d, target in items:
                _, dup_of, _ = decisions[d.id]
                if dup_of is not None:
                    flagged += 1
                    if data.family(dup_of) == data.family(target if target is not None else d.id):
                        caught += target is not None
                    else:
                        wrong += 1
                        misses.append((d.id, dup_of))
                elif target is not None:
                    misses.append((d.id, None))
            false_pos += wrong
            out[name] = {
                "n": len(items),
                "recall": caught / len(items) if target is not None and items else None,
                "false": wrong,
                "kept": sum(1 for d, _ in items if decisions[d.id][1] is None),
                "candidates_per_doc": cands / max(1, len(items)),
                "docs_per_s": len(items) / secs if secs else 0.0,
                "misses": [m for m in misses if m[1]][:10] + [m for m in misses if not m[1]][:10],
            }
        out["flagged"] = flagged
        out["false_positives"] = false_pos
        out["precision"] = 1 - false_pos / flagged if flagged else 1.0
    return out


def shingle_set(stage: DedupStage, doc: Document):
    """The shingles the stage verifies on."""
    return stage.shingles_of(doc)[1]


def sharing_pairs(sets: dict[str, object]) -> set[tuple[str, str]]:
    """Pairs of documents that share at least one shingle (inverted index)."""
    postings: dict[int, list[str]] = {}
    for doc_id, sh in sets.items():
        for h in sh.all.tolist():
            postings.setdefault(h, []).append(doc_id)
    pairs = set()
    for docs in postings.values():
        if len(docs) < 200:
            for i, a in enumerate(docs):
                for b in docs[i + 1 :]:
                    pairs.add((a, b) if a < b else (b, a))
    return pairs


def worker_pairs(split: str, limit: int | None, overrides: dict) -> dict:
    """Jaccard, containment and own paragraphs of every copy with its article, and of every pair
    of distinct documents sharing a shingle: what the decision rule's thresholds act on."""
    from babelmill.dedup import compare

    data = Realistic(split, limit)
    stage = DedupStage(DedupConfig(**overrides))
    corpus = {d.id: shingle_set(stage, d) for d in data.base_docs()}

    def stats(a, b) -> list:
        c = compare(a, b)
        return [c.jaccard, c.containment, c.smaller, c.own]

    postings: dict[int, list[str]] = {}
    for doc_id, sh in corpus.items():
        for h in sh.all.tolist():
            postings.setdefault(h, []).append(doc_id)
    rule = DedupConfig(**overrides).rule()

    def counts(x: list) -> tuple:
        return (rule.method(Comparison(x[0], x[1], True, x[2], x[3])) is not None, x[1])

    def sharing(doc_id: str, sh) -> list[str]:
        """Corpus documents holding at least a fifth of the smaller one's shingles (the others
        can reach neither threshold)."""
        shared = Counter(o for h in sh.all.tolist() for o in postings.get(h, ()) if o != doc_id)
        return sorted(o for o, n in shared.items() if n >= 0.2 * min(len(sh), len(corpus[o])))

    positives: dict[str, list] = {}
    negatives: list = []
    for a, sh in corpus.items():
        for b in sharing(a, sh):
            if a < b and data.family(a) != data.family(b):
                negatives.append(["corpus", a, b, *stats(sh, corpus[b])])
    for name, items in data.scenarios().items():
        pos = positives.setdefault(name, [])
        for d, target in items:
            sh = shingle_set(stage, d)
            best = [0.0, 0.0, len(sh), 0]
            for other in sharing(d.id, sh):
                st = stats(sh, corpus[other])
                if target is not None and data.family(other) == data.family(target):
                    best = max(best, st, key=counts)
                elif data.family(other) != data.family(d.id):
                    negatives.append([name, d.id, other, *st])
            if target is not None:
                pos.append(best)
    return {"positives": positives, "negatives": negatives, "families": data.natural_pairs}


def rule_outcome(stats: list, tj: float, tc: float, own_share: float = 0.1) -> bool:
    jac, contained, small, own = stats[-4:]
    rule = Rule(threshold=tj, containment=tc, own_share=own_share)
    return rule.method(Comparison(jac, contained, True, small, own)) is not None


WORKERS = {
    "pairs": worker_pairs,
    "realistic": worker_realistic,
    "scale": worker_scale,
    "backends": worker_backends,
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
    ap.add_argument("--quick", action="store_true", help="2k and 5k documents (< 1 minute)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, *wargs = json.loads(args.worker)
        print(json.dumps(WORKERS[name](*wargs)))
        return
    sizes = [2_000, 5_000] if args.quick else [10_000, 100_000]
    t0 = time.perf_counter()
    d = spawn("distinct", 2_000 if args.quick else 5_000)
    print(
        f"base documents distinct: {d['bases']} bases, {d['pairs_sharing_a_shingle']} pairs share a shingle, "
        f"max Jaccard {d['max_base_jaccard']:.3f}"
    )
    e = spawn("backends", 500 if args.quick else 2_000)
    print(
        f"signatures/s: rensa {e['rensa_sig_per_s']:.0f} vs datasketch {e['datasketch_sig_per_s']:.0f} "
        f"({e['rensa_sig_per_s'] / e['datasketch_sig_per_s']:.0f}x); mean |est - true Jaccard| on copy pairs: "
        f"rensa {e['rensa_mean_abs_err']:.3f}, datasketch {e['datasketch_mean_abs_err']:.3f}"
    )
    print(
        f"{'docs':>8} {'backend':>10} {'docs/s':>8} {'prec':>6} {'rec_near':>8} {'rec_exact':>9} "
        f"{'edits':>6} {'reord':>6} {'boiler':>6} {'trunc':>6} {'rss MiB':>8} {'index MiB':>9}"
    )
    rows = []
    for n, backend in [(sizes[0], "datasketch")] + [(n, "rensa") for n in sizes]:
        r = spawn("scale", n, backend, n == sizes[-1] and backend == "rensa")
        rows.append((backend, r))
        print(
            f"{n:>8} {backend:>10} {r['docs_per_s']:>8.0f} {r['precision']:>6.4f} {r['recall_near']:>8.4f} "
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
    synthetic_precision = sum(r["precision"] * r["flagged"] for r in main_rows) / flagged
    print(
        f"peak RSS {main_rows[0]['rss_mib']:.0f} MiB at {main_rows[0]['n']} docs vs {big['rss_mib']:.0f} MiB at "
        f"{big['n']} docs"
    )
    realistic = report_realistic(args.quick)
    precision = min(synthetic_precision, realistic["precision"])
    print(f"total benchmark {time.perf_counter() - t0:.1f}s")
    print(
        f"RESULT precision={precision:.4f} recall_edited={realistic['edited_ref']['recall']:.4f} "
        f"recall_excerpt={realistic['excerpt_60%']['recall']:.4f} recall_cjk={realistic['cjk']['recall']:.4f} "
        f"incremental_cost_ratio={inc['ratio']:.4f} docs_per_s={big['docs_per_s']:.0f} "
        f"recall_synthetic={min(r['recall_near'] for r in main_rows):.4f}"
    )


#: the decision rule before verification on shingle sets: Jaccard >= 0.7 only, LSH 25 x 5, no
#: containment, no anchors, no own-paragraph guard (the baseline of the realistic scenarios)
BASELINE = {
    "threshold": 0.7,
    "bands": 25,
    "rows": 5,
    "containment_min_shingles": 10**9,
    "anchor_every": 2**31,
    "own_min": 10**9,
}


def report_realistic(quick: bool) -> dict:
    """Held-out realistic scenarios, new rule vs baseline; in a full run also the calibration curve."""
    if not (BP2 / "manifest.tsv").exists():
        print("realistic scenarios skipped: ../shared/dev/boilerplate2 not found")
        nothing = {"recall": float("nan")}
        return {"precision": 1.0, "edited_ref": nothing, "excerpt_60%": nothing, "cjk": nothing}
    limit = 120 if quick else None
    if not quick:
        print_curve(spawn("pairs", "calib", None, {}))
    results = {
        "baseline": spawn("realistic", "held", limit, BASELINE),
        "calibrated": spawn("realistic", "held", limit, {}),
    }
    held = results["calibrated"]
    print(
        f"realistic scenarios, held-out sites: {held['corpus']} corpus articles ({held['cjk_articles']} CJK), "
        f"{len(held['natural_pairs'])} pairs of them already copies of each other in the data"
    )
    names = [k for k, v in held.items() if isinstance(v, dict) and "recall" in v]
    print(f"{'scenario':>14} {'n':>5} " + " ".join(f"{k + ' recall':>17} {k + ' false':>7}" for k in results))
    for name in names:
        cells = []
        for r in results.values():
            rec = r[name]["recall"]
            cells.append(f"{'-' if rec is None else f'{rec:.4f}':>17} {r[name]['false']:>7}")
        print(f"{name:>14} {held[name]['n']:>5} " + " ".join(cells))
    for k, r in results.items():
        print(
            f"{k}: precision {r['precision']:.4f} ({r['false_positives']} wrong of {r['flagged']} flagged; "
            f"distinct corpus articles merged: {len(r['corpus_false'])}); "
            f"candidates verified per document {r['edited_ref']['candidates_per_doc']:.2f}"
        )
    return held


def print_curve(pairs: dict) -> None:
    """Precision/recall of the decision rule on the calibration sites, over both thresholds."""
    neg = pairs["negatives"]
    print(
        f"calibration sites: {len(neg)} pairs of distinct documents sharing >= 20% of the smaller one's "
        "shingles; recall per scenario and wrongly merged pairs by (Jaccard threshold, containment threshold):"
    )
    names = list(pairs["positives"])
    print(f"{'jaccard':>7} {'contain':>7} {'false':>5} " + " ".join(f"{n:>12}" for n in names))
    for tj in (0.4, 0.5, 0.6, 0.7, 0.8):
        for tc in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.01):
            fp = sum(rule_outcome(x, tj, tc) for x in neg)
            rec = [
                sum(rule_outcome(x, tj, tc) for x in pairs["positives"][n]) / max(1, len(pairs["positives"][n]))
                for n in names
            ]
            print(f"{tj:>7} {tc:>7} {fp:>5} " + " ".join(f"{r:>12.3f}" for r in rec))
    unguarded = sum(rule_outcome(x, 0.6, 0.75, own_share=10.0) for x in neg)
    print(f"without the own-paragraph guard, (0.6, 0.75) would merge {unguarded} distinct pairs")


if __name__ == "__main__":
    main()
