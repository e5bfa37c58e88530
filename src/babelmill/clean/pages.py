"""Labelled pages for training the cleaner's line model (``babelmill train-cleaner``).

Labelled pages come in two layouts, both read from folders:

* ``NAME.txt`` (the page dump, one block per line) with ``NAME.truth.txt`` (the article text):
  a dump line is article text when at least half of its word trigrams occur in the truth (lines
  of one or two words: when the line is a truth paragraph of its own, or its words occur in the
  truth and the long lines around it are article text). Lines are weighted by their word count
  over the page's, so each page counts about the same, as in the per-page token F1.
* ``NAME.txt`` with ``NAME.json`` holding ``with`` / ``without`` snippet lists: lines holding a
  ``with`` snippet are article text, lines holding a ``without`` snippet chrome; other lines are
  not used; each labelled line weighs ``SNIPPET_WEIGHT``.

A ``manifest.tsv`` (tab-separated, header row, ``id`` column; ``domain`` or ``url`` for the site,
optional ``dataset`` and ``lang``) names each page's site; without one each page is its own site.
Pages of one site share their template, so cross-validation folds never split a site and the
site-repetition feature is computed from the site's pages as the strip stage does in a run.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from babelmill.clean.site_lines import line_hash, template_candidates, template_lines

_TOK = re.compile(r"\w+", re.UNICODE)
# a snippet page labels a handful of lines; each counts this much (a truth page's lines sum to 100)
SNIPPET_WEIGHT = 10.0


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOK.findall(unicodedata.normalize("NFC", text))]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class Page:
    id: str
    path: Path
    site: str
    dataset: str = ""
    lang: str = ""
    truth: str | None = None
    snippets: dict | None = None
    text: str = ""

    @property
    def kind(self) -> str:
        return "snippets" if self.snippets is not None else "truth"


def _site_of(row: dict[str, str], fallback: str) -> str:
    if row.get("domain"):
        return row["domain"].lower()
    url = row.get("url")
    if url:
        host = urlparse(url).netloc.lower()
        return host[4:] if host.startswith("www.") else host
    return fallback


@dataclass
class PageData:
    page: Page
    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    hard: np.ndarray  # bool per line: removed by a rule / metadata / embed step
    short: np.ndarray
    weq: np.ndarray
    ntok: np.ndarray  # word tokens per line
    truth_tokens: int
    texts: list[str] = field(default_factory=list)
    # the exact bag-of-tokens overlap (as the benchmark scores pages): every token of the page's
    # lines as an id into the page's vocabulary, the line it is on, the truth's count of each id
    tok_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    tok_line: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    truth_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # featurized as a run that knows the page's site (its template lines removed by rule), or as
    # one that does not (every input in one bucket, no template)
    site_counted: bool = True


def load_folder(folder: Path, dataset: str | None = None) -> list[Page]:
    """The labelled pages of one folder (see the module docstring)."""
    manifest: dict[str, dict[str, str]] = {}
    mpath = folder / "manifest.tsv"
    if mpath.is_file():
        rows = mpath.read_text(encoding="utf-8").splitlines()
        head = rows[0].split("\t")
        for line in rows[1:]:
            vals = line.split("\t")
            row = dict(zip(head, vals, strict=False))
            if "id" in row:
                manifest[row["id"]] = row
    pages = []
    for path in sorted(folder.glob("*.txt")):
        if path.name.endswith(".truth.txt"):
            continue
        pid = path.stem
        row = manifest.get(pid, {})
        site = _site_of(row, f"{folder.name}/{pid}")
        truth_path = path.with_name(pid + ".truth.txt")
        spec_path = path.with_suffix(".json")
        page = Page(
            id=f"{folder.name}/{pid}",
            path=path,
            site=site,
            dataset=row.get("dataset") or dataset or folder.name,
            lang=row.get("lang", ""),
        )
        if truth_path.is_file():
            page.truth = truth_path.read_text(encoding="utf-8")
        elif spec_path.is_file():
            spec = json.loads(spec_path.read_text(encoding="utf-8"))
            page.snippets = {"with": spec.get("with", []), "without": spec.get("without", [])}
            page.lang = page.lang or spec.get("lang", "")
        else:
            continue
        pages.append(page)
    return pages


def read_page(path: Path) -> str:
    """The page as the repair stage hands it to strip."""
    from babelmill.stages.repair import RepairConfig, repair_text

    cfg = RepairConfig()
    return "\n".join(repair_text(line, cfg)[0] for line in path.read_text(encoding="utf-8").split("\n"))


def site_repeats(pages: Sequence[Page]) -> dict[str, set[str]]:
    """Per page id, the line keys the strip stage would call site template (as in a run that has
    seen all of the site's pages)."""
    from babelmill.stages.strip import StripConfig

    cfg = StripConfig(line_model="")
    by_site: dict[str, list[Page]] = defaultdict(list)
    for p in pages:
        by_site[p.site].append(p)
    out: dict[str, set[str]] = {}
    for _site, group in by_site.items():
        keyed = [template_candidates(p.text) for p in group]
        counts: Counter[int] = Counter()
        hashed = []
        for keys in keyed:
            h = {k: line_hash(k) for k in keys}
            hashed.append(h)
            counts.update(set(h.values()))
        for p, keys, h in zip(group, keyed, hashed, strict=True):
            n = len(group)
            out[p.id] = (
                template_lines(keys, h, counts, n, cfg.site_min_docs, cfg.site_min_share, cfg.site_long_words)
                if n > 1
                else set()
            )
    return out


def label_lines(line_texts: list[str], page: Page) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, weights)`` for the lines of a page (weight 0: not used)."""
    n = len(line_texts)
    y = np.zeros(n)
    w = np.zeros(n)
    if page.snippets is not None:
        with_ = [_norm(s) for s in page.snippets["with"] if s.strip()]
        without = [_norm(s) for s in page.snippets["without"] if s.strip()]
        for i, t in enumerate(line_texts):
            nt = _norm(t)
            if any(s in nt for s in with_):
                y[i], w[i] = 1, SNIPPET_WEIGHT
            elif any(s in nt for s in without):
                y[i], w[i] = 0, SNIPPET_WEIGHT
        return y, w
    truth = page.truth or ""
    ttoks = tokens(truth)
    tri = {tuple(ttoks[k : k + 3]) for k in range(len(ttoks) - 2)}
    bi = {tuple(ttoks[k : k + 2]) for k in range(len(ttoks) - 1)}
    uni = set(ttoks)
    paras = {_norm(p).lower() for p in re.split(r"\n\s*\n|\n", truth) if p.strip()}
    toks = [tokens(t) for t in line_texts]
    total = sum(len(t) for t in toks) or 1
    long_label: list[int | None] = [None] * n
    for i, tk in enumerate(toks):
        if len(tk) >= 3:
            grams = [tuple(tk[k : k + 3]) for k in range(len(tk) - 2)]
            cov = sum(1 for g in grams if g in tri) / len(grams)
            long_label[i] = int(cov >= 0.5)
    for i, tk in enumerate(toks):
        if long_label[i] is not None:
            y[i] = long_label[i]
        elif tk:
            if _norm(line_texts[i]).lower() in paras:
                y[i] = 1
            else:
                present = (tuple(tk) in bi) if len(tk) == 2 else (tk[0] in uni)
                prev = next((long_label[j] for j in range(i - 1, -1, -1) if long_label[j] is not None), 0)
                nxt = next((long_label[j] for j in range(i + 1, n) if long_label[j] is not None), 0)
                y[i] = float(present and prev == 1 and nxt == 1)
        # every page counts about the same; a line by its share of the page's words
        w[i] = len(tk) / total * 100.0
    return y, w


def load_pages(folders: Iterable[Path]) -> list[Page]:
    pages: list[Page] = []
    for folder in folders:
        pages += load_folder(Path(folder))
    return pages
