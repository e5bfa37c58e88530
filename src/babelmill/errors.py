"""Errors that several layers raise; this module imports nothing from babelmill.

* :class:`ConfigError` - a pipeline TOML (or a stage option) is wrong; reported before any work.
* :class:`StageStateError` - a stage's persisted state does not fit the current configuration.
* :class:`SinkError` - the output holds a corpus in another layout, or a format's library is missing.
* :class:`RunError` - the run itself cannot go on (bad config, output not writable or in use).

The CLI turns each into one line on stderr and exit status 1.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration file or option is invalid; the message names the file and key."""


class StageStateError(RuntimeError):
    """A stage's persisted state cannot be used with the current configuration.

    The runner reports it as a run error; the message should say what to do (usually
    ``--rebuild``)."""


class SinkError(RuntimeError):
    """The output directory holds a corpus in another layout, or a format's library is missing."""


class RunError(RuntimeError):
    """The run itself cannot go on (bad config, output not writable, output in use)."""


__all__ = ["ConfigError", "RunError", "SinkError", "StageStateError"]
