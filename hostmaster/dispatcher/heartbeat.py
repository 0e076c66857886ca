"""The heartbeat: renews the leases of a dispatcher's running tasks.

It renews every ``claim.renewal_interval(lease)`` seconds, and while the store does not answer
it tries again every half second to two seconds, so that the moment the store is back the
leases are pushed forward before anyone can judge them expired.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask

from . import claim
from .store_watch import Backoff, StoreWatch, forget_session, is_hiccup

log = logging.getLogger(__name__)

#: The longest wait between two renewal tries while the store is away.
RETRY_CAP_SECONDS = 2.0


class Heartbeat:
    """A daemon thread that renews the leases of the tasks ``running_ids()`` names."""

    def __init__(
        self,
        app: Flask,
        dispatcher_id: str,
        lease_seconds: float,
        running_ids: Callable[[], list[int]],
        watch: StoreWatch,
    ) -> None:
        self.app = app
        self.dispatcher_id = dispatcher_id
        self.lease_seconds = lease_seconds
        self.interval = claim.renewal_interval(lease_seconds)
        self.running_ids = running_ids
        self.watch = watch
        self._retry = Backoff(first=0.5, cap=RETRY_CAP_SECONDS)
        self._thread = threading.Thread(target=self._beat_forever, daemon=True, name="heartbeat")

    def start(self) -> None:
        """Start renewing in the background (for as long as the process lives)."""
        self._thread.start()

    def beat(self) -> bool:
        """Renew once; False when the store did not answer."""
        task_ids = self.running_ids()
        if not task_ids:
            return True
        started = time.monotonic()
        try:
            with self.app.app_context():
                try:
                    claim.renew(task_ids, self.dispatcher_id, self.lease_seconds)
                except Exception:
                    forget_session()
                    raise
        except Exception as error:
            if not is_hiccup(error):
                log.exception("renewing leases failed")
                return True  # a fault, not an outage: the normal interval, and a traceback
            self.watch.failed(error, started)
            return False
        self.watch.answered()
        return True

    def _beat_forever(self) -> None:
        wait = self.interval
        while True:
            time.sleep(wait)
            if self.beat():
                self._retry.reset()
                wait = self.interval
            else:
                wait = self._retry.next()
