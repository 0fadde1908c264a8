"""The contracts around the code: the exported schema frontends build against, the migrations
the models need, and the `cungoods` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_non_null_type,
    is_required_argument,
)
from typer.testing import CliRunner

from cungoods.api.errors import PARSE_FAILED, VALIDATION_FAILED
from cungoods.api.extensions.cost import COSTLY
from cungoods.api.schema import build_schema as build_served_schema
from cungoods.cli import app
from cungoods.config import Settings
from cungoods.db import setup as db
from cungoods.db.errors import DATABASE_UNAVAILABLE
from cungoods.devtools import schema_export
from cungoods.services.errors import ErrorCode

runner = CliRunner()


def test_the_checked_in_schema_is_what_the_code_serves() -> None:
    assert schema_export.SCHEMA_FILE.exists(), "schema/schema.graphql is missing"
    assert schema_export.is_current(), (
        "schema/schema.graphql differs from the code: run `cungoods export-schema` and review "
        "the diff (frontends build against it)"
    )


# API.md's operations for the network and accounts: name -> {argument: type}; a "!" marks an
# argument callers must pass (others may be omitted).
QUERIES = {
    "viewer": {},
    "node": {"id": "ID!"},
    "routes": {},
    "stations": {
        "first": "Int",
        "after": "String",
        "last": "Int",
        "before": "String",
        "township": "String",
        "search": "String",
    },
    "trips": {"date": "Date!", "routeCode": "String"},
    "trip": {"id": "ID!"},
}
MUTATIONS = {
    "register": "RegisterInput!",
    "login": "LoginInput!",
    "assignRole": "AssignRoleInput!",
    "scheduleTrips": "ScheduleTripsInput!",
}


def as_called(argument: GraphQLArgument) -> str:
    """The argument's type as a caller sees it: "!" only when it must be passed."""
    named = str(get_named_type(argument.type))
    return named + "!" if is_required_argument(argument) else named


def test_the_schema_keeps_the_operations_frontends_are_built_against() -> None:
    schema = build_schema(schema_export.sdl())
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None and mutation is not None

    for name, arguments in QUERIES.items():
        assert name in query.fields, name
        assert {arg: as_called(a) for arg, a in query.fields[name].args.items()} == arguments, name
    for name, input_type in MUTATIONS.items():
        field = mutation.fields[name]
        assert {arg: as_called(a) for arg, a in field.args.items()} == {"input": input_type}, name
        payload = get_named_type(field.type)
        assert is_non_null_type(field.type) and isinstance(payload, GraphQLObjectType), name
        assert str(payload.fields["errors"].type) == "[UserError!]!", name
    assert str(schema.get_type("StationConnection").fields["totalCount"].type) == "Int!"  # type: ignore[union-attr]


def test_every_field_and_type_says_what_it_is() -> None:
    schema = build_schema(schema_export.sdl())
    undescribed = []
    for name, named in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not named.description:
            undescribed.append(name)
        for field_name, field in getattr(named, "fields", {}).items():
            if not field.description:
                undescribed.append(f"{name}.{field_name}")
    # The root types are merged from each area: their fields carry the descriptions.
    roots = {
        root.name
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
        if root
    }
    assert [name for name in undescribed if name not in roots] == []


def undescribed_values_and_arguments(schema: GraphQLSchema) -> list[str]:
    """Every enum value and every field argument of `schema` without a description."""
    missing = []
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in named.values.items() if not value.description]
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                missing += [
                    f"{name}.{field_name}({arg}:)"
                    for arg, argument in field.args.items()
                    if not argument.description
                ]
    return missing


def test_every_error_code_enum_value_and_argument_says_what_it_is() -> None:
    # The schema as served (strawberry's graphql-core schema), not only its printed SDL
    schema = build_served_schema(Settings())._schema
    error_code = schema.get_type("ErrorCode")
    assert isinstance(error_code, GraphQLEnumType)

    # Then every ErrorCode value says what went wrong and what a client does about it
    assert set(error_code.values) == {code.value for code in ErrorCode}
    assert [code for code, v in error_code.values.items() if len(v.description or "") < 20] == []
    # and no enum value or argument anywhere is left without a description
    assert undescribed_values_and_arguments(schema) == []


def test_the_contract_says_what_a_client_does_about_every_code() -> None:
    api = (Path(__file__).resolve().parents[1] / "docs" / "API.md").read_text(encoding="utf-8")
    errors = api[api.index("\n## Errors\n") : api.index("\n## Schema compatibility\n")]
    request_codes = [PARSE_FAILED, VALIDATION_FAILED, COSTLY, DATABASE_UNAVAILABLE, "INTERNAL"]

    # Every ErrorCode and every request-error code has its row: what it means, what to do
    for code in [*(c.value for c in ErrorCode), *request_codes]:
        assert f"\n| {code} | " in errors, code


def test_the_description_walk_names_what_is_undescribed() -> None:
    # The control: an SDL with an undescribed argument and enum value
    schema = build_schema(
        '"""Q"""\ntype Query {\n  """f"""\n  f(a: Int, """b"""\n b: Int): E\n}\n'
        '"""E"""\nenum E {\n  """x"""\n  X\n  Y\n}\n'
    )

    assert undescribed_values_and_arguments(schema) == ["Query.f(a:)", "E.Y"]


async def test_the_models_need_no_migration_that_is_not_written() -> None:
    assert await db.pending_model_changes() == [], (
        "models changed without a migration: run `cungoods makemigrations`"
    )


def test_the_command_lists_serve_migrate_seed_and_export_schema() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})

    assert result.exit_code == 0
    for command in ("serve", "migrate", "seed", "export-schema"):
        assert f" {command} " in result.output, command
    serve = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert "--host" in serve.output and "--port" in serve.output
    seed = runner.invoke(app, ["seed", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert "--demo" in seed.output


def test_export_schema_writes_the_sdl_and_check_accepts_it(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"

    written = runner.invoke(app, ["export-schema", "--path", str(target)])
    checked = runner.invoke(app, ["export-schema", "--check", "--path", str(target)])

    assert written.exit_code == 0
    assert target.read_text(encoding="utf-8") == schema_export.sdl()
    assert checked.exit_code == 0


@pytest.mark.parametrize(
    "drift",
    [
        lambda sdl: sdl.replace("routeCode", "route"),
        lambda sdl: sdl + "\ntype Stale {\n  id: ID!\n}\n",
        lambda sdl: sdl.rstrip("\n"),
    ],
    ids=["renamed-argument", "extra-type", "missing-final-newline"],
)
def test_export_schema_check_fails_on_a_drifted_file(tmp_path: Path, drift: object) -> None:
    target = tmp_path / "schema.graphql"
    target.write_text(drift(schema_export.sdl()), encoding="utf-8")  # type: ignore[operator]
    before = target.read_text(encoding="utf-8")

    result = runner.invoke(app, ["export-schema", "--check", "--path", str(target)])

    assert result.exit_code == 1
    assert "out of date" in result.output
    assert target.read_text(encoding="utf-8") == before  # checking never rewrites the file


def test_export_schema_check_fails_when_the_file_is_missing(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export-schema", "--check", "--path", str(tmp_path / "schema.graphql")]
    )

    assert result.exit_code == 1
    assert not (tmp_path / "schema.graphql").exists()
