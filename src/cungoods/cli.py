"""The `cungoods` command."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from cungoods import db, schema_export
from cungoods.config import Settings

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
        raise typer.BadParameter("several workers need PostgreSQL (DATABASE_URL=postgres://…)")
    typer.echo(f"cungoods on http://{host}:{port}/graphql  (database: {_safe_url(settings)})")
    uvicorn.run(
        "cungoods.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


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


def _safe_url(settings: Settings) -> str:
    url = settings.database_url
    return url.split("@", 1)[-1] if "@" in url else url


def main() -> None:
    app()


if __name__ == "__main__":
    main()
