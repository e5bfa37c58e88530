"""Bylines: names only, English and German, several authors; cases kept as data
(tests/cases/byline_cases.json), real dev pages and the seeds through the strip stage."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from babelmill.clean.byline import credit_line, is_person_name, parse_byline
from babelmill.document import Document
from babelmill.stages.strip import StripStage

HERE = Path(__file__).parents[1]
CASES = json.loads((HERE / "cases" / "byline_cases.json").read_text(encoding="utf-8"))["cases"]
# ../shared/dev beside the clone (CI), or beside the folder of worktrees
DEV = next((p for p in (HERE.parents[1] / "shared" / "dev", HERE.parents[2] / "shared" / "dev") if p.is_dir()), None)


@pytest.mark.parametrize("case", CASES, ids=[c["input"][:40] for c in CASES])
def test_byline_case(case: dict) -> None:
    got = parse_byline(case["input"])
    if case["authors"] is None:
        assert got is None, f"not a byline: {case['input']!r} gave {got}"
        return
    assert got is not None
    assert got.authors == case["authors"]
    assert got.attribution == case.get("attribution")
    assert got.date == case.get("date")
    for name in got.authors:
        assert not any(ch.isdigit() for ch in name) and not name.casefold().startswith(("by ", "von "))


def test_names_reject_sentences_and_places() -> None:
    assert is_person_name("Ursula von der Leyen") and is_person_name("张三")
    assert not is_person_name("Berlin nach München") and not is_person_name("von")
    assert not is_person_name("Jane Smith 2023")


def test_credit_line_needs_an_agency_and_full_names() -> None:
    b = credit_line("Francois Murphy | Reuters")
    assert b is not None and b.authors == ["Francois Murphy"] and b.attribution == "Reuters"
    assert credit_line("Home | Reuters") is None
    assert credit_line("Sports | News") is None


def strip(text: str) -> Document:
    return next(iter(StripStage().process(Document(id="t", text=text))))


ART = [
    "Der Stadtrat hat am Dienstag nach einer langen Debatte den neuen Haushalt beschlossen, der vieles ändert.",
    "Mehrere Mitglieder hatten argumentiert, dass der Plan nicht genug für den Nahverkehr tue und zu teuer sei.",
    "Die Bürgermeisterin sagte, sie sei mit dem Ergebnis zufrieden und werde nun mit den Gewerkschaften verhandeln.",
]


def test_german_von_phrase_is_no_author() -> None:
    line = "Von Berlin nach München in vier Stunden"
    doc = strip("\n".join(["Neue Bahnstrecke eröffnet", line, *ART]))
    assert "author" not in doc.metadata


def test_several_authors_and_the_date_under_the_byline() -> None:
    doc = strip(
        "\n".join(["Neue Bahnstrecke eröffnet", "Von Dominik Bath und Theresa Martus", "06.11.2023, 15:20 Uhr", *ART])
    )
    assert doc.metadata["authors"] == ["Dominik Bath", "Theresa Martus"]
    assert doc.metadata["author"] == "Dominik Bath, Theresa Martus"
    assert doc.metadata["published"] == "2023-11-06T15:20"
    assert "Von Dominik Bath und Theresa Martus" not in doc.body_text()


def test_english_byline_with_agency_and_role_line() -> None:
    doc = strip("\n".join(["Budget passes after long debate", "By DOUG FERGUSON, AP", "AP Golf Writer", *ART]))
    assert doc.metadata["authors"] == ["DOUG FERGUSON"] and doc.metadata["attribution"] == "AP"
    assert "AP Golf Writer" not in doc.body_text()


# real pages: (folder, page, authors); German "Von ..." bylines under a dek or a long menu
DEV_PAGES = [
    ("snippets", "031", ["Isabella.DiBiase"]),
    ("snippets", "044", ["Markus Balser"]),
    ("snippets", "055", ["Julia Müller"]),
    ("snippets", "057", ["Andreas Floemer"]),
    ("boilerplate2", "0003", ["DOUG FERGUSON"]),
    ("boilerplate2", "0017", ["Francois Murphy"]),
]


@pytest.mark.skipif(DEV is None, reason="../shared/dev not present")
@pytest.mark.parametrize(("folder", "page", "authors"), DEV_PAGES)
def test_dev_page_authors(folder: str, page: str, authors: list[str]) -> None:
    doc = strip((DEV / folder / f"{page}.txt").read_text(encoding="utf-8"))
    assert doc.metadata.get("authors") == authors


@pytest.mark.skipif(DEV is None, reason="../shared/dev not present")
def test_dev_von_phrase_is_no_author() -> None:
    # "Von Rechts wegen" heads a section of this page; the author is credited further down
    doc = strip((DEV / "snippets" / "053.txt").read_text(encoding="utf-8"))
    assert doc.metadata.get("authors") == ["Dennis Tölle"]


def test_seed_authors_are_names_and_dates_parse() -> None:
    for path in sorted((HERE.parent / "seeds").glob("*.txt")):
        md = strip(path.read_text(encoding="utf-8")).metadata
        for name in md.get("authors", []):
            assert is_person_name(name), (path.name, name)
        pub = md.get("published")
        if isinstance(pub, str):
            datetime.fromisoformat(pub)
        elif pub is not None:
            assert set(pub) == {"year", "month", "day", "time", "raw"}
