"""GraphQL over HTTP as the spec (graphql.github.io/graphql-over-http) has it, on top of
strawberry's ASGI view.

- Content negotiation: a client that accepts `application/graphql-response+json` (at least as
  much as `application/json`) gets it; everyone else gets `application/json`.
- With `application/graphql-response+json`, a request error (the document does not parse or
  validate, a variable does not coerce, the query is over its cost budget: nothing ran) is HTTP
  400 and the body has no `data` entry. With `application/json` it stays 200, as legacy clients
  expect.
- A mutation (or subscription) sent with GET is 405 Method Not Allowed, with `Allow: POST`.
- Errors the view refuses before GraphQL runs (bad JSON, missing query, batches: batching is off)
  are JSON `{"errors": [{"message": ...}]}` with their 4xx status, not plain text.
- JSON nested deeper than MAX_JSON_DEPTH (a body, the `variables` of a GET, a WebSocket message:
  `decode_json` reads them all) is refused before it is parsed: Python's json and graphql-core
  recurse, and 1,000 levels would end in a RecursionError (HTTP 500, a dropped socket). Over HTTP
  it is a 400; over WebSocket the protocol's 4400 for a message that does not parse.
- Responses are encoded with orjson: several times faster than the standard library's json on
  a manifest of a few hundred orders, and the same JSON (UTF-8 text, not escaped code points).
- A subscription is served over WebSocket only: over HTTP it is a 400 saying so (strawberry would
  run it as a query and fail on its async generator).
- Persisted queries (api/persisted.py): a request may name its document by hash in
  `extensions.persistedQuery`, over POST or GET. PERSISTED_QUERY_NOT_FOUND is HTTP 200 whatever
  the media type, as Apollo's clients expect before they send the text; the other refusals are
  400. A GET with a hash and no `query` is an API request, not a browser asking for GraphiQL.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, overload

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.types import HTTPMethod
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from cungoods.api.context import Context
from cungoods.api.extensions import observability
from cungoods.api.extensions.response_cache import (
    Ahead,
    ResponseStore,
    answer_again,
    keep_extensions,
    look_ahead,
)
from cungoods.api.persisted import (
    PERSISTED_QUERY_NOT_FOUND,
    PersistedDocuments,
    PersistedQueryError,
)
from cungoods.db.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
BAD_REQUEST = "BAD_REQUEST"  # the transport could not take the request (request errors)
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"  # a mutation sent over GET
# No request of ours nests deeper than ~6 levels (body, variables, input, list, item, value).
MAX_JSON_DEPTH = 32
# A JSON string (skipped whole, so brackets inside it do not count) or one bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
SUBSCRIPTION_OVER_HTTP = (
    "Subscriptions are served over WebSocket only (graphql-transport-ws on /graphql)."
)


class JSONTooDeep(json.JSONDecodeError):
    """JSON nested deeper than MAX_JSON_DEPTH (a JSONDecodeError, so strawberry's WebSocket
    handler closes with 4400 as for any message that does not parse)."""


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep the arrays and objects of a JSON text nest, counted without parsing it (a
    regex walk in C, no recursion); it stops counting past `limit`."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif token in "]}":
            depth -= 1
    return deepest


def preferred_media_type(accept: str) -> str:
    """`application/graphql-response+json` if the Accept header ranks it at least as high as
    `application/json`, else `application/json` (also for no header, or `*/*`)."""
    quality: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        if media in (GRAPHQL_RESPONSE_JSON, JSON) and q > 0:
            quality[media] = max(quality.get(media, 0.0), q)
    if GRAPHQL_RESPONSE_JSON in quality and quality[GRAPHQL_RESPONSE_JSON] >= quality.get(JSON, 0):
        return GRAPHQL_RESPONSE_JSON
    return JSON


def is_request_error(result: ExecutionResult) -> bool:
    """Nothing was executed: the errors came from parsing, validation or variable coercion (none
    has a path, and none is a masked internal failure)."""
    errors: list[GraphQLError] = result.errors or []
    return (
        result.data is None
        and bool(errors)
        and all(
            error.path is None and (error.extensions or {}).get("code") != "INTERNAL"
            for error in errors
        )
    )


class GraphQLView(GraphQL[Context, None]):
    """strawberry's ASGI view, answering as the GraphQL over HTTP spec asks."""

    # The documents known by hash (set by app.GraphQLApp; the WebSocket handler reads it too).
    persisted: PersistedDocuments
    # The response cache's answers (set by app.GraphQLApp; None when it is off).
    responses: ResponseStore | None = None

    def should_render_graphql_ide(self, request: Any) -> bool:
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    def encode_json(self, data: object) -> str:
        # A str, not bytes: strawberry sends bytes over a WebSocket as a binary frame, and
        # graphql-transport-ws speaks text.
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
        # Deeper needs more brackets than that: most messages are counted in two C scans,
        # without the regex walk.
        brackets = text.count("[") + text.count("{")
        if brackets > MAX_JSON_DEPTH and json_depth(text) > MAX_JSON_DEPTH:
            raise JSONTooDeep(f"JSON nested more than {MAX_JSON_DEPTH} levels deep", text, 0)
        return super().decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except JSONTooDeep as error:
            raise HTTPException(400, f"The request's {error.msg}.") from error
        except json.JSONDecodeError as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error

    async def execute_single(  # noqa: PLR0917
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        method: HTTPMethod = request_adapter.method
        allowed = OperationType.from_http(method) - {OperationType.SUBSCRIPTION}
        try:
            query = self.persisted.document_of(
                query=request_data.query, extensions=request_data.extensions
            )
        except PersistedQueryError as error:
            status = 200 if error.code == PERSISTED_QUERY_NOT_FOUND else 400
            raise HTTPException(status, error.message) from error
        ahead = None
        if self.responses is not None and query is not None:
            # The cache's check of the event log runs while the viewer is still being read.
            ahead = look_ahead(
                self.responses,
                context,
                query=query,
                operation_name=request_data.operation_name,
                variables=request_data.variables,
            )
        await context.signed_in()
        if self.responses is not None and query is not None:
            hit = await self._answer_again(context, query, request_data, ahead)
            if hit is not None:
                return hit
        try:
            result = await self.schema.execute(
                query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPException(400, SUBSCRIPTION_OVER_HTTP) from error
            raise HTTPException(400, error.as_http_error_reason(method)) from error
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error
        if self.responses is not None and query is not None:
            keep_extensions(
                self.responses,
                context,
                query=query,
                operation_name=request_data.operation_name,
                variables=request_data.variables,
                result=result,
            )
        return result

    async def _answer_again(
        self, context: Context, query: str, request_data: GraphQLRequestData, ahead: Ahead | None
    ) -> ExecutionResult | None:
        """A repeated query answered from the response cache before the schema runs, counted
        and logged as any operation (api/extensions/observability.py)."""
        assert self.responses is not None
        started = time.perf_counter()
        hit = await answer_again(
            self.responses,
            context,
            query=query,
            operation_name=request_data.operation_name,
            variables=request_data.variables,
            ahead=ahead,
        )
        if hit is None:
            return None
        viewer_id = context.viewer.id if context.viewer is not None else None
        with observability.operation_logged(viewer_id, hit.operation_name):
            observability.record("query", hit.operation_name, time.perf_counter() - started, [])
        return hit.result

    @overload
    async def run(
        self, request: Request, context: Context = UNSET, root_value: None = UNSET
    ) -> Response: ...

    @overload
    async def run(
        self, request: WebSocket, context: Context = UNSET, root_value: None = UNSET
    ) -> WebSocket: ...

    async def run(
        self,
        request: Request | WebSocket,
        context: Context = UNSET,
        root_value: None = UNSET,
    ) -> Response | WebSocket:
        if not isinstance(request, Request):
            return await super().run(request, context, root_value)
        media_type = preferred_media_type(request.headers.get("accept", ""))
        try:
            response = await super().run(request, context, root_value)
        except HTTPException as error:
            return _error_response(request, error, media_type)
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and not isinstance(response, StreamingResponse)
            and response.media_type == JSON
        ):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            if getattr(request.state, "graphql_request_error", False):
                response.status_code = 400
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        if is_request_error(result):
            request.state.graphql_request_error = True
            if preferred_media_type(request.headers.get("accept", "")) == GRAPHQL_RESPONSE_JSON:
                data.pop("data", None)
        return data


def _error_response(request: Request, error: HTTPException, media_type: str) -> Response:
    status, headers = error.status_code, {}
    if request.method == "GET" and isinstance(error.__cause__, InvalidOperationTypeError):
        # GET is for queries only: a mutation must not run, and the answer says to POST it.
        status, headers = 405, {"Allow": "POST"}
    # A request the transport could not take (a body that is not JSON, no query, a batch, a
    # mutation over GET) is BAD_REQUEST, as Apollo Server names it: nothing ran.
    code = METHOD_NOT_ALLOWED if status == 405 else BAD_REQUEST
    body: dict[str, Any] = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
    if isinstance(error.__cause__, PersistedQueryError):
        body["errors"][0]["extensions"] = {"code": error.__cause__.code}
    if status == 503:
        # The database is down (app.py, while looking up the viewer): say when to retry.
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        body["errors"][0]["extensions"] = {"code": DATABASE_UNAVAILABLE}
    return JSONResponse(
        body, status_code=status, headers=headers, media_type=f"{media_type}; charset=utf-8"
    )
