"""What every request goes through on its way in and out: who is calling, quotas, HTTP caching, compression.

`Gate` identifies the caller (API key or client address), enforces the quota,
answers conditional GETs from the change log without running the route, and
adds the RateLimit, ETag, Last-Modified, Cache-Control and Vary headers.
`Compress` gzips or brotli-compresses bodies and marks ETags per encoding, as
strong validators must differ between content codings.
"""

import asyncio
import contextlib
import gzip
import hashlib
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime

import brotli  # type: ignore[import-untyped]
from cachetools import LRUCache
from fastapi import FastAPI
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from limits.util import WindowStats
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import errors
from app.config import Settings
from app.db import Database, transaction
from app.models import ARTICLE_ID_PATTERN, SLUG_PATTERN, utcnow
from app.services.changes import State, current_state, scope_states
from app.services.keys import KeyInfo, add_usage, authenticate

log = logging.getLogger(__name__)

# Bumped whenever a representation changes shape, so that cached copies are not revalidated across it.
REPRESENTATION = "1"
VARY = "Accept, Accept-Encoding, Authorization, X-API-Key"
_UNCOUNTED = ("/healthz", "/readyz")
_KEY_CACHE_SECONDS = 5.0
_ENCODING_SUFFIXES = ("-br", "-gz")


@dataclass(frozen=True)
class Caller:
    key: KeyInfo | None
    address: str

    @property
    def partner(self) -> bool:
        """Partners (and anonymous readers) never see withheld or embargoed stories."""
        return self.key is None or not self.key.editor

    @property
    def sections(self) -> list[str] | None:
        return self.key.sections if self.key else None

    def view(self) -> str:
        """What about the caller changes the representation (not who the caller is)."""
        return f"{'partner' if self.partner else 'editor'}|{','.join(sorted(self.sections or ['*']))}"


def caller_of(request: Request) -> Caller:
    caller = getattr(request.state, "caller", None)
    return caller if isinstance(caller, Caller) else Caller(None, request.client.host if request.client else "-")


def raw_key(headers: Headers) -> str | None:
    """An API key from `X-API-Key` or `Authorization: Bearer`; keys never travel in the URL."""
    if key := headers.get("x-api-key"):
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def bare_etag(tag: str) -> str:
    """An entity tag without the content-coding mark `Compress` adds."""
    tag = tag.strip().removeprefix("W/")
    inner = tag.strip('"')
    for suffix in _ENCODING_SUFFIXES:
        inner = inner.removesuffix(suffix)
    return f'"{inner}"'


def etag_seq(tag: str) -> int | None:
    """The change number an entity tag was made at, for If-Match on writes."""
    head = bare_etag(tag).strip('"').split(".", 1)[0]
    return int(head) if head.isdigit() else None


class Usage:
    """Requests per key per day, counted in memory and added to the database every few seconds."""

    def __init__(self) -> None:
        self.counts: dict[tuple[int, date], int] = {}

    def count(self, key_id: int) -> None:
        day = datetime.now(UTC).date()
        self.counts[(key_id, day)] = self.counts.get((key_id, day), 0) + 1

    async def flush(self, db: Database) -> None:
        counts, self.counts = self.counts, {}
        if counts:
            async with db.writing(), transaction(db) as session:
                await add_usage(session, counts)

    @contextlib.asynccontextmanager
    async def flushing(self, db: Database, every: float = 5.0) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(every)
                try:
                    await self.flush(db)
                except Exception:  # a failed flush must not stop counting; it retries next time
                    log.exception("could not store key usage")

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            await self.flush(db)


