// The API key and actor headers, over both protocols, checked against bare
// servers that record what they receive (claimdb does not check keys):
// HTTP/2 for gRPC, HTTP/1.1 for gRPC-Web.
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { connect } from "../claimdb.js";

type Headers = Record<string, string | string[] | undefined>;

async function withRecorder(
  protocol: "grpc" | "grpc-web",
  body: (port: number, seen: Headers[]) => Promise<void>,
): Promise<void> {
  const seen: Headers[] = [];
  const contentType = protocol === "grpc" ? "application/grpc" : "application/grpc-web+proto";
  const handler = (req: { headers: Headers }, res: http.ServerResponse | http2.Http2ServerResponse) => {
    seen.push(req.headers);
    res.writeHead(200, { "content-type": contentType, "grpc-status": "12", "grpc-message": "recorded" });
    res.end();
  };
  const sessions: http2.ServerHttp2Session[] = [];
  const srv = protocol === "grpc" ? http2.createServer(handler) : http.createServer(handler);
  if (srv instanceof http.Server) {
    srv.keepAliveTimeout = 1;
  } else {
    srv.on("session", (s) => sessions.push(s));
  }
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  try {
    await body((srv.address() as AddressInfo).port, seen);
  } finally {
    for (const s of sessions) s.destroy();
    if (srv instanceof http.Server) srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

for (const protocol of ["grpc", "grpc-web"] as const) {
  it(`sends authorization: Bearer <key> and claimdb-actor over ${protocol}`, async () => {
    await withRecorder(protocol, async (port, seen) => {
      const db = connect({ server: `127.0.0.1:${port}`, protocol, apiKey: "k3y", actor: "notebook" });
      await assert.rejects(db.claims.getClaim({ id: "x" }), (e: unknown) => {
        assert.equal(ConnectError.from(e).code, Code.Unimplemented);
        return true;
      });
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!["authorization"], "Bearer k3y");
      assert.equal(seen[0]!["claimdb-actor"], "notebook");
    });
  });
}
