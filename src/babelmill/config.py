"""Pipeline configuration: ``pipeline/*.toml`` -> ordered stages with typed options.

Defaults live in each stage's ``Config`` dataclass; a TOML file overrides them::

    [pipeline]
    stages = ["read", "repair", "strip", "detect", "translate", "normalize", "dedup"]

    [stages.dedup]
    threshold = 0.8

Every mistake (unknown stage, unknown key, wrong type) is reported before any work starts,
naming the file, the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelmill.errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parent


def pipeline_dir() -> Path:
    """The ``pipeline/`` folder: inside the installed wheel, or at the top of a source checkout."""
    for candidate in (PACKAGE_ROOT / "pipeline", PACKAGE_ROOT.parents[1] / "pipeline"):
        if (candidate / "default.toml").is_file():
            return candidate
    raise ConfigError("the default pipeline/ folder is missing from this installation")


def resolve_rule_path(rel: str | Path, base_dir: Path | None = None) -> Path:
    """A rule file named in a config: absolute, or relative to the config file's folder.

    A relative name that is not there falls back to the packaged ``pipeline/`` folder, so a
    config copied elsewhere to change one option still finds the default rule files; a name in
    neither place is returned beside the config, where the error about it should point.
    """
    p = Path(rel)
    if p.is_absolute():
        return p
    if base_dir is not None and (Path(base_dir) / p).exists():
        return Path(base_dir) / p
    packaged = pipeline_dir() / p
    if base_dir is not None and not packaged.exists():
        return Path(base_dir) / p  # in neither: an error names it where the config put it
    return packaged


@dataclass
class PipelineConfig:
    path: Path
    stages: list[str]
    options: dict[str, Any] = field(default_factory=dict)  # stage key -> Config instance
    raw: dict[str, Any] = field(default_factory=dict)
    output: Any = None  # babelmill.io.sinks.OutputConfig from the [output] table (not part of sha256)

    def stage_config(self, key: str) -> Any:
        """The options of stage ``key``: from the pipeline, or, for a stage the pipeline does not
        run (``babelmill clean`` and ``detect`` run a few stages), built from its table."""
        if key in self.options:
            return self.options[key]
        from babelmill.registry import get_stage_class

        values = (self.raw.get("stages") or {}).get(key, {})
        return build_stage_config(get_stage_class(key), values, f"{self.path} [stages.{key}]")

    def resolved(self) -> dict[str, Any]:
        """The full effective configuration, defaults included (kept in the manifest)."""
        return {
            "stages": list(self.stages),
            "options": {k: _jsonable(dataclasses.asdict(v)) for k, v in self.options.items()},
        }

    def sha256(self) -> str:
        blob = json.dumps(self.resolved(), sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _type_ok(value: Any, annotation: Any) -> bool:
    if isinstance(annotation, str):  # postponed annotations
        annotation = eval(annotation, vars(typing) | {"Path": Path})  # noqa: S307 - our own code
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return isinstance(value, list) and (not args or all(_type_ok(v, args[0]) for v in value))
    if origin is dict:
        return isinstance(value, dict)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def _type_name(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def _renamed(values: dict[str, Any], renamed: dict[str, str], where: str) -> dict[str, Any]:
    if not any(old in values for old in renamed):
        return values
    out = dict(values)
    for old, new in renamed.items():
        if old not in out:
            continue
        if new in out:
            raise ConfigError(f"{where}: {old!r} is the old name of {new!r}; give only {new!r}")
        out[new] = out.pop(old)
        print(
            f"babelmill: warning: {where}: {old!r} is deprecated, write {new} = {json.dumps(out[new])} instead "
            "(the old name is still read for now)",
            file=sys.stderr,
        )
    return out


def build_stage_config(stage_cls: type, values: dict[str, Any], where: str) -> Any:
    """Instantiate ``stage_cls.Config`` from TOML values, checking names and types.

    A key the config class lists in ``renamed_keys`` (old name -> new) is read under its new name,
    with one warning line on stderr saying what to write instead."""
    cfg_cls = stage_cls.Config
    fields = {f.name: f for f in dataclasses.fields(cfg_cls)}
    values = _renamed(values, getattr(cfg_cls, "renamed_keys", {}), where)
    for key, value in values.items():
        if key not in fields:
            known = ", ".join(sorted(fields)) or "(none)"
            raise ConfigError(f"{where}: unknown key {key!r} for stage {stage_cls.key!r}; expected one of: {known}")
        if not _type_ok(value, fields[key].type):
            raise ConfigError(
                f"{where}: key {key!r} of stage {stage_cls.key!r} must be {_type_name(fields[key].type)}, "
                f"got {type(value).__name__} {value!r}"
            )
    try:
        return cfg_cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def load_config(path: str | Path | None = None, stages_optional: bool = False) -> PipelineConfig:
    """Read and validate a pipeline TOML file (the packaged default when ``path`` is None).

    ``stages_optional``: a file without ``[pipeline] stages`` runs every known stage (for
    ``babelmill clean`` / ``detect``, which take only some ``[stages.*]`` tables from it)."""
    from babelmill.registry import get_stage_class, known_stages

    path = Path(path) if path else pipeline_dir() / "default.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:  # a directory, no permission, ...
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    for key in raw:
        if key not in ("pipeline", "stages", "output"):
            raise ConfigError(
                f"{path}: unknown top-level table [{key}]; expected [pipeline], [stages.<name>] and [output]"
            )
    pipeline = raw.get("pipeline", {})
    for key in pipeline:
        if key != "stages":
            raise ConfigError(f"{path}: unknown key {key!r} in [pipeline]; expected 'stages'")
    stages = pipeline.get("stages")
    if stages is None and stages_optional:
        stages = list(known_stages())
    if stages is None:
        # a file with only the [stages.X] options to change: say what it lacks, not what a list is
        names = ", ".join(f'"{s}"' for s in known_stages())
        raise ConfigError(
            f"{path}: no [pipeline] stages: a pipeline file names its stages in order, e.g. "
            f"stages = [{names}] (copy pipeline/default.toml and change what you need)"
        )
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages) or not stages:
        raise ConfigError(f"{path}: [pipeline] stages must be a non-empty list of stage names")
    for name in stages:
        if name not in known_stages():
            raise ConfigError(f"{path}: unknown stage {name!r}; known stages: {', '.join(known_stages())}")
    _check_order(stages, path)
    sections = raw.get("stages", {})
    options: dict[str, Any] = {}
    for name, values in sections.items():
        if name not in known_stages():
            raise ConfigError(f"{path}: [stages.{name}] names an unknown stage; known: {', '.join(known_stages())}")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [stages.{name}] must be a table")
    for name in stages:
        cls = get_stage_class(name)
        options[name] = build_stage_config(cls, sections.get(name, {}), f"{path} [stages.{name}]")
    for name in sections:
        if name not in stages:  # not run, but a typo in it is still a typo (and clean/detect read it)
            build_stage_config(get_stage_class(name), sections[name], f"{path} [stages.{name}]")
    output = _output_config(raw.get("output", {}), path)
    return PipelineConfig(path=path, stages=list(stages), options=options, raw=raw, output=output)


def _check_order(stages: list[str], path: Path) -> None:
    """Each stage once and in the order the stages depend on one another (a subset may be left
    out): detect before strip finds no blocks to judge, so nothing would be translated, silently."""
    from babelmill.registry import known_stages

    order = known_stages()
    for i, name in enumerate(stages):
        if name in stages[:i]:
            raise ConfigError(f"{path}: [pipeline] stages names {name!r} twice")
        later = [s for s in stages[:i] if order.index(s) > order.index(name)]
        if later:
            raise ConfigError(
                f"{path}: [pipeline] stages: {name!r} must come before {later[0]!r} "
                f"(the stages run in this order: {', '.join(order)}; any may be left out)"
            )


def check_runnable(cfg: PipelineConfig) -> list[str]:
    """What ``babelmill run`` needs of the stage list beyond :func:`load_config`'s checks: ``read``
    (every later stage works on the text it decodes; without it every input is quarantined). Returns
    warnings: ``translate`` without ``detect`` runs, but no block has a language, so nothing is
    translated or marked pending."""
    if cfg.stages[0] != "read":
        raise ConfigError(f"{cfg.path}: [pipeline] stages must start with 'read' (it decodes the inputs for the rest)")
    warnings = [
        f"{cfg.path}: [stages.{name}] is set, but {name!r} is not in [pipeline] stages: its options are not used"
        for name in (cfg.raw.get("stages") or {})
        if name not in cfg.stages
    ]
    if "translate" in cfg.stages and "detect" not in cfg.stages:
        warnings.append(
            f"{cfg.path}: [pipeline] stages has 'translate' without 'detect': no block gets a language, "
            "so nothing is translated or marked pending"
        )
    return warnings


def _output_config(values: Any, path: Path) -> Any:
    """The [output] table (corpus format and shard size), checked like a stage's options."""
    from babelmill.io.sinks import OutputConfig

    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [output] must be a table")
    fields = {f.name for f in dataclasses.fields(OutputConfig)}
    for key in values:
        if key not in fields:
            raise ConfigError(f"{path}: unknown key {key!r} in [output]; expected one of: {', '.join(sorted(fields))}")
    try:
        return OutputConfig(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path} [output]: {exc}") from exc
