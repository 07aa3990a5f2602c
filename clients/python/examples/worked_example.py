"""Notebook-style walk through claimdb from Python.

Ingests the repository's worked example (examples/worked_example.json, an
IngestArticleRequest in proto3 JSON) and prints everything Tomas Ekwall said,
in the order he said it.

    CLAIMDB_SERVER=localhost:50051 python examples/worked_example.py
"""

# %%
import sys
from pathlib import Path

from google.protobuf import json_format

from claimdb_client import claim_pb2, connect

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "worked_example.json"
SPEAKER = sys.argv[1] if len(sys.argv) > 1 else "Tomas Ekwall"

# %% Connect: CLAIMDB_SERVER or localhost:50051; plaintext for localhost.
db = connect(actor="python-example")

# %% Ingest the article and its claims (idempotent: run it as often as you like).
request = json_format.Parse(EXAMPLE.read_text(encoding="utf-8"), claim_pb2.IngestArticleRequest())
stored = db.ingest_article(request)
print(f"article {stored.article.id}: {stored.article.title!r}")
print(f"  {len(stored.claims)} claims, created={stored.created}")

# %% The speaker's history, every page of ListClaims, oldest first.
print(f"\nEverything {SPEAKER} said:")
for claim in db.iter_claims(speaker=SPEAKER, page_size=1):
    said = claim.said_time.ToDatetime().date() if claim.HasField("said_time") else "?"
    speakers = ", ".join(s.name for s in claim.speakers)
    print(f"- {said} {speakers} ({claim.speaker_role}) {claim.cue}: \"{claim.text}\"")
    if claim.venue:
        print(f"    at {claim.venue}; revision {claim.revision}, id {claim.id}")

db.close()
