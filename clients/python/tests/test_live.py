"""The Python client against a live claimdb server."""

import datetime as dt
import os
import subprocess
import sys

import grpc
import pytest
from google.protobuf import json_format

from claimdb_client import BadRequestError, ClaimdbError, claim_pb2, common_pb2
from conftest import HERE, WORKED_EXAMPLE

EKWALL_TEXTS = [
    "a partner that keeps its word",
    "We did not come here to ask for favours, we came to build a port that both our "
    "countries will be proud of.",
]


def _worked_example() -> claim_pb2.IngestArticleRequest:
    return json_format.Parse(WORKED_EXAMPLE.read_text(encoding="utf-8"), claim_pb2.IngestArticleRequest())


def _article(unique: str, speaker: str, texts: list[str]) -> claim_pb2.IngestArticleRequest:
    """An article without a body (spans unchecked) with one claim per text."""
    req = claim_pb2.IngestArticleRequest(
        article=claim_pb2.ArticleInput(
            url=f"https://python-client.example/{unique}",
            title=f"Python client test {unique}",
            publisher=common_pb2.EntityRef(name="Python Client Gazette", kind=common_pb2.ENTITY_KIND_ORGANIZATION),
        )
    )
    req.article.published_time.FromDatetime(dt.datetime(2025, 6, 18, 12, tzinfo=dt.timezone.utc))
    for i, text in enumerate(texts):
        c = req.claims.add(kind=common_pb2.CLAIM_KIND_INDIRECT, text=text, cue="said", speaker_role="spokesperson")
        c.speakers.add(name=speaker, kind=common_pb2.ENTITY_KIND_PERSON)
        c.said_time.FromDatetime(dt.datetime(2025, 6, 1 + i, tzinfo=dt.timezone.utc))
        c.said_precision = common_pb2.SAID_PRECISION_DAY
    return req


def test_ingest_worked_example_and_list_speaker_history(db):
    first = db.ingest_article(_worked_example())
    assert len(first.claims) == 5
    assert all(c.id for c in first.claims)
    again = db.ingest_article(WORKED_EXAMPLE)  # a path to proto3 JSON works too
    assert again.created is False
    assert [c.id for c in again.claims] == [c.id for c in first.claims]

    history = list(db.iter_claims(speaker="Tomas Ekwall", page_size=1))
    assert [c.text for c in history] == EKWALL_TEXTS
    assert {s.name for c in history for s in c.speakers} == {"Tomas Ekwall"}
    # Name matching ignores case, like the README's grpcurl session.
    assert [c.id for c in db.iter_claims(speaker=db.ref("tomas ekwall", common_pb2.ENTITY_KIND_PERSON))] == [
        c.id for c in history
    ]


def test_iter_claims_follows_every_page(db, unique):
    speaker = f"Pagina Speaker {unique}"
    texts = [f"statement number {i} by {unique}" for i in range(5)]
    db.ingest_article(_article(unique, speaker, texts))

    first = db.list_claims_page(claim_pb2.ListClaimsRequest(speaker=db.ref(speaker), page_size=2))
    assert len(first.claims) == 2 and first.next_page_token

    claims = list(db.iter_claims(speaker=speaker, page_size=2))
    assert [c.text for c in claims] == texts  # said-time order, all three pages
    newest_first = db.list_claims(speaker=speaker, page_size=2, order_by=claim_pb2.CLAIM_ORDER_SAID_TIME_DESC)
    assert [c.text for c in newest_first] == texts[::-1]


def test_as_of_answers_as_the_database_stood(db, unique):
    speaker = f"Asof Speaker {unique}"
    stored = db.ingest_article(_article(unique, speaker, [f"the old words {unique}"]))
    claim = stored.claims[0]
    before = claim.update_time.ToDatetime(tzinfo=dt.timezone.utc)

    updated = db.update_claim(
        claim.id,
        claim_pb2.ClaimInput(speaker_role="former spokesperson"),
        ["speaker_role"],
        expected_revision=claim.revision,
        reason="title corrected",
    )
    assert updated.revision == claim.revision + 1
    assert db.get_claim(claim.id).speaker_role == "former spokesperson"

    then = db.get_claim(claim.id, as_of=before)
    assert (then.speaker_role, then.revision) == ("spokesperson", claim.revision)
    listed_then = db.list_claims(speaker=speaker, as_of=before)
    assert [c.speaker_role for c in listed_then] == ["spokesperson"]

    revisions = list(db.iter_claim_revisions(claim.id, page_size=1))
    assert [r.change for r in revisions] == [claim_pb2.REVISION_CHANGE_CREATED, claim_pb2.REVISION_CHANGE_CORRECTED]
    assert revisions[1].actor == "pytest" and revisions[1].reason == "title corrected"


def test_bad_request_field_violations_are_decoded(db):
    req = claim_pb2.IngestArticleRequest(article=claim_pb2.ArticleInput(url="not a url"))
    req.claims.add(text="")
    with pytest.raises(BadRequestError) as caught:
        db.ingest_article(req)
    err = caught.value
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "article.url" in err.fields
    assert "claims[0].text" in err.fields
    assert all(v.description for v in err.violations)
    text = str(err)
    assert "INVALID_ARGUMENT" in text and "article.url:" in text and "claims[0].text:" in text


def test_other_errors_are_claimdb_errors_without_violations(db):
    with pytest.raises(ClaimdbError) as caught:
        db.get_claim("0190f5a0-0000-7000-8000-000000000000")
    assert caught.value.code == grpc.StatusCode.NOT_FOUND
    assert not isinstance(caught.value, BadRequestError)


def test_worked_example_script_prints_the_history(server):
    out = subprocess.run(
        [sys.executable, str(HERE.parent / "examples" / "worked_example.py")],
        env={**os.environ, "CLAIMDB_SERVER": server, "PYTHONPATH": str(HERE.parent)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "Everything Tomas Ekwall said:" in out
    assert out.index(EKWALL_TEXTS[0]) < out.index(EKWALL_TEXTS[1])
