"""The ``X -> en`` model of each source language, found and loaded once per run.

A language without an installed package, or whose package fails to load, gets no model and a
reason (``no_model_installed`` / ``model_load_failed``): its blocks stay pending with a note
saying what to do. Unreadable packages, and a package that is read but fails to load (a
damaged ``model.bin`` or tokenizer), are reported once (one warning line each, through the
run's ``warn``, which ``-q`` silences).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babelmill.printable import printable
from babelmill.translate.backend import Backend, CTranslate2Backend, DecodeOptions
from babelmill.translate.config import TranslateConfig
from babelmill.translate.models import TARGET
from babelmill.translate.packages import ArgosPackage, ModelError, discover_packages, find_package
from babelmill.translate.pending import install_hint


@dataclass
class Loaded:
    backend: Backend | None
    package: ArgosPackage | None
    reason: str  # why backend is None: no_model_installed | model_load_failed
    error: str = ""

    def note(self, code: str) -> str:
        """What a pending block of this language says about its model."""
        if self.reason == "model_load_failed" and self.package is not None:
            return f"the {code}->{TARGET} model at {self.package.path} failed to load ({self.error})"
        return install_hint(code)


class ModelLoader:
    """Loads each language's model on first use, with the stage's options and run context;
    ``count`` receives the stage's counters (models loaded, load failures, unreadable packages)."""

    def __init__(
        self,
        config: TranslateConfig,
        models_dir: str | None,
        device: str | None,
        cpus: int | None,
        count: Callable[..., None],
        pinned: dict[str, Backend | None] | None = None,
        warn: Callable[[str], None] | None = None,
    ):
        self.config = config
        self.models_dir = models_dir
        self.device = device
        self.cpus = cpus
        self.count = count
        self.warn = warn or (lambda message: print(f"babelmill: warning: {printable(message)}", file=sys.stderr))
        self.loaded: dict[str, Loaded] = {}
        for code, backend in (pinned or {}).items():
            self.loaded[code] = Loaded(backend, None, "" if backend is not None else "no_model_installed")
        self._packages_checked = False

    def get(self, code: str) -> Loaded:
        if code in self.loaded:
            return self.loaded[code]
        cfg = self.config
        self._warn_unreadable_packages()
        package = find_package(code, TARGET, self.models_dir)
        if package is None:
            loaded = Loaded(None, None, "no_model_installed")
        else:
            try:
                backend = CTranslate2Backend(
                    package,
                    device=self.device or cfg.device,
                    compute_type=cfg.compute_type,
                    inter_threads=cfg.inter_threads,
                    intra_threads=cfg.intra_threads,
                    cpus=self.cpus,
                    options=DecodeOptions(
                        beam_size=cfg.beam_size,
                        max_batch_tokens=cfg.max_batch_tokens,
                        max_decoding_length=cfg.max_decoding_length,
                        max_decoding_ratio=cfg.max_decoding_ratio,
                    ),
                )
                loaded = Loaded(backend, package, "")
                self.count(f"model_loaded_{code}")
            except Exception as exc:  # noqa: BLE001 - a broken model leaves its blocks pending
                loaded = Loaded(None, package, "model_load_failed", str(exc))
                self.count("model_load_failed")
                # else a damaged model is seen only in the records' notes and in -v counters
                self.warn(f"{loaded.note(code)}; its blocks stay pending (reinstall the package to translate them)")
        self.loaded[code] = loaded
        return loaded

    def require(self, code: str) -> Backend:
        """The model, or :class:`ModelError` saying what to do when there is none."""
        loaded = self.get(code)
        if loaded.backend is None:
            raise ModelError(loaded.note(code))
        return loaded.backend

    def _warn_unreadable_packages(self) -> None:
        """One stderr line per installed package that cannot be read (it is skipped; the other
        languages' packages are used as usual); none with ``-q``."""
        if self._packages_checked:
            return
        self._packages_checked = True
        _, problems = discover_packages(self.models_dir)
        for problem in problems:
            self.count("packages_unreadable")
            self.warn(problem)

    def models_used(self) -> dict[str, Any]:
        """The translation packages loaded: name -> pair, version, device, compute type (the
        manifest records where and at which precision the corpus was translated), source language."""
        used: dict[str, Any] = {}
        for code, loaded in sorted(self.loaded.items()):
            if loaded.package is None or loaded.backend is None:
                continue
            pkg = loaded.package
            used[pkg.name] = {
                "pair": pkg.pair,
                "version": pkg.version,
                "device": getattr(loaded.backend, "device", None),
                "compute_type": getattr(loaded.backend, "compute_type", None),
                "source_language": code,
            }
        return used
