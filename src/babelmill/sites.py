"""Which site an input document came from, as far as its input says.

The strip stage counts lines per site to find a site's template (:mod:`babelmill.clean.site_lines`),
so a run that knows the sites cleans mixed corpora better. An input says its site in one of three
ways, read in this order:

1. ``source.site``: a JSONL record's ``site`` or ``domain`` field (top level first, then under
   ``metadata``, as Dolma and datatrove keep crawl facts);
2. the host of ``source.url``: a JSONL record's ``url`` or ``source_url`` field (same order);
3. the input file's parent folder named as a host (``dumps/example.com/123.txt``), see
   :func:`folder_site` (the read stage sets ``source.site`` from it, ``read.site_from_folder``).

Dolma's top-level ``source`` names the data set ("common-crawl"), not a site: it is not read.
Otherwise a document has no site (``None``), and all such documents share one count. A site is
lower-cased, without a leading ``www.``; a ``site`` value that is a URL counts by its host.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any
from urllib.parse import urlsplit

#: the fields of a JSONL record that name its site / its page's URL, in the order they are read
SITE_FIELDS = ("site", "domain")
URL_FIELDS = ("url", "source_url")


def host_of(url: str) -> str | None:
    """The host of a URL, lower-cased, without ``www.``; a URL without a scheme is read as
    ``//URL`` (its host must hold a dot); ``None`` when there is no host.

    >>> host_of("https://WWW.Example.com:8080/a?b"), host_of("example.com/x"), host_of("not a url")
    ('example.com', 'example.com', None)
    """
    url = url.strip()
    bare = "://" not in url and not url.startswith("//")
    try:
        host = urlsplit("//" + url if bare else url).hostname
    except ValueError:  # a malformed IPv6 host ("http://[x")
        return None
    if not host or any(c.isspace() for c in host) or (bare and "." not in host):
        return None
    return host[4:] if host.startswith("www.") else host


def normalize_site(value: str) -> str | None:
    """A ``site`` value as counted: a URL or host by its host, a name lower-cased.

    >>> normalize_site("https://www.spiegel.de/"), normalize_site(" Der Spiegel "), normalize_site(" ")
    ('spiegel.de', 'der spiegel', None)
    """
    value = " ".join(value.split()).lower()
    if not value:
        return None
    if "://" in value or value.startswith("www."):
        return host_of(value) or value
    return value


def site_of(source: dict[str, Any]) -> str | None:
    """The site of a document's ``source`` (see the module docstring), ``None`` when unknown."""
    site = source.get("site")
    if isinstance(site, str) and (key := normalize_site(site)):
        return key
    url = source.get("url")
    if isinstance(url, str):
        return host_of(url)
    return None


def _first_string(record: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for part in (record, record.get("metadata")):
        if isinstance(part, dict):
            for name in names:
                value = part.get(name)
                if isinstance(value, str) and value.strip():
                    return value
    return None


def record_site(record: dict[str, Any]) -> dict[str, str]:
    """``{"url": ..., "site": ...}`` as a JSONL record gives them (see :data:`SITE_FIELDS`,
    :data:`URL_FIELDS`), each only when it is a non-blank string; values as written.

    >>> record_site({"text": "t", "metadata": {"url": "https://a.org/1", "domain": "a.org"}})
    {'url': 'https://a.org/1', 'site': 'a.org'}
    >>> record_site({"url": 7, "site": ""})
    {}
    """
    found = {"url": _first_string(record, URL_FIELDS), "site": _first_string(record, SITE_FIELDS)}
    return {k: v for k, v in found.items() if v is not None}


@cache
def _suffixes():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(accept_unknown=False)  # an unknown last label ("data.bak") is no host


def is_host_name(name: str) -> bool:
    """Whether a folder name is a host name: labels of letters, digits and inner hyphens, and
    a registrable domain under a suffix of the Public Suffix List (``example.com``,
    ``news.bbc.co.uk``); not ``data.v2``, ``v1.2``, ``.git``, ``backup.old`` or ``co.uk``.

    >>> [n for n in ("example.com", "www.spiegel.de", "data.v2", "v1.2", ".git", "backup.old", "co.uk")
    ...  if is_host_name(n)]
    ['example.com', 'www.spiegel.de']
    """
    labels = name.lower().split(".")
    if len(labels) < 2 or len(name) > 253:
        return False
    for label in labels:
        if not label or len(label) > 63 or not label.replace("-", "").isalnum() or label[0] == "-" or label[-1] == "-":
            return False
    return _suffixes().privatesuffix(name.lower()) is not None


def folder_site(path: str, any_name: bool = False) -> str | None:
    """The site of an input file from its parent folder's name, when that is a host name
    (:func:`is_host_name`; with ``any_name`` whatever it is), else ``None``.

    >>> folder_site("dumps/www.Example.com/123.txt"), folder_site("dumps/data.v2/1.txt")
    ('example.com', None)
    >>> folder_site("dumps/Spiegel/1.txt", any_name=True)
    'spiegel'
    """
    name = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return normalize_site(name) if any_name or is_host_name(name) else None


__all__ = ["folder_site", "host_of", "is_host_name", "normalize_site", "record_site", "site_of"]
