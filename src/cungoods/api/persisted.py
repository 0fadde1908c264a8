"""Persisted queries: which document a request runs when it names one by its SHA-256 hash.

Two modes, one object (`PersistedDocuments`), used by both transports (api/transport/):

- **Automatic persisted queries** (Apollo's APQ protocol, the default): a request may carry
  `extensions.persistedQuery {version: 1, sha256Hash}`. Hash only and unknown: the client is told
  PERSISTED_QUERY_NOT_FOUND and sends hash and text together; the text is checked against the
  hash, kept, and run; from then on the hash alone is enough (over GET too, where a short URL
  is what makes the request cacheable and cheap on a metered rural connection). The texts are
  kept per process, least recently used going first past CUNGOODS_PERSISTED_QUERIES_BYTES:
  each process learns a document on its own, which is correct because a client answered
  PERSISTED_QUERY_NOT_FOUND just sends the text again (one extra round trip per process and
  document, not per request; so no shared store).
- **Trusted documents** (CUNGOODS_TRUSTED_DOCUMENTS=manifest.json): only the documents of the
  manifest run, named by their hash or sent in full (a full text is hashed and looked up).
  Everything else is refused with PERSISTED_QUERY_NOT_ALLOWED, and nothing is learnt. The
  manifest's hashes are checked when it is loaded, so a bad manifest stops the server at start.

A text is kept before it is parsed or validated: a document that does not validate is refused
when it runs, and the byte bound, not validation, is what keeps the store small (any client can
register valid documents of its own as well).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path

# The error codes (`extensions.code`) of a refused persisted-query request (docs/API.md).
# Apollo's clients act on the first two: NOT_FOUND makes them send the text, NOT_SUPPORTED makes
# them stop hashing and send plain requests.
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
PERSISTED_QUERY_INVALID = "PERSISTED_QUERY_INVALID"
PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
# Apollo's clients look for this message as well as the code.
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


class PersistedQueryError(Exception):
    """A request whose persisted query cannot run; `code` says why (the constants above)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ManifestError(ValueError):
    """A trusted-documents manifest that cannot be used (the server does not start)."""


def sha256_hex(text: str) -> str:
    """The hash clients send: SHA-256 of the document's UTF-8 text, in lower-case hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Lru:
    """Texts by hash, the least recently used dropped first once they pass `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.texts: OrderedDict[str, str] = OrderedDict()
        self.bytes = 0

    def get(self, digest: str) -> str | None:
        text = self.texts.get(digest)
        if text is not None:
            self.texts.move_to_end(digest)
        return text

    def put(self, digest: str, text: str) -> None:
        size = len(text.encode("utf-8"))
        if digest in self.texts or size > self.max_bytes:
            self.get(digest)
            return
        self.texts[digest] = text
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, dropped = self.texts.popitem(last=False)
            self.bytes -= len(dropped.encode("utf-8"))


class PersistedDocuments:
    """The documents a server knows by hash: learnt from clients (APQ), or a fixed set of
    trusted documents. `max_bytes=0` without trusted documents turns APQ off."""

    def __init__(self, *, max_bytes: int, trusted: Mapping[str, str] | None = None) -> None:
        self.trusted = dict(trusted) if trusted is not None else None
        self._learnt = _Lru(max_bytes)

    @classmethod
    def configured(
        cls, *, max_bytes: int, manifest: Path | None, also_trusted: Iterable[Path] = ()
    ) -> PersistedDocuments:
        """APQ with a store of `max_bytes`, or with `manifest` the trusted documents of it and
        of `also_trusted` (the server's own pages' documents)."""
        if manifest is None:
            return cls(max_bytes=max_bytes)
        trusted = load_manifest(manifest)
        for path in also_trusted:
            trusted |= load_manifest(path)
        return cls(max_bytes=0, trusted=trusted)

    def document_of(self, *, query: str | None, extensions: object) -> str | None:
        """The text a request runs: its own, or the one its `extensions.persistedQuery` hash
        stands for; a text sent with its hash is checked and learnt. PersistedQueryError when it
        may not run. None (no text, no hash) is left to the transport's "no query" answer."""
        if extensions is not None and not isinstance(extensions, Mapping):
            raise PersistedQueryError(PERSISTED_QUERY_INVALID, "`extensions` must be an object")
        persisted = extensions.get("persistedQuery") if extensions is not None else None
        if persisted is None:
            if query is not None and self.trusted is not None:
                self._trusted_text(sha256_hex(query))
            return query
        if self.trusted is None and self._learnt.max_bytes == 0:
            raise PersistedQueryError(
                PERSISTED_QUERY_NOT_SUPPORTED, "This server does not take persisted queries"
            )
        digest = _hash_in(persisted)
        if query is not None and sha256_hex(query) != digest:
            raise PersistedQueryError(
                PERSISTED_QUERY_HASH_MISMATCH,
                "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of the query's text",
            )
        if self.trusted is not None:
            return self._trusted_text(digest)
        if query is None:
            known = self._learnt.get(digest)
            if known is None:
                raise PersistedQueryError(PERSISTED_QUERY_NOT_FOUND, NOT_FOUND_MESSAGE)
            return known
        self._learnt.put(digest, query)
        return query

    def _trusted_text(self, digest: str) -> str:
        assert self.trusted is not None
        text = self.trusted.get(digest)
        if text is None:
            raise PersistedQueryError(
                PERSISTED_QUERY_NOT_ALLOWED,
                "This server runs trusted documents only, and this document is not one of them",
            )
        return text


def _hash_in(persisted: object) -> str:
    """The lower-case hash of an `extensions.persistedQuery`, once its shape is checked."""
    if not isinstance(persisted, Mapping):
        raise PersistedQueryError(
            PERSISTED_QUERY_INVALID, "`extensions.persistedQuery` must be an object"
        )
    version = persisted.get("version")
    if type(version) is not int:  # not a bool, not 1.0
        raise PersistedQueryError(
            PERSISTED_QUERY_INVALID, "`extensions.persistedQuery.version` must be an integer"
        )
    if version != 1:
        # Apollo's clients answer NOT_SUPPORTED by sending the plain query, which then runs.
        raise PersistedQueryError(
            PERSISTED_QUERY_NOT_SUPPORTED,
            f"Persisted query version {version} is not supported (only version 1)",
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
        raise PersistedQueryError(
            PERSISTED_QUERY_INVALID,
            "`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal digits",
        )
    return digest.lower()


