"""Time in the service time zone. One place to ask "now", so tests can move the clock.

Instants are returned aware and in UTC: Tortoise stores what `update()` is given as it is, and
SQLite compares stored datetimes as text, so one offset everywhere keeps comparisons right.
Dates (`today`) and wall-clock times (`at`) are read in the service time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

_tz = ZoneInfo("Asia/Shanghai")
_offset = dt.timedelta(0)


def configure(tz: ZoneInfo) -> None:
    global _tz
    _tz = tz


def tz() -> ZoneInfo:
    return _tz


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return dt.datetime.now(dt.UTC) + _offset


def local(moment: dt.datetime) -> dt.datetime:
    """`moment` on the service time zone's wall clock."""
    return moment.astimezone(_tz)


def today() -> dt.date:
    """Today's date in the service time zone."""
    return local(now()).date()


def at(day: dt.date, hhmm: str) -> dt.datetime:
    """The instant (UTC) when it is "HH:MM" on `day` in the service time zone."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=_tz).astimezone(dt.UTC)


def shift(delta: dt.timedelta) -> None:
    """Move the service clock (tests and the simulator use this; the server never does)."""
    global _offset
    _offset = delta
