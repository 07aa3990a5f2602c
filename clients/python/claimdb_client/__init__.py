"""A small typed helper layer over the generated claimdb gRPC code.

>>> from claimdb_client import connect
>>> with connect("localhost:50051") as db:
...     for claim in db.iter_claims(speaker=db.ref(name="Tomas Ekwall")):
...         print(claim.text)

The generated modules are importable directly: ``claimdb.v1.claim_pb2``,
``claimdb.v1.claim_pb2_grpc`` and so on (re-exported here as ``claim_pb2``,
``common_pb2``, ``entity_pb2``, ``article_pb2``).
"""

from claimdb.v1 import article_pb2, claim_pb2, common_pb2, entity_pb2

from .client import Client, connect
from .errors import BadRequestError, ClaimdbError, FieldViolation, from_rpc_error

__all__ = [
    "BadRequestError",
    "ClaimdbError",
    "Client",
    "FieldViolation",
    "article_pb2",
    "claim_pb2",
    "common_pb2",
    "connect",
    "entity_pb2",
    "from_rpc_error",
]
