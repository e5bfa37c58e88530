"""The corpus summary as rich tables on the terminal (markup in the data is never interpreted)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from babelmill.report.summary import CorpusSummary, stage_rows


def _table(title: str, *columns: str, numeric: tuple[int, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, col in enumerate(columns):
        table.add_column(col, justify="right" if i in numeric else "left", overflow="fold")
    return table


def render_terminal(s: CorpusSummary, console: Console) -> None:
    # Text(...) keeps scraped strings literal: "[bold]" in a title stays "[bold]"
    console.print(Text(f"babelmill corpus report: {s.output}", style="bold"))
    console.print(
        Text(
            f"{s.documents} documents in {len(s.corpus_files)} file(s); "
            f"{s.machine_translated} machine-translated originals ({s.machine_translated_share:.1%}); "
            f"{s.duplicates} duplicates in {len(s.clusters)} clusters; {s.removed_lines} lines removed"
        )
    )
    if s.unreadable_lines:
        console.print(
            Text(
                f"{s.unreadable_lines} unreadable line(s): a run was interrupted after its last commit; "
                "the next `babelmill run` on this output cuts them off",
                style="yellow",
            )
        )
    t = _table("Documents by language of origin", "language", "documents", "share", numeric=(1, 2))
    for lang, n in sorted(s.by_language.items(), key=lambda kv: (-kv[1], kv[0])):
        t.add_row(Text(lang), str(n), f"{n / s.documents:.1%}" if s.documents else "-")
    console.print(t)

    t = _table("Translation", "", "count", numeric=(1,))
    for label, n in (
        ("machine-translated originals", s.machine_translated),
        *((f"  from {k}", n) for k, n in sorted(s.machine_translated_from.items())),
        ("blocks translated", s.blocks_translated),
        ("blocks pending a model", s.blocks_pending),
        ("documents with pending blocks", s.docs_with_pending),
        ("blocks flagged by quality checks", s.blocks_flagged),
    ):
        t.add_row(Text(label), str(n))
    console.print(t)

    t = _table("Top removal reasons", "rule", "lines", "examples", numeric=(1,))
    for rule, n in s.top_reasons():
        t.add_row(Text(rule), str(n), Text("\n".join(s.removal_examples.get(rule, [])[:2])))
    console.print(t)

    if s.warned:
        t = _table(
            f"Records with cleaning warnings ({len(s.warned)}: the article may be lost; check these by hand)",
            "record",
            "kept share",
            "warnings",
            numeric=(1,),
        )
        for w in s.warned:
            share = w.get("kept_share")
            t.add_row(
                Text(f"{w['id']}\n{w['path']}" + (f"\n{w['title']}" if w.get("title") else "")),
                f"{share:.1%}" if isinstance(share, (int, float)) else "-",
                Text(", ".join(w["warnings"])),
            )
        console.print(t)

    if s.rejected:
        t = _table("Rejected inputs", "status", "reason", "inputs", numeric=(2,))
        for (status, reason), n in sorted(s.rejected.items()):
            t.add_row(Text(status), Text(reason), str(n))
        console.print(t)

    if s.clusters:
        t = _table(f"Duplicate clusters ({len(s.clusters)}, largest first)", "kept document", "duplicates")
        for kept, dups in s.top_clusters():
            title = s.titles.get(kept, "")
            t.add_row(
                Text(kept + (f"\n{title}" if title else "")),
                Text("\n".join(f"{d['id']} ({d['reason']}, {d['similarity']})" for d in dups)),
            )
        console.print(t)

    rows = stage_rows(s.stages)
    if rows:
        t = _table("Time per stage", "stage", "seconds", "in", "out", numeric=(1, 2, 3))
        for key, sec, n_in, n_out in rows:
            t.add_row(Text(key), f"{sec:.2f}", str(n_in), str(n_out))
        console.print(t)
