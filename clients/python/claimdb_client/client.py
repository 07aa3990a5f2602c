"""Connection and typed helpers for the claimdb gRPC API."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, TypeVar, Union

import grpc
from google.protobuf import field_mask_pb2, json_format, timestamp_pb2

from claimdb.v1 import (
    article_pb2_grpc,
    claim_pb2,
    claim_pb2_grpc,
    common_pb2,
    entity_pb2_grpc,
)

from .errors import from_rpc_error

T = TypeVar("T")
Time = Union[_dt.datetime, timestamp_pb2.Timestamp]
Ref = Union[common_pb2.EntityRef, str]

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _host_of(target: str) -> str:
    t = target.split("://", 1)[-1]
    if t.startswith("["):
        return t[: t.find("]") + 1]
    return t.rsplit(":", 1)[0] if t.count(":") == 1 else t


class _MetadataInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds fixed metadata (authorization, claimdb-actor) to every call."""

    def __init__(self, metadata: Sequence[tuple[str, str]]) -> None:
        self._metadata = list(metadata)

    def _with_metadata(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or []) + self._metadata
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation, details, request):  # type: ignore[override]
        return continuation(self._with_metadata(details), request)

    def intercept_unary_stream(self, continuation, details, request):  # type: ignore[override]
        return continuation(self._with_metadata(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):  # type: ignore[override]
        return continuation(self._with_metadata(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):  # type: ignore[override]
        return continuation(self._with_metadata(details), request_iterator)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


def timestamp(t: Time) -> timestamp_pb2.Timestamp:
    """A ``Timestamp`` from a ``datetime`` (naive ones are taken as UTC)."""
    if isinstance(t, timestamp_pb2.Timestamp):
        return t
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(t)
    return ts


def ref(
    name: str = "",
    kind: "common_pb2.EntityKind.ValueType" = common_pb2.ENTITY_KIND_UNSPECIFIED,
    *,
    id: str = "",
    external_id: str = "",
) -> common_pb2.EntityRef:
    """An ``EntityRef`` by name (and kind), id or external id."""
    return common_pb2.EntityRef(id=id, external_id=external_id, name=name, kind=kind)


def _as_ref(r: Optional[Ref]) -> Optional[common_pb2.EntityRef]:
    if r is None or isinstance(r, common_pb2.EntityRef):
        return r
    return ref(name=r)


def connect(
    target: Optional[str] = None,
    *,
    api_key: Optional[str] = None,
    root_certificates: Union[bytes, str, Path, None] = None,
    plaintext: Optional[bool] = None,
    actor: Optional[str] = None,
    timeout: Optional[float] = 30.0,
    options: Sequence[tuple[str, Any]] = (),
) -> "Client":
    """Connects to a claimdb server.

    target: ``host:port``; default ``$CLAIMDB_SERVER`` or ``localhost:50051``.
    api_key: sent on every call as ``authorization: Bearer <api_key>``.
    root_certificates: PEM bytes, or a path to a PEM file, to trust for TLS
        (default: the system's roots).
    plaintext: no TLS. Default: plaintext for localhost/127.0.0.1/::1, TLS
        for every other host.
    actor: sent as the ``claimdb-actor`` header (recorded on writes).
    timeout: default deadline of each call, in seconds (None: no deadline).
    """
    target = target or os.environ.get("CLAIMDB_SERVER") or "localhost:50051"
    if plaintext is None:
        plaintext = _host_of(target) in _LOCAL_HOSTS
    if plaintext:
        if root_certificates is not None:
            raise ValueError("root_certificates given with plaintext=True")
        channel = grpc.insecure_channel(target, options=list(options))
    else:
        if isinstance(root_certificates, (str, Path)):
            root_certificates = Path(root_certificates).read_bytes()
        creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
        channel = grpc.secure_channel(target, creds, options=list(options))
    metadata: list[tuple[str, str]] = []
    if api_key:
        metadata.append(("authorization", f"Bearer {api_key}"))
    if actor:
        metadata.append(("claimdb-actor", actor))
    if metadata:
        channel = grpc.intercept_channel(channel, _MetadataInterceptor(metadata))
    return Client(channel, timeout=timeout)


class Client:
    """claimdb's three services behind one object.

    The raw generated stubs are ``client.claims``, ``client.entities`` and
    ``client.articles``; the methods below wrap the common calls, page through
    lists and raise :class:`claimdb_client.ClaimdbError` (or its subclass
    :class:`claimdb_client.BadRequestError`) instead of ``grpc.RpcError``.
    """

    ref = staticmethod(ref)
    timestamp = staticmethod(timestamp)

    def __init__(self, channel: grpc.Channel, *, timeout: Optional[float] = 30.0) -> None:
        self.channel = channel
        self.timeout = timeout
        self.claims = claim_pb2_grpc.ClaimServiceStub(channel)
        self.entities = entity_pb2_grpc.EntityServiceStub(channel)
        self.articles = article_pb2_grpc.ArticleServiceStub(channel)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.channel.close()

    def _call(self, rpc: Callable[..., T], request: Any) -> T:
        try:
            return rpc(request, timeout=self.timeout)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None

    # --- ClaimService -----------------------------------------------------

    def ingest_article(
        self, request: Union[claim_pb2.IngestArticleRequest, str, Path, dict]
    ) -> claim_pb2.IngestArticleResponse:
        """Stores an article with its claims. ``request`` is the message, or
        proto3 JSON: a path to a ``.json`` file, a JSON string or a dict."""
        if isinstance(request, Path) or (
            isinstance(request, str) and not request.lstrip().startswith("{")
        ):
            request = Path(request).read_text(encoding="utf-8")
        if isinstance(request, str):
            request = json_format.Parse(request, claim_pb2.IngestArticleRequest())
        elif isinstance(request, dict):
            request = json_format.ParseDict(request, claim_pb2.IngestArticleRequest())
        return self._call(self.claims.IngestArticle, request)

    def get_claim(self, id: str, *, as_of: Optional[Time] = None) -> claim_pb2.Claim:
        """One claim, as it is now or as it stood at ``as_of``."""
        req = claim_pb2.GetClaimRequest(id=id)
        if as_of is not None:
            req.as_of.CopyFrom(timestamp(as_of))
        return self._call(self.claims.GetClaim, req).claim

    def list_claims_page(self, request: claim_pb2.ListClaimsRequest) -> claim_pb2.ListClaimsResponse:
        """One page of ``ListClaims``, as the server returns it."""
        return self._call(self.claims.ListClaims, request)

    def iter_claims(
        self,
        request: Optional[claim_pb2.ListClaimsRequest] = None,
        *,
        speaker: Optional[Ref] = None,
        subject: Optional[Ref] = None,
        publisher: Optional[Ref] = None,
        article_id: str = "",
        said_after: Optional[Time] = None,
        said_before: Optional[Time] = None,
        kinds: Iterable["common_pb2.ClaimKind.ValueType"] = (),
        query: str = "",
        include_retracted: bool = False,
        as_of: Optional[Time] = None,
        order_by: "claim_pb2.ClaimOrder.ValueType" = claim_pb2.CLAIM_ORDER_UNSPECIFIED,
        page_size: int = 0,
    ) -> Iterator[claim_pb2.Claim]:
        """Every claim matching the filter, across all pages of ``ListClaims``.

        Pass a ``ListClaimsRequest``, or the filters as keywords (entity
        references may be plain names). ``as_of`` answers as the database
        stood at that time.
        """
        if request is None:
            request = claim_pb2.ListClaimsRequest(
                article_id=article_id,
                kinds=list(kinds),
                query=query,
                include_retracted=include_retracted,
                order_by=order_by,
                page_size=page_size,
            )
            for name, r in (("speaker", speaker), ("subject", subject), ("publisher", publisher)):
                r = _as_ref(r)
                if r is not None:
                    getattr(request, name).CopyFrom(r)
            for name, t in (("said_after", said_after), ("said_before", said_before), ("as_of", as_of)):
                if t is not None:
                    getattr(request, name).CopyFrom(timestamp(t))
        else:
            copy = claim_pb2.ListClaimsRequest()
            copy.CopyFrom(request)
            request = copy
        while True:
            page = self.list_claims_page(request)
            yield from page.claims
            if not page.next_page_token:
                return
            request.page_token = page.next_page_token

    def list_claims(self, request: Optional[claim_pb2.ListClaimsRequest] = None, **filters: Any) -> list[claim_pb2.Claim]:
        """All matching claims as a list (see :meth:`iter_claims`)."""
        return list(self.iter_claims(request, **filters))

    def update_claim(
        self,
        id: str,
        claim: claim_pb2.ClaimInput,
        paths: Sequence[str],
        *,
        expected_revision: int,
        reason: str,
    ) -> claim_pb2.Claim:
        """Corrects the fields named in ``paths``; returns the new version."""
        req = claim_pb2.UpdateClaimRequest(
            id=id,
            claim=claim,
            update_mask=field_mask_pb2.FieldMask(paths=list(paths)),
            expected_revision=expected_revision,
            reason=reason,
        )
        return self._call(self.claims.UpdateClaim, req).claim

    def retract_claim(self, id: str, *, reason: str, expected_revision: int = 0) -> claim_pb2.Claim:
        """Retracts a claim (it stays readable); returns the new version."""
        req = claim_pb2.RetractClaimRequest(id=id, reason=reason, expected_revision=expected_revision)
        return self._call(self.claims.RetractClaim, req).claim

    def iter_claim_revisions(self, id: str, *, page_size: int = 0) -> Iterator[claim_pb2.ClaimRevision]:
        """Every revision of a claim, oldest first, across all pages."""
        req = claim_pb2.ListClaimRevisionsRequest(id=id, page_size=page_size)
        while True:
            page = self._call(self.claims.ListClaimRevisions, req)
            yield from page.revisions
            if not page.next_page_token:
                return
            req.page_token = page.next_page_token
