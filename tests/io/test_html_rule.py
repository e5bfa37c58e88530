"""The HTML rule sees through what precedes ``<!DOCTYPE html>`` or ``<html>`` in saved pages: an
XML declaration (XHTML) and comments (the ``<!-- saved from url=... -->`` line browsers write).
Before, such a page with a head longer than 512 characters was read as plain text, tags and all."""

from __future__ import annotations

from pathlib import Path

import pytest

from babelmill.io.read import looks_like_html
from tests.stages.test_read import read_bytes

HEAD = (
    '<head>\n<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n'
    + '<meta name="description" content="Die Bundesregierung hat ein neues Gesetz beschlossen." />\n' * 8
    + "<title>Neues Gesetz</title>\n</head>\n"
)
BODY = "<body>\n<h1>Neues Gesetz</h1>\n<p>Die Bundesregierung hat am Mittwoch ein Gesetz beschlossen.</p>\n</body>\n"
PAGES = {
    "xhtml": '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">\n',
    "xml_declaration_then_html": '<?xml version="1.0"?>\n<html>\n',
    "saved_from_comment": "<!-- saved from url=(0041)https://www.example.com/news/article.html -->\n"
    "<!DOCTYPE html>\n<html>\n",
    "comments_before_html": "<!-- a -->\n\n<!--\n b \n-->\n<html>\n",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_page_after_a_prologue_is_html(tmp_path: Path, name: str):
    page = PAGES[name] + HEAD + BODY + "</html>\n"
    assert "<body" not in page[:512]
    assert looks_like_html(page)
    doc = read_bytes(tmp_path, page.encode(), name="page.xhtml")
    assert "<" not in doc.text and "Die Bundesregierung hat am Mittwoch" in doc.text


@pytest.mark.parametrize(
    "text",
    [
        "<!-- a note -->\nThe council met on Tuesday. Use <b>bold</b> here.\n",
        "<?xml version='1.0'?>\n<rss><channel><title>Feed</title></channel></rss>\n",
        "<!-- never closed\n<html>\n",
    ],
)
def test_text_after_a_comment_or_other_xml_is_not_html(text: str):
    assert not looks_like_html(text)
