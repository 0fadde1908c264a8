"""Time in the service time zone. One place to ask "now", so tests can move the clock."""

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
    """The current time, aware, in the service time zone."""
    return dt.datetime.now(_tz) + _offset


def today() -> dt.date:
    return now().date()


def at(day: dt.date, hhmm: str) -> dt.datetime:
    """`day` at local time "HH:MM" in the service time zone."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=_tz)


def shift(delta: dt.timedelta) -> None:
    """Move the service clock (tests and the simulator use this; the server never does)."""
    global _offset
    _offset = delta
