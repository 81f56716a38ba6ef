"""Reload a rules file when it changes, swapping the compiled RuleSet without a restart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from keybus.routing.errors import RulesFileError
from keybus.routing.rules import RuleSet, load_rules

__all__ = ["RuleSetWatcher"]

logger = logging.getLogger(__name__)

_Signature = tuple[int, int, int]


def _signature(path: Path) -> _Signature:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


class RuleSetWatcher:
    """Hold the current RuleSet of a file and replace it when the file changes.

    A change is seen by the file's modification time, size or inode, so an editor that
    replaces the file by renaming is noticed too. A new file that fails to load keeps the
    old RuleSet in place and is logged at ERROR once per change.

    Args:
        path: The YAML rules file; it must load when the watcher is created.
        poll_interval_s: Seconds between checks of the background thread (`start`).
        on_reload: Called with the new RuleSet after each successful swap.

    Raises:
        RulesFileError: When the file does not load at creation.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        poll_interval_s: float = 2.0,
        on_reload: Callable[[RuleSet], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.poll_interval_s = poll_interval_s
        self._on_reload = on_reload
        # The signature is taken before loading, so a change in between is seen. A missing
        # file is left to load_rules, which raises RulesFileError naming it.
        self._signature = _signature(self.path) if self.path.exists() else (0, 0, 0)
        self._ruleset = load_rules(self.path)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ruleset(self) -> RuleSet:
        """The RuleSet in force; read it once per event or batch."""
        return self._ruleset

    def check(self) -> bool:
        """Reload the file if it changed; return True when a new RuleSet was swapped in."""
        try:
            signature = _signature(self.path)
        except OSError as exc:
            # A user's file problem: the message is the whole story, a traceback adds nothing.
            logger.error("rules file unreadable, keeping rules file=%s error=%s", self.path, exc)  # noqa: TRY400
            return False
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            ruleset = load_rules(self.path)
        except RulesFileError as exc:
            logger.error("rules file rejected, keeping %d rules: %s", len(self._ruleset), exc)  # noqa: TRY400
            return False
        self._ruleset = ruleset
        logger.info("rules reloaded file=%s rules=%d", self.path, len(ruleset))
        if self._on_reload is not None:
            self._on_reload(ruleset)
        return True

    def start(self) -> None:
        """Check the file every `poll_interval_s` seconds on a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rules-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and wait for it to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval_s):
            try:
                self.check()
            except Exception:
                # The watcher must outlive any one bad reload; the old rules stay in force.
                logger.exception("rules reload failed unexpectedly file=%s", self.path)
