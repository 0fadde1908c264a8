"""Printable hub and station sheets (issue 15) at /sheets/..., as CSV or as a print-ready HTML
page with a QR code per crate:

- /sheets/trips/{tripId}/pick-list.{csv,html}                       dispatchers
- /sheets/trips/{tripId}/loading-plan.{csv,html}                    dispatchers, the trip's driver
- /sheets/trips/{tripId}/stations/{stationId}/manifest.{csv,html}   dispatchers, that leader
- /sheets/statements/{statementId}.{csv,html}                       its party, dispatchers

Ids are the GraphQL global ids (or the plain numbers). The token travels as on /graphql, in
`Authorization: Bearer <token>` (the board fetches the sheet with it and opens the result), so
the same viewers see the same figures as through pickList, loadingPlan, stationManifest and
statements: the sheets call the same use cases. Answers: 401 without a valid token, 403 for a
viewer the field refuses, 404 for an unknown id, 503 while the database is unreachable.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import jinja2
import qrcode
import qrcode.image.svg
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from cungoods.api.ids import MAX_PK, pk_of
from cungoods.config import Settings
from cungoods.db.errors import is_database_unavailable
from cungoods.services import sessions, sheets
from cungoods.services.auth import Viewer
from cungoods.services.errors import DomainError, ErrorCode

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "sheets_templates"),
    autoescape=True,  # product titles and memos are written by users
)
_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.NOT_ALLOWED: 403,
    ErrorCode.NOT_FOUND: 404,
}
# A cell a spreadsheet would read as a formula is written as text (CSV injection).
_FORMULA = re.compile(r"^[=+@\t\r]|^-(?![0-9.]+$)")
FORMATS = ("csv", "html")
_PLAIN_ID = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)


def sheet_routes(settings: Settings) -> list[BaseRoute]:
    def endpoint(
        kind: str, read: Callable[[Viewer | None, Request], Awaitable[sheets.Sheet]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            fmt = request.path_params["fmt"]
            if fmt not in FORMATS:
                return _error(404, "NOT_FOUND", "sheets come as .csv or .html")
            try:
                viewer = await _viewer(request, settings)
                sheet = await read(viewer, request)
            except DomainError as error:
                return _error(_STATUS.get(error.code, 400), str(error.code), error.message)
            except Exception as error:
                if is_database_unavailable(error):
                    return _error(503, "DATABASE_UNAVAILABLE", "the database is unreachable")
                raise
            # Building a few hundred QR codes is CPU work: off the event loop.
            if fmt == "csv":
                body = await run_in_threadpool(to_csv, sheet)
                media = "text/csv; charset=utf-8"
            else:
                body = await run_in_threadpool(to_html, sheet)
                media = "text/html; charset=utf-8"
            return Response(
                body,
                media_type=media,
                headers={
                    "Cache-Control": "no-store",  # it shows what the viewer may see, now
                    "Content-Disposition": f'inline; filename="{sheet.name}.{fmt}"',
                },
            )

        serve.__name__ = f"sheet_{kind}"
        return serve

    async def pick_list(viewer: Viewer | None, request: Request) -> sheets.Sheet:
        return await sheets.pick_list(viewer=viewer, trip_id=_id(request, "trip_id", "Trip"))

    async def loading_plan(viewer: Viewer | None, request: Request) -> sheets.Sheet:
        return await sheets.loading_plan(viewer=viewer, trip_id=_id(request, "trip_id", "Trip"))

    async def manifest(viewer: Viewer | None, request: Request) -> sheets.Sheet:
        return await sheets.station_manifest(
            viewer=viewer,
            trip_id=_id(request, "trip_id", "Trip"),
            station_id=_id(request, "station_id", "Station"),
        )

    async def statement(viewer: Viewer | None, request: Request) -> sheets.Sheet:
        return await sheets.statement(
            viewer=viewer, statement_id=_id(request, "statement_id", "Statement")
        )

    return [
        Route("/sheets/trips/{trip_id}/pick-list.{fmt}", endpoint("pick_list", pick_list)),
        Route("/sheets/trips/{trip_id}/loading-plan.{fmt}", endpoint("loading_plan", loading_plan)),
        Route(
            "/sheets/trips/{trip_id}/stations/{station_id}/manifest.{fmt}",
            endpoint("manifest", manifest),
        ),
        Route("/sheets/statements/{statement_id}.{fmt}", endpoint("statement", statement)),
    ]


def to_csv(sheet: sheets.Sheet) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([sheet.title])
    writer.writerow([sheet.subtitle])
    writer.writerow(sheet.columns)
    writer.writerows([_cell(cell) for cell in row] for row in sheet.rows)
    if sheet.totals:
        writer.writerow([_cell(cell) for cell in sheet.totals])
    if sheet.crates:
        writer.writerow([])
        writer.writerow(["crate", "station", "trip", "stop", "temperature", "units", "kg"])
        writer.writerows(
            [
                tag.code,
                _cell(f"{tag.station_code} {tag.station_name}"),
                str(tag.trip_id),
                str(tag.stop_seq),
                str(tag.temperature),
                str(tag.units),
                sheets.kg(tag.weight_g),
            ]
            for tag in sheet.crates
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_html(sheet: sheets.Sheet) -> bytes:
    labels = [(tag, Markup(qr_svg(tag.payload))) for tag in sheet.crates]
    page = TEMPLATES.get_template("sheet.html").render(
        sheet=sheet, labels=labels, temperature_label=sheets.TEMPERATURE_LABEL
    )
    return page.encode("utf-8")


def qr_svg(text: str) -> str:
    """An inline SVG QR code (no image library needed, sharp at any print size)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg: str = image.to_string(encoding="unicode")
    return svg


def _cell(value: str) -> str:
    return "'" + value if _FORMULA.match(value) else value


def _id(request: Request, param: str, type_name: str) -> int:
    raw = request.path_params[param]
    if _PLAIN_ID.fullmatch(raw) and int(raw) <= MAX_PK:
        return int(raw)
    try:
        return pk_of(raw, type_name, param)
    except DomainError as error:
        raise DomainError(ErrorCode.NOT_FOUND, error.message, [param]) from error


async def _viewer(request: Request, settings: Settings) -> Viewer | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise DomainError(ErrorCode.UNAUTHENTICATED, "send Authorization: Bearer <token>")
    return await sessions.current_viewer(token=token.strip(), secret=settings.signing_key)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
