"""strawberry's extension lifecycle, with each extension class's hooks looked up once.

For every operation strawberry opens five lifecycle stages (operation, parse, validate,
execute, and one per result of a subscription), and for each stage and each of the schema's
dozen extensions it asks the class whether it overrides the hook (`inspect` flag checks), then
wraps the hook in a fresh `contextlib.contextmanager` (`functools.update_wrapper`): some 80
look-ups and wrappers per subscription, half of them every time an event is delivered, more
than the hooks themselves cost. Which hooks a class overrides never changes, so here the
wrapper is made once per class and stage, and a stage only calls it. The hooks run exactly as
strawberry runs them: in the schema's order, entered and left through one exit stack, with the
same arguments. Results are asked only of the extensions that override `get_results`; the
others' is SchemaExtension's, which returns nothing.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.utils.await_maybe import await_maybe

# A hook as a context-manager factory taking the extension (and, for a stream result, the
# result), and whether it must be entered asynchronously.
Factory = tuple[Callable[..., Any], bool]
_factories: dict[tuple[type[SchemaExtension], str], Factory | None] = {}


def _factory(cls: type[SchemaExtension], name: str) -> Factory | None:
    """How to enter `cls`'s hook `name` (None if it keeps SchemaExtension's own), as
    strawberry's ExtensionContextManagerBase.get_hook wraps it, made once."""
    key = (cls, name)
    if key in _factories:
        return _factories[key]
    hook = getattr(cls, name)
    made: Factory | None
    if hook is getattr(SchemaExtension, name):
        made = None
    elif inspect.isgeneratorfunction(hook):
        made = (contextlib.contextmanager(hook), False)
    elif inspect.isasyncgenfunction(hook):
        made = (contextlib.asynccontextmanager(hook), True)
    elif inspect.iscoroutinefunction(hook):
        made = (_awaited(hook), True)
    elif callable(hook):
        made = (_called(hook), False)
    else:
        raise ValueError(f"Hook {name} on {cls} must be callable, received {hook!r}")
    _factories[key] = made
    return made


def _awaited(hook: Callable[..., Any]) -> Callable[..., Any]:
    @contextlib.asynccontextmanager
    async def entered(extension: SchemaExtension, *args: Any) -> AsyncIterator[None]:
        await hook(extension, *args)
        yield

    return entered


def _called(hook: Callable[..., Any]) -> Callable[..., Any]:
    @contextlib.contextmanager
    def entered(extension: SchemaExtension, *args: Any) -> Iterator[None]:
        hook(extension, *args)
        yield

    return entered


class Stage:
    """One lifecycle stage over the operation's extensions (strawberry's context managers)."""

    __slots__ = ("args", "async_stack", "hooks", "name", "stack")

    def __init__(self, extensions: list[SchemaExtension], name: str, *args: Any) -> None:
        self.name = name
        self.args = args
        self.hooks = [
            (made, extension)
            for extension in extensions
            if (made := _factory(type(extension), name)) is not None
        ]

    def __enter__(self) -> None:
        stack = self.stack = contextlib.ExitStack()
        for (factory, is_async), extension in self.hooks:
            if is_async:
                raise RuntimeError(
                    f"SchemaExtension hook {extension}.{self.name} failed to complete "
                    "synchronously."
                )
            stack.enter_context(factory(extension, *self.args))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.stack.__exit__(exc_type, exc_val, exc_tb)

    async def __aenter__(self) -> None:
        stack = self.async_stack = contextlib.AsyncExitStack()
        for (factory, is_async), extension in self.hooks:
            if is_async:
                await stack.enter_async_context(factory(extension, *self.args))
            else:
                stack.enter_context(factory(extension, *self.args))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.async_stack.__aexit__(exc_type, exc_val, exc_tb)


_reports: dict[type[SchemaExtension], bool] = {}


def _reports_results(cls: type[SchemaExtension]) -> bool:
    """Whether `cls` overrides `get_results` (SchemaExtension's own returns nothing)."""
    known = _reports.get(cls)
    if known is None:
        known = _reports[cls] = cls.get_results is not SchemaExtension.get_results
    return known


class CachedHooksRunner(SchemaExtensionsRunner):
    """strawberry's runner with its stages built from the per-class table above, and the
    results asked only of the extensions that report some (once per subscription event)."""

    def _reporting(self) -> list[SchemaExtension]:
        return [extension for extension in self.extensions if _reports_results(type(extension))]

    def get_extensions_results_sync(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._reporting():
            if inspect.iscoroutinefunction(extension.get_results):
                raise RuntimeError("Cannot use async extension hook during sync execution")
            data.update(extension.get_results())  # type: ignore[arg-type]
        return data

    async def get_extensions_results(self, ctx: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._reporting():
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data

    def operation(self) -> Any:
        return Stage(self.extensions, "on_operation")

    def validation(self) -> Any:
        return Stage(self.extensions, "on_validate")

    def parsing(self) -> Any:
        return Stage(self.extensions, "on_parse")

    def executing(self) -> Any:
        return Stage(self.extensions, "on_execute")

    def on_stream_result(self, result: Any) -> Any:
        return Stage(self.extensions, "on_stream_result", result)
