"""graphql-core alone on this schema: how long its executor takes to complete each hot read's
answer, to compare graphql-core versions without strawberry (which pins one: 0.341 needs
>= 3.3).

The answers come from bench/dispatch_reads.py (`--save-answers FILE`); each read's query is
executed over its own answer (dicts, graphql-core's default resolvers) against
schema/schema.graphql, asynchronously as the server runs it, and must give the answer back.
Needs nothing but graphql-core, so it runs in a throw-away environment of any version:

    .venv/bin/python bench/dispatch_reads.py --save-answers /tmp/answers.json --only order
    python3 -m venv /tmp/gc32 && /tmp/gc32/bin/pip install 'graphql-core==3.2.*'
    /tmp/gc32/bin/python bench/graphql_core_versions.py /tmp/answers.json
    .venv/bin/python bench/graphql_core_versions.py /tmp/answers.json   # the pinned 3.3

It prints the CPU time per execution (minimum and median of `--runs`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import time
from pathlib import Path
from typing import Any

import graphql

SDL = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


async def main(args: argparse.Namespace, sdl: str, answers: dict[str, Any]) -> None:
    schema = graphql.build_schema(sdl)
    gc.collect()
    gc.freeze()  # as the server does in production
    for name, answer in answers.items():
        document = graphql.parse(answer["query"])
        assert not graphql.validate(schema, document)
        took = []
        for _ in range(args.runs):
            began = time.process_time()
            result = graphql.execute(
                schema, document, root_value=answer["data"], variable_values=answer["variables"]
            )
            if inspect.isawaitable(result):
                result = await result
            took.append((time.process_time() - began) * 1000)
        assert not result.errors and result.data == answer["data"], name  # type: ignore[union-attr]
        took.sort()
        print(
            f"graphql-core {graphql.__version__}  {name:<16} min {took[0]:6.2f} ms   "
            f"median {took[len(took) // 2]:6.2f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("answers", help="the JSON file of dispatch_reads.py --save-answers")
    parser.add_argument("--runs", type=int, default=30, help="executions per read")
    arguments = parser.parse_args()
    saved = json.loads(Path(arguments.answers).read_text())
    asyncio.run(main(arguments, SDL.read_text(), saved))
