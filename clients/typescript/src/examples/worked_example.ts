// Ingests the repository's worked example (examples/worked_example.json,
// proto3 JSON) and prints everything Tomas Ekwall said, over gRPC or gRPC-Web:
//
//   CLAIMDB_SERVER=localhost:50051 npm run example [-- grpc-web]
import { readFileSync } from "node:fs";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { IngestArticleRequestSchema, type Claim } from "../gen/claimdb/v1/claim_pb.js";
import { connect } from "../claimdb.js";

const protocol = process.argv[2] === "grpc-web" ? "grpc-web" : "grpc";
const db = connect({ protocol, actor: "typescript-example" });

const json = JSON.parse(
  readFileSync(new URL("../../../../examples/worked_example.json", import.meta.url), "utf8"),
) as JsonValue;
const stored = await db.claims.ingestArticle(fromJson(IngestArticleRequestSchema, json));
console.log(`article ${stored.article?.id}: ${stored.article?.title} (${stored.claims.length} claims, created=${stored.created})`);

console.log(`\nEverything Tomas Ekwall said (${protocol}):`);
const history: Claim[] = [];
let pageToken = "";
do {
  const page = await db.claims.listClaims({ speaker: { name: "Tomas Ekwall" }, pageSize: 1, pageToken });
  history.push(...page.claims);
  pageToken = page.nextPageToken;
} while (pageToken);
for (const c of history) {
  const said = c.saidTime ? timestampDate(c.saidTime).toISOString().slice(0, 10) : "?";
  console.log(`- ${said} ${c.speakers.map((s) => s.name).join(", ")} (${c.speakerRole}) ${c.cue}: "${c.text}"`);
}