class Freshness:
    """The state ETags are made from, read at most once per `ttl` seconds by each process.

    Every GET needs it, so it is the one statement every GET would otherwise pay. Writes through
    this process reset it at once; writes by other processes show within `ttl`, as they would
    behind any HTTP cache.

    Scopes' newest changes (see `ChangeScope`) are kept too. Each read of the state also reads the
    scopes that changed since the last one, so that the others stay known without being read again.
    """

    def __init__(self, ttl: float, scopes: int = 50_000, changed: int = 1_000) -> None:
        self.ttl = ttl
        # Past this many scopes changed since the last read, forgetting them all is cheaper.
        self.changed = changed
        self._state: State | None = None
        self._until = 0.0
        self._generation = 0
        # scope -> its newest change and its time, as of change number `_scopes_at`; a plain dict,
        # emptied when full, as a 304 is looked up here and must cost next to nothing
        self._scopes: dict[str, tuple[int, datetime | None]] = {}
        self._most = scopes
        self._scopes_at: int | None = None
        # The read under way: requests that find the state stale meanwhile wait for it rather than
        # each reading it too, which at the end of every `ttl` put all of them in the pool's queue.
        self._reading: asyncio.Task[State] | None = None

    def invalidate(self) -> None:
        self._state = None
        self._generation += 1
        # A read begun before the write may not see it: later requests read again.
        self._reading = None

    async def read(
        self, db: Database, scopes: tuple[str, ...] = (), *, again: bool = False
    ) -> tuple[State, list[tuple[int, datetime | None]]]:
        """The state, and each scope's newest change and its time ((0, None) for a scope without any)."""
        state = self._state
        if again or state is None or self._until <= time.monotonic():
            if again:
                state = await self._read(db, scopes, self._generation)
                return state, self._kept(scopes, state.scopes)
            if self._reading is None:
                reading = self._reading = asyncio.ensure_future(self._read(db, scopes, self._generation))
                reading.add_done_callback(self._done)
                # Shielded: one request giving up must not cancel the read for those waiting on it.
                state = await asyncio.shield(reading)
                return state, self._kept(scopes, state.scopes)
            state = await asyncio.shield(self._reading)
        found = [hit for scope in scopes if (hit := self._scopes.get(scope)) is not None]
        if len(found) == len(scopes):
            return state, found
        async with transaction(db, read_only=True) as session:
            read = await scope_states(session, scopes)
        return state, self._kept(scopes, read)

    async def _read(self, db: Database, scopes: tuple[str, ...], generation: int) -> State:
        since = self._scopes_at
        async with transaction(db, read_only=True) as session:
            state = await current_state(session, utcnow(), scopes, since, self.changed)
        # A write that finished while this read was under way may not be in it: do not keep it then.
        if generation == self._generation:
            self._state, self._until = state, time.monotonic() + self.ttl
        if since is None or not state.complete or len(self._scopes) >= self._most:
            self._scopes.clear()
        self._scopes.update(state.scopes)
        self._scopes_at = state.seq
        return state

    def _done(self, reading: asyncio.Task[State]) -> None:
        if self._reading is reading:
            self._reading = None
        if not reading.cancelled():
            # Whoever waited has it; if all of them gave up, a failed read is not worth a warning.
            reading.exception()

    def _kept(
        self, scopes: tuple[str, ...], read: dict[str, tuple[int, datetime]]
    ) -> list[tuple[int, datetime | None]]:
        newest: list[tuple[int, datetime | None]] = [read.get(scope, (0, None)) for scope in scopes]
        if len(self._scopes) >= self._most:
            self._scopes.clear()
        self._scopes.update(zip(scopes, newest, strict=True))
        return newest


@dataclass(frozen=True)
class Kept:
    headers: list[tuple[bytes, bytes]]
    body: bytes


