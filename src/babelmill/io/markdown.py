"""Markdown inputs as the one-block-per-line text the cleaner reads.

Scrapers and "reader" services often save pages as Markdown. Read as plain text, its syntax
stays in the corpus (``# `` before the headline, ``**bold**``, ``[text](url)``, ``![alt](img)``)
and a paragraph hard-wrapped over several lines becomes several blocks. An input named
``*.md`` / ``*.markdown`` (also compressed, ``*.md.gz``, ``*.md.zst``) is parsed with markdown-it (CommonMark,
plus tables) instead: one line per block (heading, paragraph, list item, table row, code line),
inline markup reduced to its text, images dropped, list items kept with a ``- `` / ``N. ``
marker (the cleaner reads list markers). A YAML or TOML front matter block keeps its lines
without the fences.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from babelmill.io.compressed import COMPRESSION_SUFFIXES
from babelmill.io.read import html_to_lines

MARKDOWN_SUFFIXES = (".md", ".markdown")
_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n\1[ \t]*(\n|\Z)", re.DOTALL)
_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def is_markdown_path(path: str) -> bool:
    """Whether an input's name says Markdown (a compression suffix is looked through).

    >>> is_markdown_path("news/a.md"), is_markdown_path("a.markdown.gz"), is_markdown_path("a.txt")
    (True, True, False)
    """
    name = path.lower()
    for suffix in COMPRESSION_SUFFIXES:
        name = name.removesuffix(suffix)
    return name.endswith(MARKDOWN_SUFFIXES)


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        # images, inline HTML tags and the markers of emphasis and links leave no text
    return "".join(parts)


def markdown_to_lines(text: str) -> str:
    """One line per Markdown block, inline markup reduced to its text.

    >>> page = "# Bike lanes\\n\\nThe **council** voted [7-2](http://x)\\non Tuesday."
    >>> print(markdown_to_lines(page + "\\n\\n![a](b.jpg)\\n\\n- one\\n- two"))
    Bike lanes
    The council voted 7-2 on Tuesday.
    - one
    - two
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    front = _FRONT_MATTER.match(text)
    if front:
        lines += front.group(2).split("\n")
        text = text[front.end() :]
    markers: list[str] = []  # the pending list-item marker of each open list
    row: list[str] | None = None
    for tok in _PARSER.parse(text):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            markers.append("")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            markers.pop()
        elif tok.type == "list_item_open" and markers:
            markers[-1] = f"{tok.info}. " if tok.info else "- "
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            lines.append(" | ".join(cell for cell in row if cell))
            row = None
        elif tok.type == "inline":
            content = _inline_text(tok.children or [])
            if row is not None:
                row.append(" ".join(content.split()))
                continue
            marker = ""
            if markers and markers[-1]:
                marker, markers[-1] = markers[-1], ""  # the item's first block only
            lines += [marker + line if k == 0 else line for k, line in enumerate(content.split("\n"))]
        elif tok.type in ("fence", "code_block"):
            lines += tok.content.split("\n")
        elif tok.type == "html_block":
            lines += html_to_lines(tok.content).split("\n")
    squeezed = (" ".join(line.split()) for line in lines)
    return "\n".join(line for line in squeezed if line)
