"""The log of one provision run: JSON lines for the dispatcher, ``[level] message`` for people.

The logger remembers whether an error or a warning was logged (the task's final status comes
from that) and masks the values of secret properties it has been told about, so that a
password never reaches a task log, whatever message carries it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

LEVELS = ("debug", "info", "notice", "ok", "success", "warning", "error")
MASK = "********"


class OutputClosed(SystemExit):
    """Standard output or error was closed (the dispatcher died): provision must stop now."""


class Logger:
    """Writes log lines and the result line of one run.

    In backend mode everything goes to ``out`` as JSON lines, flushed one by one so the
    dispatcher can show the log while the command runs. Otherwise log lines go to ``err`` as
    ``[level] message`` (debug lines only when ``show_debug``) and the result to ``out`` as
    indented JSON.
    """

    def __init__(
        self,
        *,
        backend: bool,
        out: TextIO | None = None,
        err: TextIO | None = None,
        show_debug: bool = False,
    ) -> None:
        self.backend = backend
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.show_debug = show_debug
        self.had_error = False
        self.had_warning = False
        self._secrets: set[str] = set()

    # Secrets -----------------------------------------------------------------------------

    def add_secret(self, value: object) -> None:
        """Never show ``value`` (a password) in anything this logger writes from now on."""
        if value is None or isinstance(value, bool):
            return
        text = str(value)
        if text:
            self._secrets.add(text)
            # A secret inside a JSON-encoded message appears with its quotes escaped.
            self._secrets.add(json.dumps(text)[1:-1])

    def mask(self, text: str) -> str:
        """``text`` with every known secret replaced by ``********``."""
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def mask_data(self, data: Any) -> Any:
        """A copy of a JSON-like structure with secrets masked in every string."""
        if isinstance(data, str):
            return self.mask(data)
        if isinstance(data, dict):
            return {self.mask(str(key)): self.mask_data(value) for key, value in data.items()}
        if isinstance(data, list | tuple):
            return [self.mask_data(item) for item in data]
        return data

    # Log lines ---------------------------------------------------------------------------

    def log(self, level: str, message: str) -> None:
        """Write one log line at ``level`` (one of :data:`LEVELS`)."""
        if level not in LEVELS:
            raise ValueError(f"unknown log level {level!r}")
        if level == "error":
            self.had_error = True
        elif level == "warning":
            self.had_warning = True
        message = self.mask(str(message))
        if self.backend:
            line = {"type": "log", "level": level, "message": message, "time": time.time()}
            self._write(self.out, json.dumps(line) + "\n")
        elif level != "debug" or self.show_debug:
            self._write(self.err, f"[{level}] {message}\n")

    def debug(self, message: str) -> None:
        """Detail for whoever debugs provision (tracebacks, commands run)."""
        self.log("debug", message)

    def info(self, message: str) -> None:
        """What provision is doing."""
        self.log("info", message)

    def notice(self, message: str) -> None:
        """Something worth a second look that is not a problem."""
        self.log("notice", message)

    def ok(self, message: str) -> None:
        """A check passed."""
        self.log("ok", message)

    def success(self, message: str) -> None:
        """A step of the command finished well."""
        self.log("success", message)

    def warning(self, message: str) -> None:
        """Something is wrong but the command could go on; the task ends as a warning."""
        self.log("warning", message)

    def error(self, message: str) -> None:
        """The command failed; the task ends as an error."""
        self.log("error", message)

    # The result --------------------------------------------------------------------------

    def result(self, error_status: int, context: dict[str, Any], obj: dict[str, Any]) -> None:
        """Write the result line; call it exactly once, last."""
        result = self.mask_data(
            {"type": "result", "error_status": error_status, "context": context, "object": obj}
        )
        if self.backend:
            self._write(self.out, json.dumps(result) + "\n")
        else:
            self._write(self.out, json.dumps(result, indent=2, sort_keys=True) + "\n")

    def _write(self, stream: TextIO, text: str) -> None:
        try:
            stream.write(text)
            stream.flush()
        except BrokenPipeError:
            # The reader is gone (the dispatcher died or was killed). Point the stream's file
            # descriptor at /dev/null, as the Python documentation advises, so that the
            # interpreter's own flush at exit does not fail again; then stop.
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError):
                pass  # a stream without a file descriptor (tests) needs nothing more
            raise OutputClosed(1) from None