class Responses:
    """200 answers by strong ETag: the same state and the same request give the same bytes.

    A write makes new tags (they carry the change number), so nothing here is ever stale; old
    entries simply stop being asked for and age out. The caller's scopes are part of the key,
    so an answer is never handed to a caller who could not have had it from the route.
    """

    _QUOTA_HEADERS = (b"ratelimit", b"ratelimit-policy")

    def __init__(self, megabytes: int) -> None:
        size = megabytes * 2**20
        self.largest = size // 16
        self.kept: LRUCache[tuple[str, tuple[str, ...]], Kept] | None = (
            LRUCache(maxsize=size, getsizeof=lambda kept: len(kept.body) + 1024) if size else None
        )

    def get(self, key: tuple[str, tuple[str, ...]]) -> Kept | None:
        return self.kept.get(key) if self.kept is not None else None

    def keep(self, key: tuple[str, tuple[str, ...]], headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if self.kept is not None and len(body) <= self.largest:
            self.kept[key] = Kept([h for h in headers if h[0].lower() not in self._QUOTA_HEADERS], body)


def limiter_storage(settings: Settings) -> Storage:
    """In memory by default; Redis when configured, so that every API process shares one quota."""
    if settings.redis_url:
        storage = storage_from_string("async+" + settings.redis_url)
        assert isinstance(storage, Storage)
        return storage
    return MemoryStorage()


_ARTICLE = re.compile(rf"/v1/articles/({ARTICLE_ID_PATTERN})(?:/versions(?:/[0-9]{{1,10}})?)?")
_SECTION = re.compile(rf"/v1/sections/({SLUG_PATTERN})(?:/feed\.(?:json|atom))?")
_ENTITY = re.compile(r"/v1/entities/([1-9][0-9]{0,9})(/quotes|/articles|/feed\.json|/feed\.atom)?")
_ARTICLE_ID = re.compile(ARTICLE_ID_PATTERN)
_ENTITY_ID = re.compile(r"[1-9][0-9]{0,9}")
_SLUG = re.compile(SLUG_PATTERN)
# Query parameters whose answers depend only on the stories of the sections or articles asked for
# (an entity's rename is logged on every story showing it). A parameter added later that is not
# listed here makes its answers depend on any change: safe until it is known to be confined.
_PAGING = {"sort", "cursor", "limit"}
_ARTICLE_LIST = frozenset(
    {"q", "section", "published_from", "published_to", "updated_from", "updated_to", "entity", "entity_match"}
    | {"speaker", "language", "agency", "status", "format", "fields", "expand"}
    | _PAGING
)
_QUOTE_LIST = frozenset(
    {"q", "speaker", "kind", "article", "section", "published_from", "published_to", "entity", "entity_match"}
    | {"language"}
    | _PAGING
)


def scopes_of(request: Request, caller: Caller) -> tuple[str, ...] | None:
    """The scopes an answer is confined to (see `ChangeScope`), or None if any change may alter it.

    A list filtered several ways is confined by any one of them: the narrowest is taken (named
    articles, then entities, then sections)."""
    path = request.scope["path"]
    if match := _ARTICLE.fullmatch(path):
        return (f"article:{match[1]}",)
    query = request.query_params
    if match := _SECTION.fullmatch(path):
        # A section, or its feed, which takes the article list's parameters.
        return (f"section:{match[1]}",) if _ARTICLE_LIST.issuperset(query.keys()) else None
    if match := _ENTITY.fullmatch(path):
        # An entity (no parameters), its quotes (the quote list's) or its articles and feed (the article list's).
        taken = frozenset() if match[2] is None else _QUOTE_LIST if match[2] == "/quotes" else _ARTICLE_LIST
        return (f"entity:{match[1]}",) if taken.issuperset(query.keys()) else None
    allowed = _ARTICLE_LIST if path == "/v1/articles" else _QUOTE_LIST if path == "/v1/quotes" else None
    if allowed is None or not allowed.issuperset(query.keys()):
        return None
    if articles := query.getlist("article"):
        return _confined("article", articles, _ARTICLE_ID)
    if entities := [*query.getlist("entity"), *query.getlist("speaker"), *query.getlist("agency")]:
        return _confined("entity", entities, _ENTITY_ID)
    if sections := query.getlist("section") or caller.sections:
        return _confined("section", sections, _SLUG)
    return None


def _confined(kind: str, names: list[str], valid: re.Pattern[str]) -> tuple[str, ...] | None:
    # A value the route will refuse anyway is not worth a lookup (nor fit for one: think of NUL bytes).
    if all(valid.fullmatch(name) for name in names):
        return tuple(sorted({f"{kind}:{name}" for name in names}))
    return None


def _no_cache(headers: Headers) -> bool:
    """`Cache-Control: no-cache` asks for an answer made afresh (RFC 9111 5.2.1.4): our caches stay out of it."""
    return "no-cache" in headers.get("cache-control", "")


class Gate:
    def __init__(self, app: ASGIApp, fastapi: FastAPI, settings: Settings) -> None:
        self.app = app
        self.fastapi = fastapi
        self.settings = settings
        # A sliding window counter costs the same whatever the quota (a moving window keeps every hit).
        self.limiter = SlidingWindowCounterRateLimiter(limiter_storage(settings))
        self.default_limit = parse(settings.rate_limit)
        self.anonymous_limit = parse(settings.anonymous_rate_limit)
        self.keys: dict[str, tuple[float, KeyInfo | None]] = {}
        self.freshness = Freshness(settings.validators_ttl)
        self.responses = Responses(settings.response_cache_mb)

    async def _key(self, db: Database, raw: str) -> KeyInfo | None:
        # A short cache spares a lookup per request; a revoked key is refused within seconds.
        digest = hashlib.sha256(raw.encode()).hexdigest()
        cached = self.keys.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with transaction(db, read_only=True) as session:
            info = await authenticate(session, raw)
        if len(self.keys) > 10_000:
            self.keys.clear()
        self.keys[digest] = (time.monotonic() + _KEY_CACHE_SECONDS, info)
        return info

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            await self._handle(request, scope, receive, send)
        except errors.DATABASE_ERRORS as exc:
            # The gate runs outside the app's exception handlers: it answers as they would.
            await (await errors.database_unavailable(request, exc))(scope, receive, send)

    async def _handle(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        db: Database = self.fastapi.state.db
        address = request.client.host if request.client else "-"
        key: KeyInfo | None = None
        if raw := raw_key(request.headers):
            key = await self._key(db, raw)
            if key is None:
                await self._refuse(request, scope, receive, send, 401, "The API key is unknown or revoked.")
                return
        path = scope["path"]
        if (
            key is None
            and self.settings.require_api_key
            and path.startswith("/v1")
            and request.method in ("GET", "HEAD")
        ):
            await self._refuse(request, scope, receive, send, 401, "Reading needs an API key with the `read` scope.")
            return
        caller = Caller(key, address)
        scope.setdefault("state", {})["caller"] = caller
        if path in _UNCOUNTED:
            await self.app(scope, receive, send)
            return

        limit = (
            parse(key.rate_limit) if key and key.rate_limit else (self.default_limit if key else self.anonymous_limit)
        )
        identity = f"key:{key.id}" if key else f"address:{address}"
        policy = "key" if key else "anonymous"
        # One look at the window serves the test and the headers: spent requests lower `remaining` by one.
        window = await self.limiter.get_window_stats(limit, identity)
        if window.remaining < 1:
            headers = self._quota_headers(limit, policy, window)
            reset = int(headers["RateLimit"].rsplit("t=", 1)[1])
            problem = errors.problem(
                request,
                status=429,
                slug="too-many-requests",
                title="Too many requests",
                detail=f"Quota of {limit} exceeded; retry in {reset} s.",
                headers={**headers, "Retry-After": str(max(reset, 1))},
            )
            await problem(scope, receive, send)
            return

        validators = await self._validators(db, request, caller) if self._cacheable(request) else None
        if validators and self._fresh(request, *validators):
            # Answered from the validators: nothing counted, but the quota is still reported.
            await self._not_modified(validators, self._quota_headers(limit, policy, window), send)
            return
        kept_as = None
        if validators and request.method == "GET" and not _no_cache(request.headers):
            kept_as = (validators[0], tuple(sorted(key.scopes)) if key else ())
        if kept_as and (kept := self.responses.get(kept_as)):
            await self._count(limit, identity, key)
            answer = MutableHeaders(raw=list(kept.headers))
            answer.update(self._quota_headers(limit, policy, window, spent=1))
            await send({"type": "http.response.start", "status": 200, "headers": answer.raw})
            await send({"type": "http.response.body", "body": kept.body})
            return

        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        start: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []

        async def respond(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if status != 304:
                    await self._count(limit, identity, key)
                headers.update(self._quota_headers(limit, policy, window, spent=int(status != 304)))
                if validators and status == 200:
                    self._cache_headers(headers, *validators)
                    # A copy: Compress, further out, rewrites these headers for its encoding.
                    start = list(headers.raw)
                if writes:
                    # Before the client can see the answer and ask again.
                    self.freshness.invalidate()
            elif message["type"] == "http.response.body" and start is not None and kept_as is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self.responses.keep(kept_as, start, b"".join(chunks))
            await send(message)

        try:
            await self.app(scope, receive, respond)
        finally:
            if writes:
                # And after the transaction has certainly ended.
                self.freshness.invalidate()

    async def _count(self, limit: RateLimitItem, identity: str, key: KeyInfo | None) -> None:
        await self.limiter.hit(limit, identity)
        if key is not None:
            self.fastapi.state.usage.count(key.id)

    def _cacheable(self, request: Request) -> bool:
        path = request.url.path
        # Key usage is not in the change log, so its state has no change number to tag it with.
        if request.method not in ("GET", "HEAD") or not path.startswith("/v1/") or path.startswith("/v1/admin/"):
            return False
        # A long poll answers when something changes: it cannot be answered from the validators in advance.
        return not (path == "/v1/changes" and request.query_params.get("wait", "0") not in ("", "0"))

    async def _validators(self, db: Database, request: Request, caller: Caller) -> tuple[str, datetime | None]:
        """A strong ETag from the last change, the request and the caller's view; Last-Modified from its time.

        The same state and the same request give the same bytes, so the tag is known before the route runs.
        An answer confined to some scopes (see `scopes_of`) takes the last change within them instead.
        """
        scopes = scopes_of(request, caller) or ()
        state, newest = await self.freshness.read(db, scopes, again=_no_cache(request.headers))
        seq, at, changed = state.seq, state.at, str(state.seq)
        if scopes:
            seq = max(n for n, _ in newest)
            at = max((when for _, when in newest if when is not None), default=None)
            changed = " ".join(f"{scope}={n}" for scope, (n, _) in zip(scopes, newest, strict=True))
        if caller.partner and state.lifted is not None:
            # An embargo lifting changes what partners see without any change being logged.
            at = max(at, state.lifted) if at is not None else state.lifted
        query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
        parts = [
            REPRESENTATION,
            changed,
            # Links in bodies and headers are absolute: the host they are made from is part of the bytes.
            self.settings.public_url or str(request.base_url),
            request.url.path,
            query,
            # No Accept means the same as */* (RFC 9110): both must share one tag.
            request.headers.get("accept") or "*/*",
            caller.view(),
            str(state.lifted if caller.partner else None),
        ]
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]
        return f'"{seq}.{digest}"', at

    def _fresh(self, request: Request, etag: str, at: datetime | None) -> bool:
        if none_match := request.headers.get("if-none-match"):
            return none_match.strip() == "*" or etag in {bare_etag(t) for t in none_match.split(",")}
        since = request.headers.get("if-modified-since")
        if since and at is not None:
            try:
                return at <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def _cache_headers(self, headers: MutableHeaders, etag: str, at: datetime | None) -> None:
        headers["ETag"] = etag
        if at is not None:
            headers["Last-Modified"] = format_datetime(at.astimezone(UTC), usegmt=True)
        if "cache-control" not in headers:
            headers["Cache-Control"] = self.settings.cache_control_lists
        headers["Vary"] = VARY

    async def _not_modified(self, validators: tuple[str, datetime | None], quota: dict[str, str], send: Send) -> None:
        headers = MutableHeaders(headers=quota)
        self._cache_headers(headers, *validators)
        await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})

    def _quota_headers(self, limit: RateLimitItem, policy: str, window: WindowStats, spent: int = 0) -> dict[str, str]:
        # IETF draft-ietf-httpapi-ratelimit-headers: the policy, then what is left and when it resets.
        reset = max(0, int(window.reset_time - time.time()))
        return {
            "RateLimit-Policy": f'"{policy}";q={limit.amount};w={limit.get_expiry()}',
            "RateLimit": f'"{policy}";r={max(window.remaining - spent, 0)};t={reset}',
        }

    async def _refuse(
        self, request: Request, scope: Scope, receive: Receive, send: Send, status: int, detail: str
    ) -> None:
        error = errors.Unauthorized(detail)
        await errors.problem(
            request, status=status, slug=error.slug, title=error.title, detail=detail, headers=error.headers
        )(scope, receive, send)


