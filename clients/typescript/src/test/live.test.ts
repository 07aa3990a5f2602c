// The TypeScript client against a live claimdb (CLAIMDB_SERVER=host:port),
// over gRPC (HTTP/2) and over gRPC-Web (HTTP/1.1) on the same port.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { EntityKind } from "../gen/claimdb/v1/common_pb.js";
import { type Claim, IngestArticleRequestSchema } from "../gen/claimdb/v1/claim_pb.js";
import { BadRequestSchema } from "../gen/google/rpc/error_details_pb.js";
import { type Claimdb, baseUrl, connect } from "../claimdb.js";

const server = process.env.CLAIMDB_SERVER;
if (!server) {
  throw new Error("set CLAIMDB_SERVER=host:port of a live claimdb to run these tests");
}

const workedExample = fromJson(
  IngestArticleRequestSchema,
  JSON.parse(readFileSync(new URL("../../../../examples/worked_example.json", import.meta.url), "utf8")) as JsonValue,
);

const ekwallTexts = [
  "a partner that keeps its word",
  "We did not come here to ask for favours, we came to build a port that both our countries will be proud of.",
];

async function speakerHistory(db: Claimdb, name: string): Promise<Claim[]> {
  const all: Claim[] = [];
  let pageToken = "";
  let pages = 0;
  do {
    const page = await db.claims.listClaims({ speaker: { name }, pageSize: 1, pageToken });
    all.push(...page.claims);
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken && pages < 100);
  return all;
}

for (const protocol of ["grpc", "grpc-web"] as const) {
  describe(`over ${protocol}`, () => {
    const db = connect({ server, protocol, actor: `node-test-${protocol}`, apiKey: process.env.CLAIMDB_API_KEY });

    it("ingests the worked example and lists Tomas Ekwall's history, every page", async () => {
      const stored = await db.claims.ingestArticle(workedExample);
      assert.equal(stored.claims.length, 5);
      assert.ok(stored.article?.id);
      const again = await db.claims.ingestArticle(workedExample);
      assert.equal(again.created, false);
      assert.deepEqual(again.claims.map((c) => c.id), stored.claims.map((c) => c.id));

      const history = await speakerHistory(db, "tomas ekwall");
      assert.deepEqual(history.map((c) => c.text), ekwallTexts);
      for (const c of history) {
        assert.deepEqual(c.speakers.map((s) => [s.name, s.kind]), [["Tomas Ekwall", EntityKind.PERSON]]);
      }
      const got = await db.claims.getClaim({ id: history[0]!.id });
      assert.equal(got.claim?.text, ekwallTexts[0]);
    });

    it("decodes the google.rpc.BadRequest field violations of a bad request", async () => {
      const bad = create(IngestArticleRequestSchema, {
        article: { url: "not a url" },
        claims: [{ text: "" }],
      });
      const err = await db.claims.ingestArticle(bad).then(
        () => assert.fail("a bad request was accepted"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.InvalidArgument);
      const details = err.findDetails(BadRequestSchema);
      assert.equal(details.length, 1);
      const fields = details[0]!.fieldViolations.map((v) => v.field);
      assert.ok(fields.includes("article.url"), `violations: ${fields.join(", ")}`);
      assert.ok(fields.includes("claims[0].text"), `violations: ${fields.join(", ")}`);
      for (const v of details[0]!.fieldViolations) assert.ok(v.description, `${v.field} has a description`);
    });

    it("reports NOT_FOUND with its code", async () => {
      await assert.rejects(db.claims.getClaim({ id: "0190f5a0-0000-7000-8000-000000000000" }), (e: unknown) => {
        assert.equal(ConnectError.from(e).code, Code.NotFound);
        return true;
      });
    });
  });
}

it("answers a browser's CORS preflight for gRPC-Web", async () => {
  const res = await fetch(`${baseUrl(server)}/claimdb.v1.ClaimService/ListClaims`, {
    method: "OPTIONS",
    headers: {
      origin: "https://notebook.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type,x-grpc-web,authorization",
    },
  });
  assert.ok(res.status < 300, `preflight status ${res.status}`);
  const allowOrigin = res.headers.get("access-control-allow-origin");
  assert.ok(allowOrigin === "*" || allowOrigin === "https://notebook.example", `allow-origin: ${allowOrigin}`);
});
