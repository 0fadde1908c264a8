"""The viewer's notification inbox: read it newest first, count what is unread, mark read, and
choose the language notifications are written in. The rows themselves are written by the
outbox with their event (events/notices.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from cungoods.events.notice_texts import LANGUAGES
from cungoods.models import Notification, User
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.errors import invalid
from cungoods.services.pagination import Page, PageArgs, page

MAX_IDS = 100


@dataclass(frozen=True)
class ReadResult:
    marked: int  # how many were unread and are read now
    unread: int  # how many are still unread


async def my_notifications(
    *, viewer: Viewer | None, page_args: PageArgs, unread_only: bool, max_size: int
) -> Page[Notification]:
    """The viewer's notifications, newest first; only the unread ones if asked."""
    signed_in = require_viewer(viewer)
    query = Notification.filter(user_id=signed_in.id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    return await page(query, window=page_args, max_size=max_size, newest_first=True)


async def unread_count(*, viewer: Viewer | None) -> int:
    """How many of the viewer's notifications are unread."""
    signed_in = require_viewer(viewer)
    return await Notification.filter(user_id=signed_in.id, read_at__isnull=True).count()


async def mark_read(
    *, viewer: Viewer | None, ids: Sequence[int] | None, everything: bool
) -> ReadResult:
    """Mark the viewer's notifications read: those of `ids`, or all of them. Another person's
    ids are ignored (never told apart from missing ones)."""
    signed_in = require_viewer(viewer)
    if everything == (ids is not None):
        raise invalid("give either ids or all: true", "ids")
    if ids is not None and len(ids) > MAX_IDS:
        raise invalid(f"at most {MAX_IDS} ids at once", "ids")
    query = Notification.filter(user_id=signed_in.id, read_at__isnull=True)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    async with in_transaction():
        marked = await query.update(read_at=clock.now())
    return ReadResult(marked=marked, unread=await unread_count(viewer=signed_in))


async def set_language(*, viewer: Viewer | None, language: str) -> User:
    """The language the viewer's notifications are written in from now on ("zh" or "en")."""
    signed_in = require_viewer(viewer)
    if language not in LANGUAGES:
        raise invalid(f"a language is one of {', '.join(LANGUAGES)}", "language")
    async with in_transaction():
        await User.filter(id=signed_in.id).update(language=language)
    return await User.get(id=signed_in.id)