_COMPRESSIBLE = (
    "application/json",
    "application/problem+json",
    "application/ninjs+json",
    "application/feed+json",
    "application/atom+xml",
    "application/ld+json",
    "text/",
)
_MIN_SIZE = 512


def _encoding(accept: str) -> str | None:
    offered = {part.split(";", 1)[0].strip().lower(): part for part in accept.split(",")}
    for name in ("br", "gzip"):
        if name in offered and "q=0" not in offered[name].replace(" ", ""):
            return name
    return None


class Compress:
    """Brotli or gzip for bodies worth it; each encoding gets its own ETag, and Vary says why.

    A strong ETag names the exact bytes, so a body compressed once under a tag is kept and reused.
    """

    def __init__(self, app: ASGIApp, megabytes: int = 16) -> None:
        self.app = app
        self.compressed: LRUCache[tuple[str, str], bytes] | None = (
            LRUCache(maxsize=megabytes * 2**20, getsizeof=lambda body: len(body) + 128) if megabytes else None
        )

    def _compress(self, body: bytes, encoding: str, etag: str | None) -> bytes:
        if etag is None or self.compressed is None:
            return brotli.compress(body, quality=4) if encoding == "br" else gzip.compress(body, compresslevel=6)
        done = self.compressed.get((etag, encoding))
        if done is None:
            done = self.compressed[(etag, encoding)] = self._compress(body, encoding, None)
        return done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        encoding = _encoding(request.get("accept-encoding", ""))
        if encoding is None:
            await self.app(scope, receive, send)
            return
        keep = not _no_cache(request)
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await send_all(start, b"".join(chunks))

        async def send_all(start: Message, body: bytes) -> None:
            headers = MutableHeaders(scope=start)
            kind = headers.get("content-type", "")
            if len(body) >= _MIN_SIZE and "content-encoding" not in headers and kind.startswith(_COMPRESSIBLE):
                body = self._compress(body, encoding, headers.get("etag") if keep else None)
                headers["Content-Encoding"] = encoding
                headers["Content-Length"] = str(len(body))
            # Marked whenever an encoding was negotiated, compressed or not: a 304 cannot know whether its
            # 200 would have been, and it must carry the very tag that 200 carried.
            if (etag := headers.get("etag")) and etag.endswith('"'):
                headers["ETag"] = etag[:-1] + ("-br" if encoding == "br" else "-gz") + '"'
            if "accept-encoding" not in headers.get("vary", "").lower():
                headers["Vary"] = ", ".join(v for v in (headers.get("vary"), "Accept-Encoding") if v)
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)
