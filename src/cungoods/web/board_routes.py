"""The dispatch board (issue 8) at /board: static files from `board/`, built only on the public
GraphQL API, plus one small JSON document telling the page what it cannot learn from the API.

The folder is package data, not a package, so nothing but the page's own files is served.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from cungoods.config import Settings
from cungoods.seed import demo as seed

BOARD_DIR = Path(__file__).resolve().parent / "board"
# The board's GraphQL documents as a persisted query manifest (tests/clients/board_documents.mjs
# writes it from board/queries.js): with CUNGOODS_TRUSTED_DOCUMENTS they are trusted too, so the
# board keeps working where only trusted documents run.
BOARD_DOCUMENTS = BOARD_DIR / "persisted-documents.json"


def board_config(settings: Settings) -> dict[str, object]:
    """What the page needs before anyone signs in: the service time zone (dates and times are
    shown there, whatever the browser's own zone) and, in demo mode only, the demo accounts to
    offer on the sign-in form."""
    demo = settings.demo and not settings.production
    config: dict[str, object] = {"timeZone": settings.time_zone, "demo": demo}
    if demo:
        config["demoAccounts"] = {
            "password": seed.DEMO_PASSWORD,
            "dispatcher": seed.dispatcher_phone(),
            "leader": seed.leader_phone(1),
            "driver": seed.driver_phone(1),
            "buyer": seed.buyer_phone(1),
        }
    return config


def board_routes(settings: Settings) -> list[BaseRoute]:
    """/board/config.json and the static board under /board/ (index.html at /board/)."""
    config = board_config(settings)

    async def config_endpoint(request: Request) -> JSONResponse:
        return JSONResponse(config, headers={"Cache-Control": "no-store"})

    return [
        Route("/board/config.json", config_endpoint, methods=["GET"]),
        Mount("/board", app=StaticFiles(directory=BOARD_DIR, html=True), name="board"),
    ]
