"""Connecting to Ray: importing it with a clear error, checking a cluster address before Ray's
endless retries, and keeping Ray's start-up notices that are noise for a run off the terminal."""

from __future__ import annotations

import logging
import socket

from babelmill.errors import RunError

# Ray logs on every local start that it turned on token authentication, its default, and how to
# turn it off; for the cluster a run starts itself that is noise (and an invitation to weaken
# it), so that one notice is dropped; every other Ray warning still shows
_RAY_AUTH_LOGGER = "ray._private.authentication.authentication_token_setup"


def _drop_token_default_notice(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Token authentication is enabled for this Ray cluster")


def quiet_local_start() -> None:
    """Before ``ray.init`` starts a local cluster for this run."""
    logging.getLogger(_RAY_AUTH_LOGGER).addFilter(_drop_token_default_notice)


def import_ray():
    try:
        import ray
    except ImportError:
        raise RunError(
            "--engine ray needs Ray, which is not installed: pip install 'babelmill[ray]' "
            "(or use the default --engine local)"
        ) from None
    return ray


def check_address(address: str, timeout: float = 10.0) -> None:
    """Fail at once, in one line, when ``--address`` names a ``host:port`` where nothing listens:
    ``ray.init`` retries such an address for ever, silent and deaf to Ctrl-C. ``auto``,
    ``local`` and forms other than ``[ray://]host:port`` are left to Ray."""
    host, sep, port = address.split("://", 1)[-1].rstrip("/").rpartition(":")
    if not sep or not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise RunError(
            f"--address {address}: no Ray cluster answers there ({exc.strerror or exc}); "
            "start one with `ray start --head`, or check the host and port"
        ) from None