def load_manifest(path: Path) -> dict[str, str]:
    """The documents of a manifest, by hash: Apollo's persisted query manifest
    (`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
    "body", ...}]}`), or a JSON object of hash to text (relay-compiler's persisted queries
    with `"algorithm": "SHA256"`, graphql-codegen's persisted documents). Every hash must be the
    SHA-256 of its text: ManifestError otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ManifestError(f"trusted documents {path}: cannot be read as JSON ({error})") from None
    if isinstance(data, dict) and "format" in data:
        entries = _apollo_entries(path, data)
    elif isinstance(data, dict) and all(isinstance(text, str) for text in data.values()):
        entries = list(data.items())
    else:
        raise ManifestError(
            f"trusted documents {path}: neither an Apollo persisted query manifest nor a JSON "
            "object of SHA-256 hash to document text"
        )
    if not entries:
        raise ManifestError(f"trusted documents {path}: lists no documents")
    documents: dict[str, str] = {}
    for digest, text in entries:
        if not (isinstance(digest, str) and _SHA256_HEX.fullmatch(digest)):
            raise ManifestError(
                f"trusted documents {path}: {str(digest)[:80]!r} is not a SHA-256 hash (64 hex "
                "digits; relay-compiler: set persistConfig's algorithm to SHA256)"
            )
        if sha256_hex(text) != digest.lower():
            raise ManifestError(
                f"trusted documents {path}: {digest} is not the SHA-256 of its document's text"
            )
        documents[digest.lower()] = text
    return documents


def _apollo_entries(path: Path, data: dict[str, object]) -> list[tuple[object, str]]:
    operations = data.get("operations")
    if (
        data.get("format") != APOLLO_MANIFEST_FORMAT
        or data.get("version") != 1
        or not isinstance(operations, list)
    ):
        raise ManifestError(
            f"trusted documents {path}: expected format {APOLLO_MANIFEST_FORMAT!r}, version 1, "
            "and a list of operations"
        )
    entries: list[tuple[object, str]] = []
    for operation in operations:
        if not isinstance(operation, dict) or not isinstance(operation.get("body"), str):
            raise ManifestError(f"trusted documents {path}: an operation without a `body` text")
        entries.append((operation.get("id"), operation["body"]))
    return entries
