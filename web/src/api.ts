// The gRPC-Web clients (generated from proto/ by protoc-gen-es) over the
// page's own origin: `claimdb serve` serves this page and the API on one port.
import { type Client, type Interceptor, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { ArticleService } from "./gen/claimdb/v1/article_pb.js";
import { ClaimService } from "./gen/claimdb/v1/claim_pb.js";
import { EntityService } from "./gen/claimdb/v1/entity_pb.js";
import { StatementService } from "./gen/claimdb/v1/statement_pb.js";

export interface Api {
  claims: Client<typeof ClaimService>;
  entities: Client<typeof EntityService>;
  articles: Client<typeof ArticleService>;
  statements: Client<typeof StatementService>;
}

/**
 * `apiKey()` is read on every call: when the server requires API keys, the
 * page sends the one the user entered as `authorization: Bearer <key>`.
 */
export function connectApi(baseUrl: string, apiKey: () => string): Api {
  const auth: Interceptor = (next) => (req) => {
    const key = apiKey();
    if (key) req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
  const transport = createGrpcWebTransport({ baseUrl, interceptors: [auth] });
  return {
    claims: createClient(ClaimService, transport),
    entities: createClient(EntityService, transport),
    articles: createClient(ArticleService, transport),
    statements: createClient(StatementService, transport),
  };
}
