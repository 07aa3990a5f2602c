// A thin layer over the generated code: transports for claimdb over gRPC
// (HTTP/2) or gRPC-Web, with the API key and actor headers, and typed clients
// for the three services.
import { type Client, type Interceptor, type Transport, createClient } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ArticleService } from "./gen/claimdb/v1/article_pb.js";
import { ClaimService } from "./gen/claimdb/v1/claim_pb.js";
import { EntityService } from "./gen/claimdb/v1/entity_pb.js";

export interface ClaimdbOptions {
  /** `host:port`, or a full base URL (`https://claimdb.example.com`). Default `$CLAIMDB_SERVER` or `localhost:50051`. */
  server?: string;
  /** `grpc` (HTTP/2, default) or `grpc-web` (HTTP/1.1, what browsers use). */
  protocol?: "grpc" | "grpc-web";
  /** Sent on every call as `authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Sent as the `claimdb-actor` header, recorded on writes. */
  actor?: string;
}

/** The base URL for a server address: plain `http://` for a bare host:port. */
export function baseUrl(server: string): string {
  return /^https?:\/\//.test(server) ? server : `http://${server}`;
}

export function claimdbTransport(opts: ClaimdbOptions = {}): Transport {
  const server = opts.server ?? process.env.CLAIMDB_SERVER ?? "localhost:50051";
  const headers: [string, string][] = [];
  if (opts.apiKey) headers.push(["authorization", `Bearer ${opts.apiKey}`]);
  if (opts.actor) headers.push(["claimdb-actor", opts.actor]);
  const addHeaders: Interceptor = (next) => (req) => {
    for (const [k, v] of headers) req.header.set(k, v);
    return next(req);
  };
  const common = { baseUrl: baseUrl(server), interceptors: [addHeaders] };
  return opts.protocol === "grpc-web"
    ? createGrpcWebTransport({ ...common, httpVersion: "1.1" })
    : createGrpcTransport(common);
}

export interface Claimdb {
  claims: Client<typeof ClaimService>;
  entities: Client<typeof EntityService>;
  articles: Client<typeof ArticleService>;
}

export function connect(opts: ClaimdbOptions = {}): Claimdb {
  const transport = claimdbTransport(opts);
  return {
    claims: createClient(ClaimService, transport),
    entities: createClient(EntityService, transport),
    articles: createClient(ArticleService, transport),
  };
}
