"""Loopback ports for tests of connection failures."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

__all__ = ["unresponsive_port"]

_FILLERS_MAX = 8
_FILLER_TIMEOUT_S = 0.2


@contextlib.contextmanager
def unresponsive_port() -> Iterator[int]:
    """Yield a loopback port where a TCP connect times out, as at a host that drops packets.

    The port listens with a backlog of 0 and never accepts, and connections from this
    function fill that backlog. Linux then drops further connection requests, so a
    client neither connects nor is refused until its own timeout.

    NOTE: other systems may refuse such connections instead, so that a test gets an
    immediate refusal. This function raises RuntimeError when the backlog never fills.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port: int = server.getsockname()[1]
        with contextlib.ExitStack() as fillers:
            for _attempt in range(_FILLERS_MAX):
                filler = fillers.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                filler.settimeout(_FILLER_TIMEOUT_S)
                try:
                    filler.connect(("127.0.0.1", port))
                except TimeoutError:
                    break
            else:
                raise RuntimeError(
                    f"The listen backlog of loopback port {port} did not fill after "
                    f"{_FILLERS_MAX} connections, so connections to it would not time out."
                )
            yield port
