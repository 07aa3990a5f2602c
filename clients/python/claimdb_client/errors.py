"""Readable Python exceptions for claimdb's gRPC errors.

claimdb reports a bad request as ``INVALID_ARGUMENT`` with a
``google.rpc.Status`` in the ``grpc-status-details-bin`` trailer whose details
hold a ``google.rpc.BadRequest`` naming every bad field. :func:`from_rpc_error`
decodes that into :class:`BadRequestError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request: its path (``claims[0].text``) and why."""

    field: str
    description: str

    def __str__(self) -> str:
        return f"{self.field}: {self.description}"


class ClaimdbError(Exception):
    """A failed claimdb call: the gRPC status code and the server's message."""

    def __init__(
        self, code: grpc.StatusCode, message: str, cause: Optional[grpc.RpcError] = None
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.cause = cause


class BadRequestError(ClaimdbError):
    """``INVALID_ARGUMENT`` with the ``google.rpc.BadRequest`` field violations."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        violations: list[FieldViolation],
        cause: Optional[grpc.RpcError] = None,
    ) -> None:
        super().__init__(code, message, cause)
        self.violations = violations

    @property
    def fields(self) -> list[str]:
        """The paths of the bad fields, in the server's order."""
        return [v.field for v in self.violations]

    def __str__(self) -> str:
        lines = [f"{self.code.name}: {self.message}"]
        lines += [f"  - {v}" for v in self.violations]
        return "\n".join(lines)


def from_rpc_error(err: grpc.RpcError) -> ClaimdbError:
    """Turns a ``grpc.RpcError`` into a :class:`ClaimdbError`, decoding a
    ``google.rpc.BadRequest`` detail into :class:`BadRequestError`."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = err.details() if hasattr(err, "details") else str(err)
    violations: list[FieldViolation] = []
    found_bad_request = False
    status = rpc_status.from_call(err) if hasattr(err, "trailing_metadata") else None
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                found_bad_request = True
                violations += [
                    FieldViolation(v.field, v.description) for v in bad.field_violations
                ]
    if found_bad_request:
        return BadRequestError(code, message or "", violations, err)
    return ClaimdbError(code, message or "", err)
