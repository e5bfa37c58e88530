"""Decoding legacy encodings: how often the text read is the text written, and how fast.

Usage::

    .venv/bin/python benchmarks/decode.py [--quick] [--dev ../shared/dev]

1. Accuracy: every ``langid.tsv`` row (a word, two words or a sentence) written in each legacy
   encoding its language's files come in (Chinese: GBK, Big5 where the row fits it; Japanese:
   Shift_JIS, EUC-JP, ISO-2022-JP; German, English, French, Dutch, Swedish, Danish: Windows-1252,
   Latin-1), decoded by ``decode_bytes`` and compared with the row: ``exact`` per kind and per
   encoding. A word is often a few bytes that several encodings read cleanly (README, *Encodings*).
2. Speed: MB/s of ``decode_bytes`` over the ``boilerplate2`` page dumps as UTF-8 (the common
   case, which must run no detector) and over the German and Chinese ones written in
   Windows-1252 and GBK (charset-normalizer at work).

``--quick`` takes every fifth row and every tenth page. Ends with
``RESULT exact=<share> sentence_exact=<share> utf8_mb_s=<n> legacy_mb_s=<n>``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

ENCODINGS = {
    "zh": ("gbk", "big5"),
    "ja": ("shift_jis", "euc_jp", "iso2022_jp"),
    **{lang: ("cp1252", "latin_1") for lang in ("de", "en", "fr", "nl", "sv", "da")},
}


def accuracy(dev: Path, step: int) -> tuple[dict, dict]:
    from babelmill.io.read import decode_bytes

    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_codec: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with (dev / "langid.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[::step]
    for row in rows:
        text = row["text"]
        for codec in ENCODINGS[row["label"]]:
            try:
                data = text.encode(codec)
            except UnicodeEncodeError:
                continue  # simplified characters Big5 lacks, curly quotes Latin-1 lacks
            if data.isascii() and codec != "iso2022_jp":
                continue  # the same bytes in every encoding
            ok = decode_bytes(data)[0] == text
            for key, table in ((row["kind"], hits), ("all", hits), (codec, by_codec)):
                table[key][0] += ok
                table[key][1] += 1
    return hits, by_codec


def speed(dev: Path, step: int) -> tuple[float, float]:
    from babelmill.io.read import decode_bytes

    pages = sorted(p for p in (dev / "boilerplate2").glob("*.txt") if not p.name.endswith(".truth.txt"))[::step]
    utf8 = [p.read_bytes() for p in pages]
    legacy = []
    for data in utf8:
        text = data.decode("utf-8")
        for codec in ("cp1252", "gbk"):
            try:
                encoded = text.encode(codec)
            except UnicodeEncodeError:
                continue
            if not encoded.isascii():
                legacy.append(encoded)
                break
    rates = []
    for corpus, rounds in ((utf8, 20), (legacy, 1)):
        seconds = float("inf")
        for _ in range(rounds):  # UTF-8 takes milliseconds: the best of several rounds
            start = time.perf_counter()
            for data in corpus:
                decode_bytes(data)
            seconds = min(seconds, time.perf_counter() - start)
        rates.append(sum(map(len, corpus)) / 1e6 / seconds)
        print(f"  {len(corpus)} pages, {sum(map(len, corpus)) / 1e6:.1f} MB in {seconds:.2f} s")
    return rates[0], rates[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "dev")
    args = ap.parse_args()
    hits, by_codec = accuracy(args.dev, 5 if args.quick else 1)
    print("exact decodes of langid.tsv rows written in a legacy encoding")
    for key, (ok, n) in sorted(hits.items()) + sorted(by_codec.items()):
        print(f"  {key:11} {ok:5}/{n:<5} {ok / n:.3f}")
    print("decode_bytes speed")
    utf8_rate, legacy_rate = speed(args.dev, 10 if args.quick else 1)
    print(f"  utf-8 {utf8_rate:.1f} MB/s, legacy {legacy_rate:.2f} MB/s")
    exact = hits["all"][0] / hits["all"][1]
    sentence = hits["sentence"][0] / hits["sentence"][1]
    print(f"RESULT exact={exact:.4f} sentence_exact={sentence:.4f}", end=" ")
    print(f"utf8_mb_s={utf8_rate:.1f} legacy_mb_s={legacy_rate:.2f}")


if __name__ == "__main__":
    main()
