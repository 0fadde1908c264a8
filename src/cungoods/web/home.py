"""The front door (issue 15): `/` links what the server offers, `/schema.graphql` is the SDL,
and GraphiQL's page and files come from the package (`graphiql/`), not from a CDN.

`graphiql/` is package data, not a package: `index.html` is strawberry's GraphiQL template
pointing at `/graphiql/…`, and `vendor/` holds React, ReactDOM and GraphiQL as published on the
npm registry (vendor/LICENSES.md names versions and checksums).
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from cungoods.config import Settings

GRAPHIQL_DIR = Path(__file__).resolve().parent / "graphiql"
SDL_MEDIA_TYPE = "text/plain; charset=utf-8"


@cache
def graphiql_page() -> str:
    """The GraphiQL page served on a browser's GET of /graphql (outside production)."""
    return (GRAPHIQL_DIR / "index.html").read_text(encoding="utf-8")


def home_page(settings: Settings) -> str:
    links = []
    if not settings.production:
        links += [
            ("/graphql", "GraphiQL", "write and run queries; put a token in its Headers tab"),
            ("/schema.graphql", "schema.graphql", "the SDL, the contract clients build against"),
        ]
    links += [
        ("/board/", "Dispatch board", "trips, loads and stations, live"),
        ("/healthz", "/healthz", "alive, and whether the database and event listener answer"),
        ("/readyz", "/readyz", "200 only when ready to serve"),
        ("/metrics", "/metrics", "Prometheus metrics"),
    ]
    items = "\n".join(
        f'    <li><a href="{href}">{escape(label)}</a>: {escape(what)}</li>'
        for href, label, what in links
    )
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>村货 cungoods</title>
  <link rel="icon" href="data:,">
  <style>body {{ font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 40rem;
    padding: 0 1rem; }} code {{ background: #f3f3f3; padding: 0 .2em; }}</style>
</head>
<body>
  <h1>村货 cungoods</h1>
  <p>The GraphQL API of the county's village goods buses: <code>POST /graphql</code>, and
  subscriptions over WebSocket (<code>graphql-transport-ws</code>) on the same path.</p>
  <ul>
{items}
  </ul>
</body>
</html>
"""


def home_routes(settings: Settings, sdl: str) -> list[BaseRoute]:
    """`/`, and outside production `/schema.graphql` (the served schema's SDL: production keeps
    introspection off, and the same for the SDL) and the GraphiQL files under /graphiql/."""
    page = home_page(settings)

    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def schema(request: Request) -> PlainTextResponse:
        return PlainTextResponse(sdl, media_type=SDL_MEDIA_TYPE)

    routes: list[BaseRoute] = [Route("/", home, methods=["GET"])]
    if not settings.production:
        routes += [
            Route("/schema.graphql", schema, methods=["GET"]),
            Mount("/graphiql", app=StaticFiles(directory=GRAPHIQL_DIR / "vendor"), name="graphiql"),
        ]
    return routes
