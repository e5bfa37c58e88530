"""A self-contained HTML page for a :class:`~babelmill.report.summary.CorpusSummary`.

One file, no external assets and no JavaScript: inline CSS and inline SVG bar charts. Every
string that comes from the inputs (titles, removed lines, paths, ids, reasons, even stage and
language names) goes through :func:`html.escape` with ``quote=True`` before it is placed in
the page, so a scraped ``<script>`` or ``"><img onerror=...>`` shows as text and never runs.
A Content-Security-Policy that forbids scripts backs this up.
"""

from __future__ import annotations

from html import escape
from typing import Any

from babelmill.report.summary import LOOK_REASONS, CorpusSummary, history_note, length_bucket_labels, stage_rows
from babelmill.translate.pending import pending_pairs, pending_sentence
from babelmill.translate.quality import FLAG_EXPLANATIONS

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'"
PALETTE = ["#3b6ea5", "#e07b39", "#5a9e5a", "#b54a4a", "#8064a2", "#4aa3a3", "#a3824a", "#7a7a7a"]

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 980px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.muted { color: #666; } .cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.ex { font-family: ui-monospace, monospace; font-size: .85em; color: #444; word-break: break-word; }
svg text { font: 12px system-ui, sans-serif; fill: #222; }
"""


NONE = '<p class="muted none">none</p>'


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def bar_chart(items: list[tuple[str, float]], unit: str = "", title: str = "", width: int = 640) -> str:
    """Horizontal bars as inline SVG; labels escaped."""
    if not items:
        return NONE
    bar_h, gap, label_w, value_w = 20, 6, 170, 80
    height = len(items) * (bar_h + gap) + gap
    top = max(v for _, v in items) or 1.0
    span = width - label_w - value_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{_e(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = max(1.0, span * value / top) if value > 0 else 0
        shown = (
            f"{value:.2f}{unit}" if isinstance(value, float) and not float(value).is_integer() else f"{value:g}{unit}"
        )
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_e(_short(label, 26))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[i % len(PALETTE)]}">'
            f"<title>{_e(label)}: {_e(shown)}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + 14}">{_e(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def share_chart(part: int, total: int, label: str, width: int = 640) -> str:
    """One stacked bar: ``part`` of ``total`` (e.g. machine-translated documents)."""
    share = part / total if total else 0.0
    filled = (width - 2) * share
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="34" viewBox="0 0 {width} 34">'
        f"<title>{_e(label)}</title>"
        f'<rect x="1" y="1" width="{width - 2}" height="22" fill="#e6e6e6"/>'
        f'<rect x="1" y="1" width="{filled:.1f}" height="22" fill="{PALETTE[1]}"/>'
        f'<text x="6" y="16">{_e(label)}: {part} of {total} ({share:.1%})</text></svg>'
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    """A table of pre-escaped cells; "none" when there are no rows (never a bare header)."""
    if not rows:
        return NONE
    numeric = numeric or set()
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{_e(h)}</th>" for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _look_section(s: CorpusSummary) -> str:
    """Counts per reason (explained), then the documents with their source paths and the facts."""
    if not s.look_counts:
        return NONE
    counts = _table(
        ["reason", "documents", "what it means"],
        [[_e(r), s.look_counts[r], _e(text)] for r, text in LOOK_REASONS.items() if s.look_counts.get(r)],
        numeric={1},
    )
    listed = len(s.needs_look)
    note = (
        f"<p class=muted>{s.look_documents} documents; the first {listed} are listed "
        "(<code>babelmill report --json</code> has the same list).</p>"
        if s.look_documents > listed
        else ""
    )
    rows = [
        [
            f"{_e(d['path'])}<br><span class=muted>{_e(d['id'])}</span>"
            + (f"<br>{_e(d['title'])}" if d.get("title") else ""),
            "<br>".join(f"<b>{_e(w['reason'])}</b>: {_e(w['detail'])}" for w in d["why"]),
        ]
        for d in s.needs_look
    ]
    return counts + note + _table(["document (source path, id, title)", "why"], rows)


def _quarantined_section(s: CorpusSummary) -> str:
    n = sum(count for (status, _), count in s.rejected.items() if status == "quarantined")
    if not n:
        return NONE
    more = (
        f"<p class=muted>{n} quarantined; the first {len(s.quarantined)} are listed.</p>"
        if n > len(s.quarantined)
        else ""
    )
    rows = [[f'<span class="ex">{_e(q["path"])}</span>', _e(q["reason"]), _e(q["message"])] for q in s.quarantined]
    return more + _table(["input", "reason", "message"], rows)


def _pending_paragraph(s: CorpusSummary) -> str:
    """The pending blocks per language pair and how to install their models (empty: none)."""
    if not s.blocks_pending:
        return ""
    unsorted = s.blocks_pending - sum(s.pending_by_language.values())
    return f"<p>{_e(pending_sentence(s.pending_by_language, s.docs_with_pending, unsorted=unsorted))}.</p>"


def render_html(s: CorpusSummary) -> str:
    """The whole page; cells are escaped here, the table helper only assembles them."""
    cards = [
        ("documents", s.documents),
        ("machine-translated", f"{s.machine_translated_share:.1%}"),
        ("blocks pending", s.blocks_pending),
        ("blocks flagged", s.blocks_flagged),
        ("need a look", s.look_documents),
        ("quarantined", sum(n for (status, _), n in s.rejected.items() if status == "quarantined")),
        ("duplicates", s.duplicates),
        ("lines removed", s.removed_lines),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        f"<title>babelmill report: {_e(s.output)}</title><style>{STYLE}</style></head><body>",
        f"<h1>babelmill corpus report</h1><p class=muted>{_e(s.output)}"
        + (f" · run {_e(s.run.get('run'))} · {_e(s.run.get('finished'))}" if s.run else "")
        + (f" · files: {_e(', '.join(s.corpus_files))}" if s.corpus_files else "")
        + "</p>",
        '<div class="cards">'
        + "".join(
            f'<div class="card" id="card-{_e(k.replace(" ", "-"))}"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in cards
        )
        + "</div>",
        (
            f"<p><b>{s.unreadable_lines} unreadable line(s)</b>: a run was interrupted after its last commit; "
            "the next <code>babelmill run</code> on this output cuts them off.</p>"
            if s.unreadable_lines
            else ""
        ),
        "<h2>Documents by language of origin</h2>",
        bar_chart(sorted(s.by_language.items(), key=lambda kv: (-kv[1], kv[0])), title="documents by language"),
        _table(
            ["language", "documents", "share"],
            [
                [_e(lang), n, f"{n / s.documents:.1%}" if s.documents else "-"]
                for lang, n in sorted(s.by_language.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            numeric={1, 2},
        ),
        "<h2>Machine translation</h2>",
        share_chart(s.machine_translated, s.documents, "machine-translated originals"),
        _table(
            ["translated from", "documents"],
            [[_e(k), n] for k, n in sorted(s.machine_translated_from.items())],
            numeric={1},
        ),
        "<h2>Documents that need a look</h2>",
        _look_section(s),
        "<h2>Quarantined inputs</h2>",
        _quarantined_section(s),
        "<h2>Translation by babelmill</h2>",
        _table(
            ["", "count"],
            [
                ["blocks translated", s.blocks_translated],
                ["blocks pending a model", s.blocks_pending],
                *([f"\u00a0\u00a0{_e(pair)}", n] for pair, n in pending_pairs(s.pending_by_language)),
                ["documents with pending blocks", s.docs_with_pending],
                ["blocks flagged by quality checks", s.blocks_flagged],
                ["documents with flagged blocks", s.docs_flagged],
            ],
            numeric={1},
        ),
        _pending_paragraph(s),
        "<h3>Quality flags</h3>",
        _table(
            ["flag", "blocks", "what it means"],
            [
                [_e(flag), n, _e(FLAG_EXPLANATIONS.get(flag, "(not described)"))]
                for flag, n in sorted(s.flag_reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            numeric={1},
        ),
        (
            f"<p class=muted>{s.blocks_flagged} of {s.blocks_translated} translated blocks carry at least one "
            "flag; a block can carry several. Flags never drop anything: they point a reviewer at the "
            "translations to read against their originals (<code>blocks[].meta.quality</code>).</p>"
            if s.blocks_translated
            else ""
        ),
        "<h2>Length distributions</h2>",
        "<h3>Text length (characters)</h3>",
        bar_chart(
            [(label, float(s.lengths[label])) for label in length_bucket_labels()] if s.documents else [],
            title="documents by text length in characters",
        ),
        "<h3>Share of the page kept by the cleaner</h3>",
        bar_chart(
            sorted(((k, float(n)) for k, n in s.kept_shares.items()), key=lambda kv: int(kv[0].split("-")[0])),
            title="documents by share of the page's words kept",
        ),
        "<h2>Top removal reasons</h2>",
        bar_chart([(k, float(n)) for k, n in s.top_reasons()], title="removed lines by rule"),
        _table(
            ["rule", "lines", "examples"],
            [
                [_e(rule), n, "<br>".join(f'<span class="ex">{_e(x)}</span>' for x in s.removal_examples.get(rule, []))]
                for rule, n in s.top_reasons()
            ],
            numeric={1},
        ),
        "<h2>Rejected inputs</h2>",
        _table(
            ["status", "reason", "inputs"],
            [[_e(st), _e(r), n] for (st, r), n in sorted(s.rejected.items())],
            numeric={2},
        ),
        f"<h2>Duplicate clusters</h2><p>{len(s.clusters)} cluster(s), {s.duplicates} duplicate(s). Largest:</p>",
        _table(
            ["kept document", "duplicates"],
            [
                [
                    f"{_e(kept)}<br><span class=muted>{_e(s.titles.get(kept, ''))}</span>",
                    "<br>".join(
                        f"{_e(d['id'])} ({_e(d['reason'])}, {_e(d['similarity'])}) "
                        f"<span class=muted>{_e(d['title'] or d['path'] or '')}</span>"
                        for d in dups
                    ),
                ]
                for kept, dups in s.top_clusters()
            ],
        ),
        "<h2>Run history</h2>",
        _table(
            ["run", "finished", "engine", "seconds", "processed", "unchanged", "kept", "duplicates", "quarantined"],
            [
                [
                    _e(h.get("run")),
                    _e(str(h.get("finished") or "-") + history_note(h)),
                    _e(h.get("engine") or "-"),
                    _e(f"{h['seconds']:.1f}" if isinstance(h.get("seconds"), int | float) else "-"),
                    *(
                        _e(h.get(k) if h.get(k) is not None else "-")
                        for k in ("processed", "unchanged", "kept", "duplicates", "quarantined")
                    ),
                ]
                for h in s.history
            ],
            numeric={0, 3, 4, 5, 6, 7, 8},
        ),  # fmt: skip
        "<h2>Time per stage, over all runs</h2>",
        bar_chart([(k, sec) for k, sec, _, _ in stage_rows(s.stages)], unit=" s", title="seconds per stage"),
        _table(
            ["stage", "seconds", "documents in", "documents out"],
            [[_e(k), f"{sec:.2f}", i, o] for k, sec, i, o in stage_rows(s.stages)],
            numeric={1, 2, 3},
        ),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
