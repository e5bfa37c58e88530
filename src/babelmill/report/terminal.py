"""The corpus summary as rich tables on the terminal (markup in the data is never interpreted)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from babelmill.report.summary import LOOK_REASONS, CorpusSummary, history_note, stage_rows
from babelmill.translate.pending import pending_pairs, pending_sentence
from babelmill.translate.quality import FLAG_EXPLANATIONS

#: documents that need a look listed on the terminal (all of them: --html, --json)
TERMINAL_LOOK_ROWS = 20


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
        *((f"  {pair}", n) for pair, n in pending_pairs(s.pending_by_language)),
        ("documents with pending blocks", s.docs_with_pending),
        ("blocks flagged by quality checks", s.blocks_flagged),
    ):
        t.add_row(Text(label), str(n))
    console.print(t)
    if s.blocks_pending:
        unsorted = s.blocks_pending - sum(s.pending_by_language.values())
        console.print(Text(pending_sentence(s.pending_by_language, s.docs_with_pending, unsorted=unsorted) + "."))

    if s.flag_reasons:
        t = _table(
            f"Translation quality flags ({s.blocks_flagged} of {s.blocks_translated} translated blocks flagged)",
            "flag",
            "blocks",
            "what it means",
            numeric=(1,),
        )
        for flag, n in sorted(s.flag_reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            t.add_row(Text(flag), str(n), Text(FLAG_EXPLANATIONS.get(flag, "(not described)")))
        console.print(t)

    if s.look_documents:
        title = f"Documents that need a look ({s.look_documents})"
        t = _table(title, "reason", "documents", "what it means", numeric=(1,))
        for reason, text in LOOK_REASONS.items():
            if s.look_counts.get(reason):
                t.add_row(Text(reason), str(s.look_counts[reason]), Text(text))
        console.print(t)
        shown = s.needs_look[:TERMINAL_LOOK_ROWS]
        more = s.look_documents - len(shown)
        t = _table(
            "The documents" + (f" (first {len(shown)}; --html or --json lists more)" if more else ""),
            "source path / id / title",
            "why",
        )
        for d in shown:
            t.add_row(
                Text(f"{d['path']}\n{d['id']}" + (f"\n{d['title']}" if d.get("title") else "")),
                Text("\n".join(f"{w['reason']}: {w['detail']}" for w in d["why"])),
            )
        console.print(t)
    else:
        console.print(Text("Documents that need a look: none", style="bold"))

    if s.quarantined:
        t = _table("Quarantined inputs", "input", "reason", "message")
        for q in s.quarantined[:TERMINAL_LOOK_ROWS]:
            t.add_row(Text(q["path"]), Text(q["reason"]), Text(q["message"]))
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

    if s.history:
        columns = ("run", "finished", "seconds", "processed", "kept", "quarantined")
        t = _table("Run history", *columns, numeric=(0, 2, 3, 4, 5))
        for h in s.history:
            seconds = h.get("seconds")
            t.add_row(
                str(h.get("run")),
                Text(str(h.get("finished") or "-") + history_note(h)),
                f"{seconds:.1f}" if isinstance(seconds, int | float) else "-",
                *(str(h.get(k)) if h.get(k) is not None else "-" for k in ("processed", "kept", "quarantined")),
            )
        console.print(t)

    rows = stage_rows(s.stages)
    if rows:
        t = _table("Time per stage, over all runs", "stage", "seconds", "in", "out", numeric=(1, 2, 3))
        for key, sec, n_in, n_out in rows:
            t.add_row(Text(key), f"{sec:.2f}", str(n_in), str(n_out))
        console.print(t)
