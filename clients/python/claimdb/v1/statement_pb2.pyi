import datetime

from claimdb.v1 import claim_pb2 as _claim_pb2
from claimdb.v1 import common_pb2 as _common_pb2
from claimdb.v1 import review_pb2 as _review_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StatementOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATEMENT_ORDER_UNSPECIFIED: _ClassVar[StatementOrder]
    STATEMENT_ORDER_FIRST_APPEARANCE: _ClassVar[StatementOrder]
    STATEMENT_ORDER_APPEARANCE_COUNT: _ClassVar[StatementOrder]
STATEMENT_ORDER_UNSPECIFIED: StatementOrder
STATEMENT_ORDER_FIRST_APPEARANCE: StatementOrder
STATEMENT_ORDER_APPEARANCE_COUNT: StatementOrder

class Appearance(_message.Message):
    __slots__ = ("claim_id", "article_id", "url", "publisher", "published_time")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_TIME_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    article_id: str
    url: str
    publisher: _common_pb2.EntitySummary
    published_time: _timestamp_pb2.Timestamp
    def __init__(self, claim_id: _Optional[str] = ..., article_id: _Optional[str] = ..., url: _Optional[str] = ..., publisher: _Optional[_Union[_common_pb2.EntitySummary, _Mapping]] = ..., published_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Statement(_message.Message):
    __slots__ = ("id", "speakers", "canonical_text", "first_appearance", "appearance_count", "outlet_count", "outlets", "reviews", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    SPEAKERS_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_TEXT_FIELD_NUMBER: _ClassVar[int]
    FIRST_APPEARANCE_FIELD_NUMBER: _ClassVar[int]
    APPEARANCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    OUTLET_COUNT_FIELD_NUMBER: _ClassVar[int]
    OUTLETS_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    speakers: _containers.RepeatedCompositeFieldContainer[_common_pb2.EntitySummary]
    canonical_text: str
    first_appearance: Appearance
    appearance_count: int
    outlet_count: int
    outlets: _containers.RepeatedCompositeFieldContainer[_common_pb2.EntitySummary]
    reviews: _containers.RepeatedCompositeFieldContainer[_review_pb2.Review]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., speakers: _Optional[_Iterable[_Union[_common_pb2.EntitySummary, _Mapping]]] = ..., canonical_text: _Optional[str] = ..., first_appearance: _Optional[_Union[Appearance, _Mapping]] = ..., appearance_count: _Optional[int] = ..., outlet_count: _Optional[int] = ..., outlets: _Optional[_Iterable[_Union[_common_pb2.EntitySummary, _Mapping]]] = ..., reviews: _Optional[_Iterable[_Union[_review_pb2.Review, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetStatementRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetStatementResponse(_message.Message):
    __slots__ = ("statement", "resolved_from")
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FROM_FIELD_NUMBER: _ClassVar[int]
    statement: Statement
    resolved_from: str
    def __init__(self, statement: _Optional[_Union[Statement, _Mapping]] = ..., resolved_from: _Optional[str] = ...) -> None: ...

class ListStatementsRequest(_message.Message):
    __slots__ = ("speaker", "subject", "first_appearance_after", "first_appearance_before", "query", "order_by", "page_size", "page_token")
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FIRST_APPEARANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    FIRST_APPEARANCE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    speaker: _common_pb2.EntityRef
    subject: _common_pb2.EntityRef
    first_appearance_after: _timestamp_pb2.Timestamp
    first_appearance_before: _timestamp_pb2.Timestamp
    query: str
    order_by: StatementOrder
    page_size: int
    page_token: str
    def __init__(self, speaker: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., subject: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., first_appearance_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_appearance_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., query: _Optional[str] = ..., order_by: _Optional[_Union[StatementOrder, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStatementsResponse(_message.Message):
    __slots__ = ("statements", "next_page_token")
    STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    statements: _containers.RepeatedCompositeFieldContainer[Statement]
    next_page_token: str
    def __init__(self, statements: _Optional[_Iterable[_Union[Statement, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListAppearancesRequest(_message.Message):
    __slots__ = ("id", "page_size", "page_token")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    page_size: int
    page_token: str
    def __init__(self, id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAppearancesResponse(_message.Message):
    __slots__ = ("claims", "next_page_token")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[_claim_pb2.Claim]
    next_page_token: str
    def __init__(self, claims: _Optional[_Iterable[_Union[_claim_pb2.Claim, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MergeStatementsRequest(_message.Message):
    __slots__ = ("from_id", "into_id", "reason")
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    INTO_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    from_id: str
    into_id: str
    reason: str
    def __init__(self, from_id: _Optional[str] = ..., into_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class MergeStatementsResponse(_message.Message):
    __slots__ = ("statement",)
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    statement: Statement
    def __init__(self, statement: _Optional[_Union[Statement, _Mapping]] = ...) -> None: ...

class SplitClaimFromStatementRequest(_message.Message):
    __slots__ = ("claim_id", "reason")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    reason: str
    def __init__(self, claim_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SplitClaimFromStatementResponse(_message.Message):
    __slots__ = ("claim", "statement")
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    claim: _claim_pb2.Claim
    statement: Statement
    def __init__(self, claim: _Optional[_Union[_claim_pb2.Claim, _Mapping]] = ..., statement: _Optional[_Union[Statement, _Mapping]] = ...) -> None: ...

class ExportClaimReviewsRequest(_message.Message):
    __slots__ = ("statement_ids", "list")
    STATEMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    LIST_FIELD_NUMBER: _ClassVar[int]
    statement_ids: _containers.RepeatedScalarFieldContainer[str]
    list: ListStatementsRequest
    def __init__(self, statement_ids: _Optional[_Iterable[str]] = ..., list: _Optional[_Union[ListStatementsRequest, _Mapping]] = ...) -> None: ...

class ExportClaimReviewsResponse(_message.Message):
    __slots__ = ("json_ld", "statement_count", "next_page_token")
    JSON_LD_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    json_ld: str
    statement_count: int
    next_page_token: str
    def __init__(self, json_ld: _Optional[str] = ..., statement_count: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ImportClaimReviewsRequest(_message.Message):
    __slots__ = ("json_ld",)
    JSON_LD_FIELD_NUMBER: _ClassVar[int]
    json_ld: str
    def __init__(self, json_ld: _Optional[str] = ...) -> None: ...

class ImportClaimReviewsResponse(_message.Message):
    __slots__ = ("statement_ids", "claims_created", "reviews_created")
    STATEMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_CREATED_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_CREATED_FIELD_NUMBER: _ClassVar[int]
    statement_ids: _containers.RepeatedScalarFieldContainer[str]
    claims_created: int
    reviews_created: int
    def __init__(self, statement_ids: _Optional[_Iterable[str]] = ..., claims_created: _Optional[int] = ..., reviews_created: _Optional[int] = ...) -> None: ...
