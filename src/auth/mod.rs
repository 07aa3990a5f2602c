//! Authentication and authorization: API keys with roles.
//!
//! A key is a high-entropy random string (`cdb_` + 43 base64url characters,
//! 256 bits) shown once when created; the database keeps only its SHA-256
//! hash. Callers send it as `authorization: Bearer <key>`. The
//! [`layer::AuthLayer`] checks it before a request reaches a service (the
//! look-up needs I/O, which tonic's synchronous interceptors cannot do) and
//! puts the [`Principal`] in the request's extensions, where
//! [`crate::api::actor`] finds it: every revision records the key's name.
//!
//! Look-ups are cached for [`DEFAULT_CACHE_TTL`] (configurable): a revoked
//! key keeps working for at most that long on a running server.

pub mod layer;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use tonic::Status;

use crate::store::Store;

/// How long a key look-up (found, unknown or revoked) is trusted.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);

/// Cached look-ups kept at most; the cache is emptied when it grows past
/// this (a flood of random keys cannot grow memory without bound).
const MAX_CACHED: usize = 10_000;

/// Prefix of every key: makes keys recognisable to secret scanners.
const KEY_PREFIX: &str = "cdb_";

/// The RPCs that change data: they need the `writer` role (or `admin`).
/// Everything else under `claimdb.` needs `reader`. Health and reflection
/// are open.
pub const WRITE_METHODS: &[&str] = &[
    "claimdb.v1.ClaimService/IngestArticle",
    "claimdb.v1.ClaimService/ImportArticles",
    "claimdb.v1.ClaimService/UpdateClaim",
    "claimdb.v1.ClaimService/RetractClaim",
    "claimdb.v1.EntityService/CreateEntity",
    "claimdb.v1.EntityService/UpdateEntity",
    "claimdb.v1.EntityService/MergeEntities",
    "claimdb.v1.StatementService/MergeStatements",
    "claimdb.v1.StatementService/SplitClaimFromStatement",
    "claimdb.v1.ReviewService/CreateReview",
    "claimdb.v1.StatementService/ImportClaimReviews",
];

/// The RPCs that only read (or compute without storing): `reader` suffices.
/// Every RPC of the contract is in exactly one of the two lists (a unit test
/// checks it against the descriptors), so a new RPC cannot slip through
/// unclassified; an unlisted method needs `writer`.
pub const READ_METHODS: &[&str] = &[
    "claimdb.v1.ClaimService/GetClaim",
    "claimdb.v1.ClaimService/ListClaims",
    "claimdb.v1.ClaimService/ListClaimRevisions",
    "claimdb.v1.ClaimService/WatchClaims",
    "claimdb.v1.ClaimService/ExtractClaims",
    "claimdb.v1.EntityService/GetEntity",
    "claimdb.v1.EntityService/ListEntities",
    "claimdb.v1.ArticleService/GetArticle",
    "claimdb.v1.ArticleService/ListArticles",
    "claimdb.v1.StatementService/GetStatement",
    "claimdb.v1.StatementService/ListStatements",
    "claimdb.v1.StatementService/ListAppearances",
    "claimdb.v1.StatementService/ExportClaimReviews",
    "claimdb.v1.ReviewService/ListReviews",
];

/// What a key may do. Ordered: each role can do everything the ones
/// before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read-only RPCs.
    Reader,
    /// Reads and writes.
    Writer,
    /// Everything (no RPC needs more than `writer` today).
    Admin,
}

impl Role {
    /// The role's name as stored and typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or typed role name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reader" => Some(Role::Reader),
            "writer" => Some(Role::Writer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who is calling: put in the request's extensions by the auth layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key's name (recorded as the actor of every change).
    pub name: String,
    /// The key's role.
    pub role: Role,
}

/// How the server treats requests without a valid key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// No authentication (`--insecure-no-auth`, and the test helper).
    Off,
    /// Every `claimdb.*` RPC needs a valid key.
    Required,
    /// Like `Required` once any key exists; open while none does. `serve`
    /// uses it on a loopback address so that a fresh install works without
    /// a key (and locks itself the moment the first key is created).
    OpenUntilFirstKey,
}

/// A new random key: `cdb_` + 32 random bytes in base64url.
pub fn generate_key() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Ok(format!("{KEY_PREFIX}{encoded}"))
}

/// The SHA-256 of a key: what the database stores and looks up.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The role an RPC needs, from its path (`/package.Service/Method`); `None`
/// for open paths (health, reflection, anything outside `claimdb.`).
pub fn required_role(path: &str) -> Option<Role> {
    let method = path.strip_prefix('/')?;
    if !method.starts_with("claimdb.") {
        return None;
    }
    if READ_METHODS.contains(&method) {
        Some(Role::Reader)
    } else {
        Some(Role::Writer)
    }
}

/// A cached look-up: the principal (None: unknown or revoked) and when.
type CacheEntry = (Instant, Option<Principal>);

/// Checks keys against the database, with a short-lived cache.
#[derive(Debug)]
pub struct Authenticator {
    store: Store,
    mode: AuthMode,
    ttl: Duration,
    keys: Mutex<HashMap<[u8; 32], CacheEntry>>,
    any_key: Mutex<Option<(Instant, bool)>>,
}

impl Authenticator {
    /// An authenticator over `store`'s keys.
    pub fn new(store: Store, mode: AuthMode, ttl: Duration) -> Self {
        Self {
            store,
            mode,
            ttl,
            keys: Mutex::new(HashMap::new()),
            any_key: Mutex::new(None),
        }
    }

