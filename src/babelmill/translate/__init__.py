"""Offline translation to English: argos packages run directly on CTranslate2.

* :mod:`.packages` - find and read installed argos packages;
* :mod:`.install` - install argos packages safely (from a file or argostranslate's index);
* :mod:`.config` - the translate stage's options;
* :mod:`.loader` - each source language's model, loaded once per run;
* :mod:`.pieces` - a block's sentences (with placeholders) out and its English back in;
* :mod:`.sentences` - rule-based sentence splitting (no downloads);
* :mod:`.protect` - placeholders for URLs, handles, amounts, emoji, code;
* :mod:`.backend` - the CTranslate2 backend and the dedup/cache/batching layer;
* :mod:`.cache` - the persistent SQLite translation cache;
* :mod:`.quality` - per-block quality flags.
"""

from babelmill.translate.backend import Backend, BatchTranslator, CTranslate2Backend, DecodeOptions
from babelmill.translate.cache import TranslationCache
from babelmill.translate.install import UnsafeArchiveError, install_archive, install_online
from babelmill.translate.packages import ArgosPackage, ModelError, discover_packages, find_package
from babelmill.translate.protect import protect, restore
from babelmill.translate.sentences import split_sentences

__all__ = [
    "ArgosPackage",
    "BatchTranslator",
    "CTranslate2Backend",
    "DecodeOptions",
    "Backend",
    "ModelError",
    "TranslationCache",
    "UnsafeArchiveError",
    "discover_packages",
    "find_package",
    "install_archive",
    "install_online",
    "protect",
    "restore",
    "split_sentences",
]
