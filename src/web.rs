//! The web UI: a small single-page app (built from `web/` by `web/build.sh`
//! and committed under `web/dist/`) embedded in the binary and served on the
//! gRPC port by [`WebLayer`], so `cargo build` needs no node.
//!
//! gRPC and gRPC-Web calls are always `POST`; the layer answers every `GET`
//! and `HEAD` itself (an asset, or 404) and passes everything else on. It
//! sits outside the gRPC-Web translation (which refuses plain HTTP/1.1
//! requests) and outside authentication: the page's code is public, the API
//! calls it makes are not.
//!
//! Cache policy: every asset has a strong `ETag` (a SHA-256 prefix of its
//! bytes, answered with `304 Not Modified` on `If-None-Match`). `index.html`
//! is `no-cache` (always revalidated); it names the script and stylesheet
//! with `?v=<etag>`, and a request carrying the current version is cached
//! for a year as immutable. Every response carries a strict
//! `Content-Security-Policy` (same-origin only: no external requests).

use std::future::{ready, Ready};
use std::sync::OnceLock;
use std::task::{Context, Poll};

use axum::body::Body;
use futures_util::future::Either;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    /// The request path it answers.
    path: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes.
    body: &'static [u8],
    /// Whether a versioned request (`?v=<etag>`) may be cached forever.
    versioned: bool,
}

/// The built UI (`web/dist/`).
static ASSETS: [Asset; 3] = [
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../web/dist/index.html"),
        versioned: false,
    },
    Asset {
        path: "/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../web/dist/app.js"),
        versioned: true,
    },
    Asset {
        path: "/app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../web/dist/app.css"),
        versioned: true,
    },
];

/// Same origin only; the page needs nothing else.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// Serves the web UI's `GET`/`HEAD` requests in front of the gRPC stack.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebLayer;

impl<S> tower::Layer<S> for WebLayer {
    type Service = WebService<S>;

    fn layer(&self, inner: S) -> WebService<S> {
        WebService { inner }
    }
}

/// The service of [`WebLayer`]: assets for `GET`/`HEAD`, `inner` otherwise.
#[derive(Debug, Clone)]
pub struct WebService<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for WebService<S>
where
    S: tower::Service<http::Request<B>, Response = Response<tonic::body::Body>>,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Either<Ready<Result<Self::Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            let res = respond(req.method(), req.uri(), req.headers());
            Either::Left(ready(Ok(res.map(tonic::body::Body::new))))
        } else {
            Either::Right(self.inner.call(req))
        }
    }
}

/// The version (and `ETag` body) of each asset: 16 hex digits of its SHA-256.
fn versions() -> &'static [String; 3] {
    static VERSIONS: OnceLock<[String; 3]> = OnceLock::new();
    VERSIONS.get_or_init(|| ASSETS.each_ref().map(|a| version_of(a.body)))
}

/// 16 hex digits of the SHA-256 of `bytes`.
fn version_of(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// Answers a `GET` or `HEAD`.
fn respond(method: &Method, uri: &Uri, headers: &HeaderMap) -> Response<Body> {
    let path = match uri.path() {
        "/index.html" => "/",
        p => p,
    };
    let Some(i) = ASSETS.iter().position(|a| a.path == path) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let asset = &ASSETS[i];
    let version = &versions()[i];
    let etag = format!("\"{version}\"");
    let pinned = asset.versioned
        && uri
            .query()
            .is_some_and(|q| q.split('&').any(|kv| kv == format!("v={version}")));
    let cache = if pinned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let not_modified = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        });
    let (status, body) = if not_modified {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else if method == Method::HEAD {
        (StatusCode::OK, Body::empty())
    } else {
        (StatusCode::OK, Body::from(asset.body))
    };
    let mut builder = Response::builder()
        .status(status)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, etag)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::REFERRER_POLICY, "no-referrer");
    if !not_modified {
        builder = builder
            .header(header::CONTENT_TYPE, asset.content_type)
            .header(header::CONTENT_LENGTH, asset.body.len());
    }
    builder
        .body(body)
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "error\n"))
}

/// A short plain-text response.
fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut res = Response::new(Body::from(text));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str, if_none_match: Option<&str>) -> Response<Body> {
        let mut headers = HeaderMap::new();
        if let Some(tag) = if_none_match {
            headers.insert(header::IF_NONE_MATCH, tag.parse().expect("value"));
        }
        respond(&Method::GET, &path.parse().expect("uri"), &headers)
    }

    fn header_of(res: &Response<Body>, name: header::HeaderName) -> &str {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn serves_index_with_revalidation() {
        let res = get("/", None);
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            header_of(&res, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );
        assert_eq!(header_of(&res, header::CACHE_CONTROL), "no-cache");
        let etag = header_of(&res, header::ETAG).to_owned();
        let again = get("/index.html", Some(&etag));
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn versioned_assets_are_immutable() {
        let v = &versions()[1];
        let res = get(&format!("/app.js?v={v}"), None);
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            header_of(&res, header::CONTENT_TYPE),
            "text/javascript; charset=utf-8"
        );
        assert!(header_of(&res, header::CACHE_CONTROL).contains("immutable"));
        let stale = get("/app.css?v=0000", None);
        assert_eq!(header_of(&stale, header::CACHE_CONTROL), "no-cache");
    }

    #[test]
    fn unknown_paths_are_not_found() {
        assert_eq!(get("/nope", None).status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn other_methods_reach_the_inner_service() {
        use tower::{Layer, ServiceExt};
        let inner = tower::service_fn(|_: http::Request<()>| async {
            Ok::<_, std::convert::Infallible>(Response::new(tonic::body::Body::empty()))
        });
        let svc = WebLayer.layer(inner);
        let post = http::Request::post("/").body(()).expect("request");
        let res = svc.clone().oneshot(post).await.expect("infallible");
        assert!(res.headers().get(header::ETAG).is_none());
        let get = http::Request::get("/").body(()).expect("request");
        let res = svc.oneshot(get).await.expect("infallible");
        assert!(res.headers().get(header::ETAG).is_some());
    }

    #[test]
    fn index_names_the_current_bundle() {
        let index = std::str::from_utf8(ASSETS[0].body).expect("utf-8");
        assert!(index.contains(&format!("/app.js?v={}", versions()[1])));
        assert!(index.contains(&format!("/app.css?v={}", versions()[2])));
    }
}
