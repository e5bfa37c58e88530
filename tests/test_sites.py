"""Which site an input names (babelmill.sites): the rules a user relies on to get a site's
template lines counted per site, and the folder names that must not pass for a site."""

from __future__ import annotations

import pytest

from babelmill.clean.site_lines import site_key
from babelmill.document import Document
from babelmill.io.jsonl_input import parse_line
from babelmill.sites import folder_site, host_of, is_host_name, record_site, site_of


@pytest.mark.parametrize(
    "name",
    ["example.com", "www.spiegel.de", "news.bbc.co.uk", "sina.com.cn", "my-blog.github.io", "Example.COM", "zeit.de"],
)
def test_folders_named_as_hosts_are_sites(name):
    assert is_host_name(name)
    assert folder_site(f"dumps/{name}/1.txt") == name.lower().removeprefix("www.")


@pytest.mark.parametrize(
    "name",
    ["data.v2", "v1.2", ".git", "backup.old", "co.uk", "com", "pages", "2024.01.31", "a..com", "-bad.com",
     "my.folder", "data.json", "index.html", "run_1.com", "10.0.0.1", "x.tar"],
)  # fmt: skip
def test_folders_not_named_as_hosts_are_no_site(name):
    assert not is_host_name(name)
    assert folder_site(f"dumps/{name}/1.txt") is None
    assert folder_site(f"dumps/{name}/1.txt", any_name=True) == name.lower()  # read.site_from_folder = "always"


def test_a_file_at_the_top_of_the_input_folder_takes_that_folders_name(tmp_path):
    site = tmp_path / "example.org"
    site.mkdir()
    assert folder_site(str(site / "a.txt")) == "example.org"
    assert folder_site(str(site / "sub" / "a.txt")) is None  # only the parent folder counts


def test_the_site_field_comes_before_the_url_and_top_level_before_metadata():
    both = {"url": "https://www.a.org/1", "metadata": {"site": "b.org", "url": "https://c.org/2"}}
    assert record_site(both) == {"url": "https://www.a.org/1", "site": "b.org"}
    assert site_of(record_site(both)) == "b.org"
    assert site_of(record_site({"metadata": {"source_url": "http://News.C.org:8080/x"}})) == "news.c.org"
    assert site_of(record_site({"domain": "WWW.D.org"})) == "d.org"
    assert site_of(record_site({"site": "https://e.org/", "url": "https://f.org"})) == "e.org"
    # not strings, blank, or no host: no site, and nothing raises
    for record in ({"url": 5}, {"site": "  "}, {"url": "not a url"}, {"url": "http://[x"}, {"metadata": "m"}, {}):
        assert site_of(record_site(record)) is None, record


def test_hosts_of_urls_as_crawlers_write_them():
    assert host_of("https://user:pw@WWW.Example.com:443/a?q#f") == "example.com"
    assert host_of("//cdn.example.net/x") == "cdn.example.net"
    assert host_of("example.com/page") == "example.com"  # no scheme
    assert host_of("http://intranet/page") == "intranet"  # a scheme: any host
    assert host_of("intranet") is None and host_of("") is None


def test_a_jsonl_line_gives_the_strip_stage_its_site_and_keeps_the_fields_as_written():
    parsed = parse_line(b'{"id": 1, "text": "t", "metadata": {"url": "https://www.a.org/1", "dump": "x"}}', 1)
    assert parsed.extra == {"metadata": {"url": "https://www.a.org/1", "dump": "x"}}  # provenance as written
    assert parsed.place == {"url": "https://www.a.org/1"}
    assert site_key(Document(id="d", text="t", source=dict(parsed.place))) == "a.org"
    # the id field is read as the url too when the user names it so
    assert parse_line(b'{"url": "https://b.org/x", "text": "t"}', 1, id_field="url").place == {"url": "https://b.org/x"}
    assert site_key(Document(id="d", text="t", source={})) == "*"
