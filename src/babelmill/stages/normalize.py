"""Normalize stage: every document leaves in one uniform plain-text format.

The format, which ``output/README.md`` documents for corpus users:

* Unicode NFC; no control or zero-width formatting characters; no trailing spaces;
* one paragraph per block, paragraphs separated by exactly one blank line;
* consecutive list items form one paragraph, each line ``- item``;
* quotes (embedded tweets, pull quotes) are lines starting ``> ``;
* the title is not repeated at the top of the body (it lives in ``title``).

Only form changes here; wording never does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from babelmill.document import Block, Document, Removal
from babelmill.stage import Stage

# zero-width and bidi formatting characters that scraped text carries by accident
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_LEADING_BULLET = re.compile(r"^\s*(?:[-*•·‣◦▪▫●○■□–—]|\d{1,3}[.)])\s+")


@dataclass
class NormalizeConfig:
    """Options of the normalize stage.

    Args:
        unicode_form: the Unicode normal form of the output (NFC keeps compatibility
            characters such as full-width punctuation, which NFKC would fold).
        bullet: the marker every list item gets.
        quote_prefix: the marker every line of a quote block gets.
        drop_title_in_body: remove leading body blocks that repeat the title.
    """

    unicode_form: str = "NFC"
    bullet: str = "- "
    quote_prefix: str = "> "
    drop_title_in_body: bool = True

    def __post_init__(self) -> None:
        if self.unicode_form not in ("NFC", "NFKC", "NFD", "NFKD"):
            raise ValueError(f"unicode_form must be NFC, NFKC, NFD or NFKD, not {self.unicode_form!r}")


def clean_inline(text: str, form: str = "NFC") -> str:
    """Normalize one line: Unicode form, invisible characters out, runs of spaces to one.

    >>> clean_inline("  Gr\u00f6\u00dfe\u200b  und\u00a0mehr  ")
    'Größe und mehr'
    """
    # drop invisibles first: removing one between a letter and its combining mark must not leave
    # the pair uncomposed (the output would change on a second pass)
    text = unicodedata.normalize(form, text.translate(_INVISIBLE))
    return _SPACES.sub(" ", text).strip()


def comparable(text: str) -> str:
    """Key for "is this the same line": case, punctuation and spacing folded."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def render_blocks(blocks: list[Block], cfg: NormalizeConfig) -> str:
    """Join blocks into the uniform text format described in the module docstring."""
    paragraphs: list[str] = []
    previous_kind = None
    for block in blocks:
        lines = [clean_inline(line, cfg.unicode_form) for line in block.text.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if block.kind == "list_item":
            item = cfg.bullet + _LEADING_BULLET.sub("", " ".join(lines))
            if previous_kind == "list_item" and paragraphs:
                paragraphs[-1] += "\n" + item
            else:
                paragraphs.append(item)
        elif block.kind == "quote":
            paragraphs.append("\n".join(cfg.quote_prefix + line for line in lines))
        else:
            paragraphs.append(" ".join(lines))
        previous_kind = block.kind
    return "\n\n".join(paragraphs)


class NormalizeStage(Stage):
    """Render the blocks into the corpus' uniform text format."""

    key = "normalize"
    Config = NormalizeConfig

    def process(self, doc: Document) -> Iterable[Document]:
        cfg: NormalizeConfig = self.config
        blocks = doc.blocks or [Block(text=p, line=0) for p in doc.text.split("\n\n")]
        title = doc.metadata.get("title")
        if cfg.drop_title_in_body and title:
            key = comparable(title)
            while blocks and comparable(blocks[0].text) == key:
                doc.removed.append(Removal(blocks[0].line, blocks[0].text, "title_repeated"))
                doc.record(self.key, "dropped_block", "title_repeated", line=blocks[0].line)
                blocks = blocks[1:]
        for block in blocks:
            block.text = "\n".join(
                line for line in (clean_inline(x, cfg.unicode_form) for x in block.text.split("\n")) if line
            )
        doc.blocks = [b for b in blocks if b.text]
        before = doc.text
        doc.text = render_blocks(doc.blocks, cfg)
        for key in ("title", "original_title", "subtitle"):
            if isinstance(doc.metadata.get(key), str):
                doc.metadata[key] = clean_inline(doc.metadata[key], cfg.unicode_form)
        if before != doc.text:
            doc.record(self.key, "rendered", "uniform_format", blocks=len(doc.blocks))
        yield doc
