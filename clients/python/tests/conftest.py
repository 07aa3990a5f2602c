"""Fixtures: a client connected to the live server named by CLAIMDB_SERVER."""

import os
import sys
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# Import the package from the source tree; no install needed for the tests.
sys.path.insert(0, str(HERE.parent))

from claimdb_client import connect  # noqa: E402

REPO = HERE.parents[2]
WORKED_EXAMPLE = REPO / "examples" / "worked_example.json"


@pytest.fixture(scope="session")
def server() -> str:
    addr = os.environ.get("CLAIMDB_SERVER")
    if not addr:
        if os.environ.get("CI"):
            pytest.fail("CLAIMDB_SERVER (host:port of a live claimdb) must be set in CI")
        pytest.skip("set CLAIMDB_SERVER=host:port to run the tests against a live claimdb")
    return addr


@pytest.fixture()
def db(server):
    with connect(server, actor="pytest") as client:
        yield client


@pytest.fixture()
def unique() -> str:
    """A suffix that keeps a test's entities and URLs apart from other tests'."""
    return uuid.uuid4().hex[:12]
