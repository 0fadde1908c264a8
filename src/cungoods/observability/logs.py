"""Structured logs: one JSON object per line, carrying the request id, viewer id and GraphQL
operation of the request that logged it.

The request context lives in context variables: the HTTP middleware sets the request id, the
GraphQL extension the viewer and the operation. Every log record made while serving that request
(ours, strawberry's, uvicorn's access line) picks them up in the formatter, so no call site passes
them along.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("cungoods_request_id", default=None)
viewer_id_var: ContextVar[int | None] = ContextVar("cungoods_viewer_id", default=None)
operation_var: ContextVar[str | None] = ContextVar("cungoods_operation", default=None)

# What every LogRecord has; anything else on a record came from `extra=` and is logged too.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "color_message", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the request context, any
    `extra=` fields, and the exception with its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = {
            "request_id": request_id_var.get(),
            "viewer_id": viewer_id_var.get(),
            "operation": operation_var.get(),
        }
        entry.update({key: value for key, value in context.items() if value is not None})
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["error"] = f"{type(error).__name__}: {error}"
            entry["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, level: str = "INFO", json_format: bool = True) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the server process (also uvicorn's `log_config`): our
    loggers, uvicorn's and the root all write JSON lines (or plain text) to stderr."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if json_format
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            # uvicorn's own handlers would print each line a second time in its own format.
            name: {"handlers": [], "level": level, "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_if_unset(*, level: str = "INFO", json_format: bool = True) -> None:
    """Give the process JSON logs unless something (a test runner, `cungoods serve`'s
    `log_config`) already set up the root logger."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_format else logging.Formatter())
    root.addHandler(handler)
    root.setLevel(level)
