"""The Starlette application: ``/v1/<Method>`` JSON API, the page at ``/``, a benchmark upload
helper for the page, and ``/healthz``. Auth, caps and security headers are enforced here; the
work itself is the gRPC servicer's (api.py)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import grpc
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tracer.contamination.inputs import read_benchmarks
from tracer.errors import LimitError, TracerError
from tracer.server.http import web
from tracer.server.http.api import (
    CallError,
    HttpContext,
    Method,
    call_stream,
    call_unary,
    error_line,
    methods,
    parse_request,
)
from tracer.server.http.web import convert_item
from tracer.server.limits import Limits, served_models
from tracer.server.registry import IndexRegistry
from tracer.server.servicer import TracerServicer
from tracer.server.status import status_of

STATIC = Path(__file__).resolve().parent.parent / "static"

# The page loads only its own files and calls only this origin; no inline script or style, no
# plugins, no framing: corpus text that slipped into markup still could not run.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
UPLOAD_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".jsonl.gz", ".json.gz", ".csv.gz", ".jsonl.zst")


@dataclass
class HttpOptions:
    """What the HTTP side needs beyond the servicer: token, caps, worker threads."""

    token: bytes | None = None
    limits: Limits = Limits()
    max_workers: int = 16
    max_in_flight: int = 1024  # calls waiting or running; more get 429 (gRPC: maximum_concurrent_rpcs)
    max_upload_bytes: int = 32 << 20  # a benchmark file sent by the page
    # the server's own benchmarks (``serve --benchmark NAME=PATH``): name -> items as the page's JSON
    benchmarks: dict[str, bytes] = field(default_factory=dict)
    inline_cheap: bool = True  # answer one-query Counts on the event loop (see HttpApi.cheap)


class SecurityHeaders:
    """ASGI middleware adding the CSP and friends to every HTTP response."""

    def __init__(self, app: Callable[..., Awaitable[None]]):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error(err: CallError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if err.code == grpc.StatusCode.UNAUTHENTICATED else None
    return Response(err.body(), status_code=err.http, media_type="application/json", headers=headers)


def _library_error(exc: BaseException) -> CallError:
    code, detail = status_of(exc)
    return CallError(code, detail)


class HttpApi:
    """State shared by the routes: servicer, method table, caps, the worker-thread limiter."""

    def __init__(self, registry: IndexRegistry, options: HttpOptions, servicer: Any | None = None):
        self.registry = registry
        self.options = options
        self.servicer = servicer or TracerServicer(registry, options.limits)
        self.methods: dict[str, Method] = methods()
        self.limiter = anyio.CapacityLimiter(options.max_workers)
        self.in_flight = 0
        self._expected = b"Bearer " + options.token if options.token else None

    # -- checks ------------------------------------------------------------------------
    def check_auth(self, request: Request) -> None:
        if self._expected is None:
            return
        given = request.headers.get("authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._expected):
            raise CallError(grpc.StatusCode.UNAUTHENTICATED, "invalid bearer token" if given else "missing bearer token")

    async def read_body(self, request: Request, cap: int) -> bytes:
        """The body, refused with 413 as soon as it is known to be over ``cap`` bytes."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise CallError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"request body: {declared} bytes is over this server's cap of {cap}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise CallError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"request body: over this server's cap of {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def timeout_of(request: Request) -> float | None:
        """``X-Tracer-Timeout: SECONDS`` is the HTTP spelling of a gRPC deadline."""
        raw = request.headers.get("x-tracer-timeout")
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not value > 0:
            raise CallError(grpc.StatusCode.INVALID_ARGUMENT, f"header X-Tracer-Timeout: {raw!r} is not a positive number of seconds")
        return value

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        if self.in_flight >= self.options.max_in_flight:
            raise CallError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                            f"server busy: {self.in_flight} calls in flight; retry later", http=429)
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    # -- routes ------------------------------------------------------------------------
    async def rpc(self, request: Request) -> Response:
        name = request.path_params["method"]
        method = self.methods.get(name)
        try:
            if method is None:
                raise CallError(grpc.StatusCode.NOT_FOUND, f"no method {name!r} (this server has: {', '.join(self.methods)})")
            self.check_auth(request)
            timeout = self.timeout_of(request)
            async with self.admitted():
                body = await self.read_body(request, self.options.limits.max_receive_bytes)
                message = parse_request(method, body)
                context = HttpContext(timeout)
                if method.streaming:
                    return await self._stream(method, message, context)
                if self.cheap(method, message):
                    return Response(call_unary(self.servicer, method, message, context), media_type="application/json")
                return await self._unary(method, message, context, request)
        except CallError as err:
            return _error(err)

    def cheap(self, method: Method, message: Any) -> bool:
        """A Count of one short query takes microseconds on a warm index (a few ms cold): less
        than the hop to a worker thread and back, which on a busy machine is most of an HTTP call's
        added latency. Such calls run on the event loop; everything else in the worker threads."""
        if not self.options.inline_cheap or method.name != "Count" or len(message.queries) != 1:
            return False
        q = message.queries[0]
        return len(q.text) + len(q.tokens.data) <= 4096

    async def _unary(self, method: Method, message: Any, context: HttpContext, request: Request) -> Response:
        async def watch_disconnect() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            context.cancel()

        watcher = asyncio.ensure_future(watch_disconnect())  # a bare task: a task group costs ~0.2 ms
        try:
            body = await anyio.to_thread.run_sync(call_unary, self.servicer, method, message, context,
                                                  limiter=self.limiter)
        finally:
            watcher.cancel()
        return Response(body, media_type="application/json")

    async def _stream(self, method: Method, message: Any, context: HttpContext) -> Response:
        """JSON lines. The first message (or the error) is awaited before the headers go out, so
        that a bad request still gets its HTTP status."""
        lines = call_stream(self.servicer, method, message, context)
        first = await anyio.to_thread.run_sync(next, lines, None, limiter=self.limiter)

        async def rest() -> AsyncIterator[bytes]:
            try:
                if first is None:
                    return
                yield first
                while (line := await anyio.to_thread.run_sync(next, lines, None, limiter=self.limiter)) is not None:
                    yield line
            except CallError as err:
                yield error_line(err)
            finally:
                context.cancel()  # client gone or done: the servicer stops at its next check

        return StreamingResponse(rest(), media_type="application/x-ndjson")

    async def describe(self, request: Request) -> Response:
        """What the page needs before its first call: the methods, whether a token is needed, caps."""
        lim = self.options.limits
        return Response(orjson.dumps({
            "service": "tracer.v1.Tracer", "auth": self._expected is not None,
            "methods": [m.describe() for m in self.methods.values()],
            "limits": {"max_request_bytes": lim.max_receive_bytes, "max_upload_bytes": self.options.max_upload_bytes,
                       "max_batch": lim.max_batch, "max_query_chars": lim.max_query_chars,
                       "max_find_limit": lim.max_find_limit, "max_context": lim.max_context},
            "soft_models": list(served_models(lim.soft_models)),  # names soft requests may give (serve --soft-model)
        }), media_type="application/json")

    async def health(self, request: Request) -> Response:
        """200 while every index is intact; 503 once a scrub found a bad block (as gRPC health)."""
        bad = []
        for name in self.registry.names:
            try:
                self.registry.get(name)
            except TracerError:
                bad.append(name)
        status = "NOT_SERVING" if bad else "SERVING"
        return Response(orjson.dumps({"status": status, "damaged": bad}), status_code=503 if bad else 200,
                        media_type="application/json")

    async def benchmark(self, request: Request) -> Response:
        """POST a benchmark file (``?filename=NAME.jsonl``): its items, read by the library's own
        reader, as a ContaminationRequest in JSON, ready for /v1/StreamContamination."""
        try:
            self.check_auth(request)
            async with self.admitted():
                filename = _safe_filename(request.query_params.get("filename", ""))
                body = await self.read_body(request, self.options.max_upload_bytes)
                items = await anyio.to_thread.run_sync(self._read_items, filename, body, limiter=self.limiter)
            return Response(items, media_type="application/json")
        except CallError as err:
            return _error(err)

    async def benchmarks(self, request: Request) -> Response:
        """GET: the server's configured benchmarks (name, items); GET ?name=NAME: that one's items,
        in the upload's JSON shape, so the page runs it exactly as an uploaded file."""
        try:
            self.check_auth(request)
            name = request.query_params.get("name")
            configured = self.options.benchmarks
            if name is None:
                listing = [{"name": n, "items": web.item_count(body)} for n, body in configured.items()]
                return Response(orjson.dumps({"benchmarks": listing}), media_type="application/json")
            if name not in configured:
                raise CallError(grpc.StatusCode.NOT_FOUND,
                                f"no benchmark named {name!r} (this server has: {', '.join(configured) or 'none'})")
            return Response(configured[name], media_type="application/json")
        except CallError as err:
            return _error(err)

    async def tokenize(self, request: Request) -> Response:
        """How the index's tokenizer reads a query (GET ?text=&index= or POST {"text", "index"})."""
        try:
            self.check_auth(request)
            async with self.admitted():
                if request.method == "GET":
                    body: Any = dict(request.query_params)
                else:
                    raw = await self.read_body(request, self.options.limits.max_receive_bytes)
                    try:
                        body = orjson.loads(raw)
                    except orjson.JSONDecodeError as e:
                        raise CallError(grpc.StatusCode.INVALID_ARGUMENT, f"request body: not JSON ({e})") from None
                    if not isinstance(body, dict):
                        raise CallError(grpc.StatusCode.INVALID_ARGUMENT, "request body: give an object {\"text\", \"index\"}")
                data = await anyio.to_thread.run_sync(web.tokenize, self.registry, body,
                                                      self.options.limits.max_query_chars, limiter=self.limiter)
            return Response(data, media_type="application/json")
        except CallError as err:
            return _error(err)

    async def report(self, request: Request) -> Response:
        """POST the page's results (``?format=html|md|json``): the library's report as a download,
        so the HTML report never renders inside the page's origin."""
        try:
            self.check_auth(request)
            async with self.admitted():
                fmt = request.query_params.get("format", "html")
                body = await self.read_body(request, self.options.max_upload_bytes)
                data, media, name = await anyio.to_thread.run_sync(
                    web.report, self.registry, fmt, body, self.options.limits.max_batch, limiter=self.limiter)
            return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
        except CallError as err:
            return _error(err)

    def _read_items(self, filename: str, body: bytes) -> bytes:
        with tempfile.TemporaryDirectory(prefix="tracer-upload-") as tmp:
            path = Path(tmp) / filename
            path.write_bytes(body)
            try:
                items = read_benchmarks([str(path)])
                if len(items) > self.options.limits.max_batch:
                    raise LimitError(f"{filename}: {len(items)} items is over this server's cap of {self.options.limits.max_batch}")
            except Exception as exc:  # noqa: BLE001 - every error becomes a status, never a traceback
                err = _library_error(exc)
                raise CallError(err.code, err.message.replace(tmp + "/", "")) from None
            for item in items:
                item.source = item.source.replace(tmp + "/", "")
        return orjson.dumps({"items": [convert_item(i) for i in items]})


def _safe_filename(name: str) -> str:
    """A plain file name the library's reader understands by suffix (and names the benchmark by)."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name)[:100].lstrip(".")
    if not base.lower().endswith(UPLOAD_SUFFIXES):
        raise CallError(grpc.StatusCode.INVALID_ARGUMENT,
                        f"filename {name!r}: give a benchmark file ending in {', '.join(UPLOAD_SUFFIXES)}")
    return base


def _page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


def build_app(registry: IndexRegistry, options: HttpOptions | None = None, servicer: Any | None = None) -> Any:
    """The ASGI application (wrapped in the security-header middleware)."""
    api = HttpApi(registry, options or HttpOptions(), servicer)
    routes = [
        Route("/", _page, methods=["GET"]),
        Route("/v1", api.describe, methods=["GET"]),
        Route("/v1/{method}", api.rpc, methods=["POST"]),
        Route("/healthz", api.health, methods=["GET"]),
        Route("/web/benchmark", api.benchmark, methods=["POST"]),
        Route("/web/report", api.report, methods=["POST"]),
        Route("/web/benchmarks", api.benchmarks, methods=["GET"]),
        Route("/web/tokenize", api.tokenize, methods=["GET", "POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.api = api
    return SecurityHeaders(app)

