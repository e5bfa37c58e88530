"""Sample inputs for tests and benchmarks: deterministic article dumps with copies and bad files."""

from __future__ import annotations

import random
from pathlib import Path

#: the development data beside a source checkout (``../shared/dev``); absent in an installed wheel
SHARED_DEV = Path(__file__).resolve().parents[3].parent / "shared" / "dev"

WORDS = (
    "council harbour budget river election vaccine market energy school railway storm court minister "
    "festival museum bridge factory farmers report police hospital province coast summit treaty"
).split()


def _dev_paragraphs() -> list[str]:
    """Paragraph material: the dev set's texts when they sit beside the repo, else none."""
    tsv = SHARED_DEV / "mtdetect.tsv"
    if not tsv.is_file():
        return []
    lines = tsv.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[0] for line in lines if line.strip()]


def write_inputs(folder: Path, n: int = 300, seed: int = 7) -> list[Path]:
    """``n`` small article dumps, deterministic for a seed: news-like paragraphs, exact and near
    copies, and a few bad files (empty, binary, HTML with a script)."""
    rng = random.Random(seed)
    material = _dev_paragraphs()
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    for i in range(n):
        kind = i % 25
        if kind == 5 and texts:  # exact copy of an earlier article
            texts.append(texts[rng.randrange(len(texts))])
            continue
        if kind == 9 and texts:  # near copy: one word changed
            words = texts[rng.randrange(len(texts))].split(" ")
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            texts.append(" ".join(words))
            continue
        paras = []
        for _ in range(rng.randint(2, 5)):
            if material:
                paras.append(rng.choice(material))
            else:
                paras.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))).capitalize() + ".")
        title = f"Report {i}: the {rng.choice(WORDS)} and the {rng.choice(WORDS)}"
        texts.append(title + "\n\n" + "\n\n".join(paras) + "\n")
    paths = []
    for i, text in enumerate(texts):
        p = folder / f"{i:04d}.txt"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "page.txt").write_text(
        "<html><body><h1>Headline</h1><p>Body text of a saved page.</p><script>alert(1)</script></body></html>"
    )
    return paths


__all__ = ["write_inputs"]
