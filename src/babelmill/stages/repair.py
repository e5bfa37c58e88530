"""Repair stage: undo encoding damage with ftfy, recording every fix it applied.

ftfy runs with an explicit configuration: mojibake ("GrÃ¶ÃŸe" -> "Größe"), HTML entities,
control characters and broken line breaks are fixed. Curly quotes are *not* uncurled and
full-width characters are *not* folded: both are legitimate typography (Chinese text uses
full-width punctuation on purpose), and the corpus keeps the author's form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ftfy

from babelmill.document import Document
from babelmill.stage import Stage


@dataclass
class RepairConfig:
    """ftfy options (see ftfy.TextFixerConfig); the defaults are chosen for scraped news.

    Args:
        fix_encoding: undo mojibake (text decoded with the wrong codec).
        unescape_html: turn ``&amp;``-style entities into characters; scraped text has no
            legitimate markup left, so entities are damage.
        remove_control_chars: drop invisible control characters.
        fix_line_breaks: unify CRLF, U+2028 and friends to ``\\n``.
        uncurl_quotes: off: typographic quotes are kept as written.
        fix_character_width: off: full-width CJK punctuation is kept.
        fix_latin_ligatures: turn "ﬁ" into "fi" (ligatures are a rendering detail).
        normalization: Unicode normal form ftfy applies (NFC keeps compatibility characters).
    """

    fix_encoding: bool = True
    unescape_html: bool = True
    remove_control_chars: bool = True
    fix_line_breaks: bool = True
    uncurl_quotes: bool = False
    fix_character_width: bool = False
    fix_latin_ligatures: bool = True
    normalization: str = "NFC"

    def ftfy_config(self) -> ftfy.TextFixerConfig:
        return ftfy.TextFixerConfig(
            fix_encoding=self.fix_encoding,
            unescape_html=self.unescape_html,
            remove_control_chars=self.remove_control_chars,
            fix_line_breaks=self.fix_line_breaks,
            uncurl_quotes=self.uncurl_quotes,
            fix_character_width=self.fix_character_width,
            fix_latin_ligatures=self.fix_latin_ligatures,
            normalization=self.normalization,
            explain=True,
        )


def repair_text(text: str, config: RepairConfig) -> tuple[str, list[str]]:
    """Fix ``text``; return it with the names of the ftfy steps that changed something.

    >>> repair_text("GrÃ¶ÃŸe &amp; “Qualität”", RepairConfig())[0]
    'Größe & “Qualität”'

    >>> repair_text("创始团队出走殆尽，高光时刻！", RepairConfig())
    ('创始团队出走殆尽，高光时刻！', [])
    """
    fixed, explanation = ftfy.fix_and_explain(text, config.ftfy_config())
    steps = [step for step, _arg in explanation] if explanation else []
    return fixed, steps


class RepairStage(Stage):
    """Repair encoding damage line by line, so one bad line cannot change the others."""

    key = "repair"
    Config = RepairConfig

    def process(self, doc: Document) -> Iterable[Document]:
        lines = doc.text.split("\n")
        fixed_lines = []
        changed: list[dict] = []
        for number, line in enumerate(lines, start=1):
            fixed, steps = repair_text(line, self.config)
            if fixed != line:
                changed.append({"line": number, "steps": sorted(set(steps))})
            fixed_lines.append(fixed)
        if changed:
            doc.text = "\n".join(fixed_lines)
            doc.record(self.key, "repaired", "encoding_damage", lines=changed[:50], lines_changed=len(changed))
            self.count("lines_repaired", len(changed))
        yield doc