    /// The mode it enforces.
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// Decides a request from its path and headers: `Ok(None)` lets it
    /// through anonymously, `Ok(Some(p))` as `p`; `Err` is the status to
    /// answer with (UNAUTHENTICATED, PERMISSION_DENIED, or UNAVAILABLE when
    /// the key cannot be checked).
    pub async fn check(
        &self,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Principal>, Status> {
        if self.mode == AuthMode::Off {
            return Ok(None);
        }
        let Some(needed) = required_role(path) else {
            return Ok(None);
        };
        let Some(key) = bearer(headers)? else {
            if self.mode == AuthMode::OpenUntilFirstKey && !self.any_key().await? {
                return Ok(None);
            }
            return Err(Status::unauthenticated(
                "an API key is required: send `authorization: Bearer <key>`",
            ));
        };
        let principal = self
            .lookup(&key)
            .await?
            .ok_or_else(|| Status::unauthenticated("unknown or revoked API key"))?;
        if principal.role < needed {
            return Err(Status::permission_denied(format!(
                "the key {:?} has the role {}; this RPC needs {}",
                principal.name,
                principal.role.as_str(),
                needed.as_str()
            )));
        }
        Ok(Some(principal))
    }

    /// The active key with this value, cached for the TTL.
    async fn lookup(&self, key: &str) -> Result<Option<Principal>, Status> {
        let hash = hash_key(key);
        if let Some((at, p)) = lock(&self.keys).get(&hash) {
            if at.elapsed() < self.ttl {
                return Ok(p.clone());
            }
        }
        let row = self.store.find_api_key(&hash).await.map_err(|e| {
            tracing::warn!(error = %e, "API key look-up failed");
            Status::unavailable("cannot check the API key right now; retry")
        })?;
        let principal = row.and_then(|r| {
            Some(Principal {
                role: Role::parse(&r.role)?,
                name: r.name,
            })
        });
        let mut cache = lock(&self.keys);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(hash, (Instant::now(), principal.clone()));
        Ok(principal)
    }

    /// Whether any active key exists, cached for the TTL.
    async fn any_key(&self) -> Result<bool, Status> {
        if let Some((at, any)) = *lock(&self.any_key) {
            if at.elapsed() < self.ttl {
                return Ok(any);
            }
        }
        let any = self.store.any_api_key().await.map_err(|e| {
            tracing::warn!(error = %e, "API key check failed");
            Status::unavailable("cannot check API keys right now; retry")
        })?;
        let mut cached = lock(&self.any_key);
        if cached.map(|(_, before)| before) != Some(any) {
            if any {
                tracing::warn!("an API key exists: authentication is required from now on");
            } else {
                tracing::warn!("no API key exists: serving without authentication (loopback)");
            }
        }
        *cached = Some((Instant::now(), any));
        Ok(any)
    }
}

/// Locks a mutex, recovering from poisoning (the cached data stays valid).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The bearer key of a request, if it sent an `authorization` header;
/// a malformed header is UNAUTHENTICATED.
fn bearer(headers: &HeaderMap) -> Result<Option<String>, Status> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed =
        || Status::unauthenticated("malformed authorization header: use `Bearer <key>`");
    let value = value.to_str().map_err(|_| malformed())?.trim();
    let (scheme, key) = value.split_once(' ').ok_or_else(malformed)?;
    let key = key.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || key.is_empty() || key.len() > 200 {
        return Err(malformed());
    }
    Ok(Some(key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_of_the_contract_is_classified_exactly_once() {
        let pool = prost_reflect::DescriptorPool::decode(crate::pb::FILE_DESCRIPTOR_SET).unwrap();
        let mut seen = 0;
        for service in pool.services() {
            if !service.full_name().starts_with("claimdb.") {
                continue;
            }
            for method in service.methods() {
                let path = format!("{}/{}", service.full_name(), method.name());
                let write = WRITE_METHODS.contains(&path.as_str());
                let read = READ_METHODS.contains(&path.as_str());
                assert!(
                    write ^ read,
                    "{path} must be in exactly one of WRITE_METHODS/READ_METHODS"
                );
                seen += 1;
            }
        }
        assert_eq!(seen, WRITE_METHODS.len() + READ_METHODS.len());
    }

    #[test]
    fn roles_are_ordered_and_paths_map_to_them() {
        assert!(Role::Reader < Role::Writer && Role::Writer < Role::Admin);
        assert_eq!(
            required_role("/claimdb.v1.ClaimService/ListClaims"),
            Some(Role::Reader)
        );
        assert_eq!(
            required_role("/claimdb.v1.ClaimService/IngestArticle"),
            Some(Role::Writer)
        );
        assert_eq!(
            required_role("/claimdb.v1.ClaimService/NoSuchRpc"),
            Some(Role::Writer)
        );
        assert_eq!(required_role("/grpc.health.v1.Health/Check"), None);
        assert_eq!(
            required_role("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            None
        );
    }

    #[test]
    fn keys_are_random_and_hashes_stable() {
        let a = generate_key().unwrap();
        let b = generate_key().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX) && a.len() == 4 + 43);
        assert_eq!(hash_key(&a), hash_key(&a));
        assert_ne!(hash_key(&a), hash_key(&b));
    }

    #[test]
    fn bearer_headers_are_parsed_strictly() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h).unwrap(), None);
        h.insert("authorization", "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h).unwrap().as_deref(), Some("abc"));
        h.insert("authorization", "bearer  abc ".parse().unwrap());
        assert_eq!(bearer(&h).unwrap().as_deref(), Some("abc"));
        for bad in ["Basic abc", "Bearer", "Bearer ", "abc"] {
            h.insert("authorization", bad.parse().unwrap());
            assert!(bearer(&h).is_err(), "{bad}");
        }
    }
}
