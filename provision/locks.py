"""One web server's configuration changes, one at a time and clear of a reload in progress.

The dispatcher runs several tasks at once, and each may change the same web server's
configuration; without a lock one task's configuration test would see another's half-done
files. And ``apache2ctl graceful`` returns before Apache has re-read its configuration (about
0.1 s later here): a change written in that moment is read by the reload, and a broken one
stops Apache for every site. So the lock file also records when the server was last reloaded,
and the next change waits until ``settle`` seconds have passed since then.

The lock is an fcntl lock on a file of this machine: every provision process that changes a
server's configuration runs here, whichever server it configures.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType


class ConfigLock:
    """``with ConfigLock(path, settle) as lock: ...write, test...; lock.reloaded()``."""

    def __init__(self, path: Path, settle: float) -> None:
        self.path = Path(path)
        self.settle = settle
        self._fd: int | None = None
        self._reloaded_at: float | None = None

    def __enter__(self) -> ConfigLock:
        # The lock lives on the master, also for a remote server's configuration.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            last = float(os.pread(self._fd, 64, 0).decode() or 0)
        except ValueError:
            last = 0.0
        wait = last + self.settle - time.time()
        if wait > 0:
            time.sleep(min(wait, self.settle))
        return self

    def reloaded(self) -> None:
        """Record that the web server was just told to reload."""
        self._reloaded_at = time.time()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._fd is not None
        try:
            if self._reloaded_at is not None:
                os.ftruncate(self._fd, 0)
                os.pwrite(self._fd, repr(self._reloaded_at).encode(), 0)
        finally:
            os.close(self._fd)  # closing releases the lock
            self._fd = None
