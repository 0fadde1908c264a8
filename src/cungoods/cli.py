"""The `cungoods` command."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer

from cungoods.config import Settings
from cungoods.db import setup as db
from cungoods.devtools import schema_compat, schema_export
from cungoods.observability.logs import logging_config

app = typer.Typer(help="村货 cungoods: the county's two-way rural logistics GraphQL server.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (PostgreSQL only for more than 1)."),
) -> None:
    """Migrate, seed the demo county into an empty embedded database, and serve /graphql."""
    import uvicorn

    settings = Settings()
    if workers > 1 and settings.is_sqlite:
        raise typer.BadParameter(
            "several workers need PostgreSQL (CUNGOODS_DATABASE_URL=postgres://…)"
        )
    typer.echo(f"cungoods on http://{host}:{port}/graphql  (database: {_safe_url(settings)})")
    uvicorn.run(
        "cungoods.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # JSON log lines (with request id, viewer and operation) from ours and uvicorn's loggers.
        log_config=logging_config(level=settings.log_level, json_format=settings.log_json),
        ws_max_size=settings.max_body_bytes,
        # Compression about doubles the memory of each open subscription (bench/subscribers.py).
        ws_per_message_deflate=False,
        # X-Forwarded-For and X-Forwarded-Proto are believed only from the configured proxies;
        # uvicorn's own default would trust any peer at 127.0.0.1.
        **proxy_options(settings),
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy-header options: on, for the listed proxies only, when
    `forwarded_allow_ips` is set; off (the peer is the client) when it is empty."""
    trusted = [ip.strip() for ip in settings.forwarded_allow_ips.split(",") if ip.strip()]
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    asyncio.run(db.migrate(Settings().database_url))
    typer.echo("migrated")


@app.command()
def makemigrations() -> None:
    """Write a migration for model changes (developers)."""
    written = asyncio.run(db.make_migrations())
    typer.echo("\n".join(written) if written else "no changes")


@app.command()
def seed(demo: bool = typer.Option(False, "--demo", help="Build the demo county.")) -> None:
    """Seed data into the database (migrating it first)."""
    if not demo:
        raise typer.BadParameter("say what to seed: --demo")
    from cungoods.seed.demo import seed_demo

    async def run() -> str:
        settings = Settings()
        await db.migrate(settings.database_url)
        await db.connect(settings.database_url)
        try:
            return await seed_demo()
        finally:
            await db.close()

    typer.echo(asyncio.run(run()))


@app.command()
def simulate(
    days: int = typer.Option(7, min=1, max=30, help="How many service days to simulate."),
    orders_per_day: int = typer.Option(2900, min=0, help="Orders villagers try to place a day."),
    purchases_per_day: int = typer.Option(430, min=0, help="Produce purchases tried a day."),
    concurrency: int = typer.Option(32, min=1, max=64, help="Use cases running at once."),
    seed: int = typer.Option(20261130, help="Random seed: the same seed, the same county."),
) -> None:
    """Drive the demo county (seeded if missing) through N days of orders, produce, trips,
    pickups and collections, then print the network statistics."""
    from rich.console import Console

    from cungoods.devtools.simulate import Plan, run_simulation

    plan = Plan(
        days=days,
        orders_per_day=orders_per_day,
        purchases_per_day=purchases_per_day,
        concurrency=concurrency,
        seed=seed,
    )
    settings = Settings()
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)  # a log file gets the whole table
    console.print(f"simulating {days} days on {_safe_url(settings)}")
    raise typer.Exit(asyncio.run(run_simulation(settings, plan, console)))


@app.command("export-schema")
def export_schema(
    check: bool = typer.Option(False, "--check", help="Fail if the file differs from the code."),
    path: Path = typer.Option(schema_export.SCHEMA_FILE, help="Where the SDL lives."),
) -> None:
    """Write schema/schema.graphql from the code (or check it is current)."""
    if check:
        if not schema_export.is_current(path):
            typer.echo(f"{path} is out of date: run `cungoods export-schema`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path} is current")
        return
    typer.echo(f"wrote {schema_export.export(path)}")


@app.command("check-schema")
def check_schema(
    path: Path | None = typer.Option(
        None, help="An SDL file to check instead of the schema the code serves."
    ),
    release: Path | None = typer.Option(
        None, help="The release SDL to compare with (default: the newest in schema/releases)."
    ),
    changelog: Path = typer.Option(schema_compat.CHANGELOG, help="The changelog to read."),
) -> None:
    """Fail on a breaking change since the last release that docs/CHANGELOG.md does not list."""
    sdl = path.read_text(encoding="utf-8") if path else schema_export.sdl()
    report = schema_compat.check(sdl, release=release, changelog=changelog)
    typer.echo("\n".join(report.lines()), err=not report.ok)
    if not report.ok:
        raise typer.Exit(1)


def _safe_url(settings: Settings) -> str:
    url = settings.database_url
    return url.split("@", 1)[-1] if "@" in url else url


def main() -> None:
    app()


if __name__ == "__main__":
    main()
