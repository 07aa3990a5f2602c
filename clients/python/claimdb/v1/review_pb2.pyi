import datetime

from claimdb.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Review(_message.Message):
    __slots__ = ("id", "statement_id", "reviewer", "rating_text", "rating_value", "best_rating", "worst_rating", "url", "review_time", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    RATING_TEXT_FIELD_NUMBER: _ClassVar[int]
    RATING_VALUE_FIELD_NUMBER: _ClassVar[int]
    BEST_RATING_FIELD_NUMBER: _ClassVar[int]
    WORST_RATING_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    REVIEW_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    statement_id: str
    reviewer: _common_pb2.EntitySummary
    rating_text: str
    rating_value: float
    best_rating: float
    worst_rating: float
    url: str
    review_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., statement_id: _Optional[str] = ..., reviewer: _Optional[_Union[_common_pb2.EntitySummary, _Mapping]] = ..., rating_text: _Optional[str] = ..., rating_value: _Optional[float] = ..., best_rating: _Optional[float] = ..., worst_rating: _Optional[float] = ..., url: _Optional[str] = ..., review_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateReviewRequest(_message.Message):
    __slots__ = ("statement_id", "reviewer", "rating_text", "rating_value", "best_rating", "worst_rating", "url", "review_time")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    RATING_TEXT_FIELD_NUMBER: _ClassVar[int]
    RATING_VALUE_FIELD_NUMBER: _ClassVar[int]
    BEST_RATING_FIELD_NUMBER: _ClassVar[int]
    WORST_RATING_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    REVIEW_TIME_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    reviewer: _common_pb2.EntityRef
    rating_text: str
    rating_value: float
    best_rating: float
    worst_rating: float
    url: str
    review_time: _timestamp_pb2.Timestamp
    def __init__(self, statement_id: _Optional[str] = ..., reviewer: _Optional[_Union[_common_pb2.EntityRef, _Mapping]] = ..., rating_text: _Optional[str] = ..., rating_value: _Optional[float] = ..., best_rating: _Optional[float] = ..., worst_rating: _Optional[float] = ..., url: _Optional[str] = ..., review_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateReviewResponse(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: Review
    def __init__(self, review: _Optional[_Union[Review, _Mapping]] = ...) -> None: ...

class ListReviewsRequest(_message.Message):
    __slots__ = ("statement_id", "page_size", "page_token")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    page_size: int
    page_token: str
    def __init__(self, statement_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReviewsResponse(_message.Message):
    __slots__ = ("reviews", "next_page_token")
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reviews: _containers.RepeatedCompositeFieldContainer[Review]
    next_page_token: str
    def __init__(self, reviews: _Optional[_Iterable[_Union[Review, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
