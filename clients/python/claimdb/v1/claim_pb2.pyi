import datetime

from claimdb.v1 import article_pb2 as _article_pb2
from claimdb.v1 import common_pb2 as _common_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClaimState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_STATE_UNSPECIFIED: _ClassVar[ClaimState]
    CLAIM_STATE_ACTIVE: _ClassVar[ClaimState]
    CLAIM_STATE_RETRACTED: _ClassVar[ClaimState]

class RevisionChange(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVISION_CHANGE_UNSPECIFIED: _ClassVar[RevisionChange]
    REVISION_CHANGE_CREATED: _ClassVar[RevisionChange]
    REVISION_CHANGE_CORRECTED: _ClassVar[RevisionChange]
    REVISION_CHANGE_RETRACTED: _ClassVar[RevisionChange]
    REVISION_CHANGE_MERGED: _ClassVar[RevisionChange]
    REVISION_CHANGE_REGROUPED: _ClassVar[RevisionChange]

class ClaimOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_ORDER_UNSPECIFIED: _ClassVar[ClaimOrder]
    CLAIM_ORDER_SAID_TIME_ASC: _ClassVar[ClaimOrder]
    CLAIM_ORDER_SAID_TIME_DESC: _ClassVar[ClaimOrder]
    CLAIM_ORDER_RECORD_TIME_ASC: _ClassVar[ClaimOrder]
    CLAIM_ORDER_RECORD_TIME_DESC: _ClassVar[ClaimOrder]
CLAIM_STATE_UNSPECIFIED: ClaimState
CLAIM_STATE_ACTIVE: ClaimState
CLAIM_STATE_RETRACTED: ClaimState
REVISION_CHANGE_UNSPECIFIED: RevisionChange
REVISION_CHANGE_CREATED: RevisionChange
REVISION_CHANGE_CORRECTED: RevisionChange
REVISION_CHANGE_RETRACTED: RevisionChange
REVISION_CHANGE_MERGED: RevisionChange
REVISION_CHANGE_REGROUPED: RevisionChange
CLAIM_ORDER_UNSPECIFIED: ClaimOrder
CLAIM_ORDER_SAID_TIME_ASC: ClaimOrder
CLAIM_ORDER_SAID_TIME_DESC: ClaimOrder
CLAIM_ORDER_RECORD_TIME_ASC: ClaimOrder
CLAIM_ORDER_RECORD_TIME_DESC: ClaimOrder

class ClaimSubject(_message.Message):
    __slots__ = ("entity", "role")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    entity: _common_pb2.EntitySummary
    role: str
    def __init__(self, entity: _Optional[_Union[_common_pb2.EntitySummary, _Mapping]] = ..., role: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("id", "article_id", "speakers", "speaker_role", "kind", "text", "spans", "cue", "venue", "recipient", "via", "via_text", "said_time", "said_precision", "said_time_text", "said_time_inferred", "subjects", "confidence", "provenance", "state", "revision", "create_time", "update_time", "published_time", "statement_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_ID_FIELD_NUMBER: _ClassVar[int]
    SPEAKERS_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_ROLE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    CUE_FIELD_NUMBER: _ClassVar[int]
    VENUE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    VIA_FIELD_NUMBER: _ClassVar[int]
    VIA_TEXT_FIELD_NUMBER: _ClassVar[int]
    SAID_TIME_FIELD_NUMBER: _ClassVar[int]
    SAID_PRECISION_FIELD_NUMBER: _ClassVar[int]
    SAID_TIME_TEXT_FIELD_NUMBER: _ClassVar[int]
    SAID_TIME_INFERRED_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_TIME_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    article_id: str
    speakers: _containers.RepeatedCompositeFieldContainer[_common_pb2.EntitySummary]
    speaker_role: str
    kind: _common_pb2.ClaimKind
    text: str
    spans: _containers.RepeatedCompositeFieldContainer[_common_pb2.Span]
    cue: str
    venue: str
    recipient: _common_pb2.EntitySummary
    via: _common_pb2.EntitySummary
    via_text: str
    said_time: _timestamp_pb2.Timestamp
    said_precision: _common_pb2.SaidPrecision
    said_time_text: str
    said_time_inferred: bool
    subjects: _containers.RepeatedCompositeFieldContainer[ClaimSubject]
    confidence: float
    provenance: _common_pb2.Provenance
    state: ClaimState
    revision: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    published_time: _timestamp_pb2.Timestamp
    statement_id: str
    def __init__(self, id: _Optional[str] = ..., article_id: _Optional[str] = ..., speakers: _Optional[_Iterable[_Union[_common_pb2.EntitySummary, _Mapping]]] = ..., speaker_role: _Optional[str] = ..., kind: _Optional[_Union[_common_pb2.ClaimKind, str]] = ..., text: _Optional[str] = ..., spans: _Optional[_Iterable[_Union[_common_pb2.Span, _Mapping]]] = ..., cue: _Optional[str] = ..., venue: _Optional[str] = ..., recipient: _Optional[_Union[_common_pb2.EntitySummary, _Mapping]] = ..., via: _Optional[_Union[_common_pb2.EntitySummary, _Mapping]] = ..., via_text: _Optional[str] = ..., said_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., said_precision: _Optional[_Union[_common_pb2.SaidPrecision, str]] = ..., said_time_text: _Optional[str] = ..., said_time_inferred: _Optional[bool] = ..., subjects: _Optional[_Iterable[_Union[ClaimSubject, _Mapping]]] = ..., confidence: _Optional[float] = ..., provenance: _Optional[_Union[_common_pb2.Provenance, _Mapping]] = ..., state: _Optional[_Union[ClaimState, str]] = ..., revision: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., statement_id: _Optional[str] = ...) -> None: ...

class ClaimInput(_message.Message):
    __slots__ = ("speakers", "speaker_role", "kind", "text", "spans", "cue", "venue", "recipient", "via", "via_text", "said_time", "said_precision", "said_time_text", "said_time_inferred", "subjects", "confidence", "provenance")
    SPEAKERS_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_ROLE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    CUE_FIELD_NUMBER: _ClassVar[int]
    VENUE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    VIA_FIELD_NUMBER: _ClassVar[int]
    VIA_TEXT_FIELD_NUMBER: _ClassVar[int]
    SAID_TIME_FIELD_NUMBER: _ClassVar[int]
    SAID_PRECISION_FIELD_NUMBER: _ClassVar[int]
    SAID_TIME_TEXT_FIELD_NUMBER: _ClassVar[int]
    SAID_TIME_INFERRED_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    speakers: _containers.RepeatedCompositeFieldContainer[_common_pb2.EntityRef]
    speaker_role: str
    kind: _common_pb2.ClaimKind
    text: str
    spans: _containers.RepeatedCompositeFieldContainer[_common_pb2.Span]
    cue: str
    venue: str
    recipient: _common_pb2.EntityRef
    via: _common_pb2.EntityRef
    via_text: str
    said_time: _timestamp_pb2.Timestamp
    said_precision: _common_pb2.SaidPrecision
    said_time_text: str
    said_time_inferred: bool
    subjects: _containers.RepeatedCompositeFieldContainer[SubjectInput]
    confidence: float
    provenance: _common_pb2.Provenance
    def __init__(self, speakers: _Optional[_Iterable[_Union[_common_pb2.EntityRef, _Mapping]]] = ..., speaker_role: _Optional[str] = ..., kind: _Optional[_Union[_common_pb2.ClaimKind, str]] = ..., text: _Optional[str] = ..., spans: _Optional[_Iterable[_Union[_common_pb2.Span, _Mapping]]] = ..., cue: _Optional[str] = ..., venue: _Optional[str] = ..., recipient: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., via: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., via_text: _Optional[str] = ..., said_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., said_precision: _Optional[_Union[_common_pb2.SaidPrecision, str]] = ..., said_time_text: _Optional[str] = ..., said_time_inferred: _Optional[bool] = ..., subjects: _Optional[_Iterable[_Union[SubjectInput, _Mapping]]] = ..., confidence: _Optional[float] = ..., provenance: _Optional[_Union[_common_pb2.Provenance, _Mapping]] = ...) -> None: ...

class SubjectInput(_message.Message):
    __slots__ = ("entity", "role")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    entity: _common_pb2.EntityRef
    role: str
    def __init__(self, entity: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., role: _Optional[str] = ...) -> None: ...

class ArticleInput(_message.Message):
    __slots__ = ("url", "title", "publisher", "published_time", "language", "body")
    URL_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_TIME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    url: str
    title: str
    publisher: _common_pb2.EntityRef
    published_time: _timestamp_pb2.Timestamp
    language: str
    body: str
    def __init__(self, url: _Optional[str] = ..., title: _Optional[str] = ..., publisher: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., published_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., language: _Optional[str] = ..., body: _Optional[str] = ...) -> None: ...

class IngestArticleRequest(_message.Message):
    __slots__ = ("article", "claims", "extract")
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    EXTRACT_FIELD_NUMBER: _ClassVar[int]
    article: ArticleInput
    claims: _containers.RepeatedCompositeFieldContainer[ClaimInput]
    extract: bool
    def __init__(self, article: _Optional[_Union[ArticleInput, _Mapping]] = ..., claims: _Optional[_Iterable[_Union[ClaimInput, _Mapping]]] = ..., extract: _Optional[bool] = ...) -> None: ...

class IngestArticleResponse(_message.Message):
    __slots__ = ("article", "claims", "created")
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    article: _article_pb2.Article
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    created: bool
    def __init__(self, article: _Optional[_Union[_article_pb2.Article, _Mapping]] = ..., claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetClaimRequest(_message.Message):
    __slots__ = ("id", "as_of")
    ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    id: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class ListClaimsRequest(_message.Message):
    __slots__ = ("speaker", "subject", "article_id", "publisher", "said_after", "said_before", "kinds", "query", "include_retracted", "as_of", "order_by", "page_size", "page_token", "statement")
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    SAID_AFTER_FIELD_NUMBER: _ClassVar[int]
    SAID_BEFORE_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_RETRACTED_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    speaker: _common_pb2.EntityRef
    subject: _common_pb2.EntityRef
    article_id: str
    publisher: _common_pb2.EntityRef
    said_after: _timestamp_pb2.Timestamp
    said_before: _timestamp_pb2.Timestamp
    kinds: _containers.RepeatedScalarFieldContainer[_common_pb2.ClaimKind]
    query: str
    include_retracted: bool
    as_of: _timestamp_pb2.Timestamp
    order_by: ClaimOrder
    page_size: int
    page_token: str
    statement: str
    def __init__(self, speaker: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., subject: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., article_id: _Optional[str] = ..., publisher: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., said_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., said_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kinds: _Optional[_Iterable[_Union[_common_pb2.ClaimKind, str]]] = ..., query: _Optional[str] = ..., include_retracted: _Optional[bool] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_by: _Optional[_Union[ClaimOrder, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statement: _Optional[str] = ...) -> None: ...

class ListClaimsResponse(_message.Message):
    __slots__ = ("claims", "next_page_token")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    next_page_token: str
    def __init__(self, claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateClaimRequest(_message.Message):
    __slots__ = ("id", "claim", "update_mask", "expected_revision", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    claim: ClaimInput
    update_mask: _field_mask_pb2.FieldMask
    expected_revision: int
    reason: str
    def __init__(self, id: _Optional[str] = ..., claim: _Optional[_Union[ClaimInput, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., expected_revision: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class UpdateClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class RetractClaimRequest(_message.Message):
    __slots__ = ("id", "reason", "expected_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    expected_revision: int
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ..., expected_revision: _Optional[int] = ...) -> None: ...

class RetractClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: Claim
    def __init__(self, claim: _Optional[_Union[Claim, _Mapping]] = ...) -> None: ...

class ClaimRevision(_message.Message):
    __slots__ = ("claim_id", "revision", "claim", "change", "reason", "actor", "record_time", "superseded_time")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_TIME_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    revision: int
    claim: Claim
    change: RevisionChange
    reason: str
    actor: str
    record_time: _timestamp_pb2.Timestamp
    superseded_time: _timestamp_pb2.Timestamp
    def __init__(self, claim_id: _Optional[str] = ..., revision: _Optional[int] = ..., claim: _Optional[_Union[Claim, _Mapping]] = ..., change: _Optional[_Union[RevisionChange, str]] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., superseded_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListClaimRevisionsRequest(_message.Message):
    __slots__ = ("id", "page_size", "page_token")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    page_size: int
    page_token: str
    def __init__(self, id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClaimRevisionsResponse(_message.Message):
    __slots__ = ("revisions", "next_page_token")
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    revisions: _containers.RepeatedCompositeFieldContainer[ClaimRevision]
    next_page_token: str
    def __init__(self, revisions: _Optional[_Iterable[_Union[ClaimRevision, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchClaimsRequest(_message.Message):
    __slots__ = ("speaker", "subject", "publisher", "kinds", "query", "cursor", "from_beginning")
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    FROM_BEGINNING_FIELD_NUMBER: _ClassVar[int]
    speaker: _common_pb2.EntityRef
    subject: _common_pb2.EntityRef
    publisher: _common_pb2.EntityRef
    kinds: _containers.RepeatedScalarFieldContainer[_common_pb2.ClaimKind]
    query: str
    cursor: str
    from_beginning: bool
    def __init__(self, speaker: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., subject: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., publisher: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., kinds: _Optional[_Iterable[_Union[_common_pb2.ClaimKind, str]]] = ..., query: _Optional[str] = ..., cursor: _Optional[str] = ..., from_beginning: _Optional[bool] = ...) -> None: ...

class WatchClaimsResponse(_message.Message):
    __slots__ = ("cursor", "change", "claim", "record_time")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    change: RevisionChange
    claim: Claim
    record_time: _timestamp_pb2.Timestamp
    def __init__(self, cursor: _Optional[str] = ..., change: _Optional[_Union[RevisionChange, str]] = ..., claim: _Optional[_Union[Claim, _Mapping]] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ImportArticlesRequest(_message.Message):
    __slots__ = ("article",)
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    article: IngestArticleRequest
    def __init__(self, article: _Optional[_Union[IngestArticleRequest, _Mapping]] = ...) -> None: ...

class ImportFieldViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ImportError(_message.Message):
    __slots__ = ("index", "url", "code", "message", "field_violations")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    index: int
    url: str
    code: int
    message: str
    field_violations: _containers.RepeatedCompositeFieldContainer[ImportFieldViolation]
    def __init__(self, index: _Optional[int] = ..., url: _Optional[str] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., field_violations: _Optional[_Iterable[_Union[ImportFieldViolation, _Mapping]]] = ...) -> None: ...

class ImportArticlesResponse(_message.Message):
    __slots__ = ("stored", "unchanged", "failed", "claims_stored", "errors")
    STORED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_STORED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    stored: int
    unchanged: int
    failed: int
    claims_stored: int
    errors: _containers.RepeatedCompositeFieldContainer[ImportError]
    def __init__(self, stored: _Optional[int] = ..., unchanged: _Optional[int] = ..., failed: _Optional[int] = ..., claims_stored: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[ImportError, _Mapping]]] = ...) -> None: ...

class ExtractClaimsRequest(_message.Message):
    __slots__ = ("text", "published_time")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_TIME_FIELD_NUMBER: _ClassVar[int]
    text: str
    published_time: _timestamp_pb2.Timestamp
    def __init__(self, text: _Optional[str] = ..., published_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExtractClaimsResponse(_message.Message):
    __slots__ = ("claims", "extractor", "extractor_version")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    EXTRACTOR_FIELD_NUMBER: _ClassVar[int]
    EXTRACTOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[ClaimInput]
    extractor: str
    extractor_version: str
    def __init__(self, claims: _Optional[_Iterable[_Union[ClaimInput, _Mapping]]] = ..., extractor: _Optional[str] = ..., extractor_version: _Optional[str] = ...) -> None: ...
