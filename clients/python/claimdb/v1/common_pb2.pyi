from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EntityKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTITY_KIND_UNSPECIFIED: _ClassVar[EntityKind]
    ENTITY_KIND_PERSON: _ClassVar[EntityKind]
    ENTITY_KIND_ORGANIZATION: _ClassVar[EntityKind]
    ENTITY_KIND_PLACE: _ClassVar[EntityKind]
    ENTITY_KIND_GROUP: _ClassVar[EntityKind]
    ENTITY_KIND_OTHER: _ClassVar[EntityKind]

class ClaimKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_KIND_UNSPECIFIED: _ClassVar[ClaimKind]
    CLAIM_KIND_DIRECT: _ClassVar[ClaimKind]
    CLAIM_KIND_INDIRECT: _ClassVar[ClaimKind]
    CLAIM_KIND_MIXED: _ClassVar[ClaimKind]

class SaidPrecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAID_PRECISION_UNSPECIFIED: _ClassVar[SaidPrecision]
    SAID_PRECISION_EXACT: _ClassVar[SaidPrecision]
    SAID_PRECISION_DAY: _ClassVar[SaidPrecision]
    SAID_PRECISION_WEEK: _ClassVar[SaidPrecision]
    SAID_PRECISION_MONTH: _ClassVar[SaidPrecision]
    SAID_PRECISION_YEAR: _ClassVar[SaidPrecision]
    SAID_PRECISION_UNKNOWN: _ClassVar[SaidPrecision]
ENTITY_KIND_UNSPECIFIED: EntityKind
ENTITY_KIND_PERSON: EntityKind
ENTITY_KIND_ORGANIZATION: EntityKind
ENTITY_KIND_PLACE: EntityKind
ENTITY_KIND_GROUP: EntityKind
ENTITY_KIND_OTHER: EntityKind
CLAIM_KIND_UNSPECIFIED: ClaimKind
CLAIM_KIND_DIRECT: ClaimKind
CLAIM_KIND_INDIRECT: ClaimKind
CLAIM_KIND_MIXED: ClaimKind
SAID_PRECISION_UNSPECIFIED: SaidPrecision
SAID_PRECISION_EXACT: SaidPrecision
SAID_PRECISION_DAY: SaidPrecision
SAID_PRECISION_WEEK: SaidPrecision
SAID_PRECISION_MONTH: SaidPrecision
SAID_PRECISION_YEAR: SaidPrecision
SAID_PRECISION_UNKNOWN: SaidPrecision

class EntityRef(_message.Message):
    __slots__ = ("id", "external_id", "name", "kind")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    id: str
    external_id: str
    name: str
    kind: EntityKind
    def __init__(self, id: _Optional[str] = ..., external_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[EntityKind, str]] = ...) -> None: ...

class EntitySummary(_message.Message):
    __slots__ = ("id", "name", "kind")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    kind: EntityKind
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[EntityKind, str]] = ...) -> None: ...

class Span(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class Provenance(_message.Message):
    __slots__ = ("extractor", "extractor_version", "human")
    EXTRACTOR_FIELD_NUMBER: _ClassVar[int]
    EXTRACTOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    HUMAN_FIELD_NUMBER: _ClassVar[int]
    extractor: str
    extractor_version: str
    human: str
    def __init__(self, extractor: _Optional[str] = ..., extractor_version: _Optional[str] = ..., human: _Optional[str] = ...) -> None: ...
