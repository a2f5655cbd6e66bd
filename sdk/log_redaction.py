"""No secret in any log line: credentials are masked in every log record before any handler sees it.

:func:`install` (called by the host's app factory and by the CLI, so ``scrm serve`` and ``scrm worker`` both have it)
wraps the logging record factory, so every record of every logger (httpx's request lines with
``?corpsecret=...&access_token=...`` included) is redacted once, where it is made; handlers added later (a
deployment's, pytest's) see only the redacted text. :class:`RedactingFilter` does the same for a handler of its own.

A value is masked when its name ends like a credential (``corpsecret``, ``secret``, ``access_token``, ``token``,
``sign``, ``signature``, ``key``, ``EncodingAESKey``, ``password``, ``ticket`` ...) in a query string, a form, JSON or a
Python mapping (``name=value``, ``"name": "value"``, ``'name': 'value'``), and after ``Bearer`` or ``Basic``.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "[REDACTED]"
SECRET_NAMES = r"[\w-]*?(?:secret|token|password|passwd|pwd|sign|signature|key|ticket|credential)"

_FIELD = re.compile(
    rf"(?P<name>(?<![\w-]){SECRET_NAMES})(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\"'\s&,;}}\]<>)]+)",
    re.IGNORECASE)
_AUTH = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+(?P<value>[A-Za-z0-9._~+/=-]+)", re.IGNORECASE)

_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """``text`` with every credential value replaced by ``[REDACTED]``."""
    if not text:
        return text
    text = _FIELD.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    return _AUTH.sub(lambda m: f"{m['scheme']} {MASK}", text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the record's message (arguments merged in), exception text and stack in place; returns the record."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: the handler reports it as usual
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """A logging filter masking credentials in each record it passes (it never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install() -> None:
    """Redact every log record of this process from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        make = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return redact_record(make(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True
