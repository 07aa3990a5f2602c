//! Seeing the server run: Prometheus metrics and per-request ids.
//!
//! [`RequestLayer`] (the outermost of claimdb's own layers) gives every
//! request an id — the caller's `x-request-id` when it sends a sane one, else
//! a new UUID — returns it in the `x-request-id` response header, runs the
//! request inside a `request` tracing span carrying it (so every log line of
//! the request shows it, in text and JSON logs), and records the request's
//! RPC, gRPC status code and latency when its response ends.
//!
//! [`serve`] answers `GET /metrics` on its own port (`--metrics-listen`) in
//! the Prometheus text format. Metrics:
//!
//! | name | type | labels |
//! |---|---|---|
//! | `claimdb_requests_total` | counter | `rpc`, `code` |
//! | `claimdb_request_duration_seconds` | histogram | `rpc` |
//! | `claimdb_requests_in_flight` | gauge | |
//! | `claimdb_requests_shed_total` | counter (load shedding) | |
//! | `claimdb_ingest_articles_total` | counter (`IngestArticle` OK) | |
//! | `claimdb_ingest_rejected_total` | counter (`IngestArticle`/`ImportArticles` not OK) | `code` |
//! | `claimdb_watch_streams_open` | gauge | |
//! | `claimdb_db_pool_connections` / `_idle_connections` | gauge | |
//! | `claimdb_db_acquire_wait_seconds` | histogram (sampled by health checks) | |
//! | `claimdb_db_up` | gauge (1 reachable, 0 not) | |
//! | `claimdb_snapshot_reads_total` | counter (claim versions read: `left_out` by PostgreSQL as held in memory, `remembered` in memory though sent, `decoded` from JSON) | `source` |

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response};
use http_body::{Body, Frame, SizeHint};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tonic::Code;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::store::Store;

/// The request-id header, read from callers and returned to them.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Publishes the snapshot memo's counts (kept by the store, which has no
/// metrics of its own).
fn record_snapshot_reads(r: crate::store::SnapshotReads) {
    for (source, n) in [
        ("left_out", r.left_out),
        ("remembered", r.remembered),
        ("decoded", r.decoded),
    ] {
        metrics::counter!("claimdb_snapshot_reads_total", "source" => source).absolute(n);
    }
}

/// The process's recorder (one per process: tests run many servers).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // `set_buckets` fails only for an empty list; fall back to summaries.
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        // Fails only when another recorder is installed; then ours just
        // renders nothing, which is harmless.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Records what a health check saw.
pub fn record_db_check(acquire_wait: Option<Duration>) {
    metrics::gauge!("claimdb_db_up").set(if acquire_wait.is_some() { 1.0 } else { 0.0 });
    if let Some(w) = acquire_wait {
        metrics::histogram!("claimdb_db_acquire_wait_seconds").record(w.as_secs_f64());
    }
}

/// Answers `GET /metrics` on `listener` (plain HTTP/1.1, one request per
/// connection) until the task is dropped.
pub async fn serve(listener: TcpListener, store: Store) {
    let handle = handle();
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            continue;
        };
        let store = store.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut len = 0;
            let read = async {
                while len < buf.len() && !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => len += n,
                    }
                }
                true
            };
            if !matches!(
                tokio::time::timeout(Duration::from_secs(5), read).await,
                Ok(true)
            ) {
                return;
            }
            let head = String::from_utf8_lossy(&buf[..len]);
            let ok = head.starts_with("GET /metrics ") || head.starts_with("GET /metrics?");
            let (status, body) = if ok {
                let (size, idle) = store.pool_usage();
                metrics::gauge!("claimdb_db_pool_connections").set(size as f64);
                metrics::gauge!("claimdb_db_pool_idle_connections").set(idle as f64);
                record_snapshot_reads(crate::store::snapshot_reads());
                handle.run_upkeep();
                ("200 OK", handle.render())
            } else {
                ("404 Not Found", "try GET /metrics\n".to_string())
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(reply.as_bytes()).await;
            let _ = conn.shutdown().await;
        });
    }
}

/// The RPC label of a path: the method for known RPCs, else "other" (a
/// caller must not be able to grow the label set).
fn rpc_label(path: &str) -> &'static str {
    static KNOWN: OnceLock<Vec<&'static str>> = OnceLock::new();
    let known = KNOWN.get_or_init(|| {
        let mut v: Vec<&'static str> = crate::auth::WRITE_METHODS.to_vec();
        v.extend_from_slice(crate::auth::READ_METHODS);
        v.extend_from_slice(&[
            "grpc.health.v1.Health/Check",
            "grpc.health.v1.Health/Watch",
            "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ]);
        v
    });
    let method = path.strip_prefix('/').unwrap_or(path);
    known
        .iter()
        .find(|k| **k == method)
        .copied()
        .unwrap_or("other")
}

/// A caller's request id, if sane: 1 to 128 visible ASCII characters.
fn caller_request_id(req: &Request<impl Sized>) -> Option<HeaderValue> {
    let v = req.headers().get(REQUEST_ID_HEADER)?;
    let ok = (1..=128).contains(&v.len()) && v.as_bytes().iter().all(|b| b.is_ascii_graphic());
    ok.then(|| v.clone())
}

/// The layer giving requests ids, spans and metrics.
#[derive(Debug, Clone, Default)]
pub struct RequestLayer;

impl<S> Layer<S> for RequestLayer {
    type Service = RequestService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestService { inner }
    }
}

/// The service [`RequestLayer`] makes.
#[derive(Debug, Clone)]
pub struct RequestService<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for RequestService<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let id = caller_request_id(&req).unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
        });
        req.headers_mut().insert(REQUEST_ID_HEADER, id.clone());
        let rpc = rpc_label(req.uri().path());
        let span = tracing::info_span!(
            "request",
            request_id = %id.to_str().unwrap_or_default(),
            rpc = %req.uri().path().chars().take(200).collect::<String>(),
        );
        let grpc = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .is_some_and(|c| c.as_bytes().starts_with(b"application/grpc"));
        let obs = Observation::start(rpc, span.clone(), grpc);
        Box::pin(
            async move {
                let mut resp = inner.call(req).await?;
                resp.headers_mut().insert(REQUEST_ID_HEADER, id);
                let mut obs = obs;
                if !grpc {
                    obs.finish_http(resp.status());
                } else if let Some(code) = resp.headers().get("grpc-status") {
                    // Trailers-only response: the status is in the headers.
                    obs.finish(code_of(code));
                } else if rpc == "claimdb.v1.ClaimService/WatchClaims" {
                    obs.watch_opened();
                }
                Ok(resp.map(|inner| {
                    tonic::body::Body::new(ObservedBody {
                        inner,
                        obs: Some(obs),
                    })
                }))
            }
            .instrument(span),
        )
    }
}

fn code_of(v: &HeaderValue) -> Code {
    v.to_str()
        .ok()
        .and_then(|s| s.parse::<i32>().ok())
        .map(Code::from_i32)
        .unwrap_or(Code::Unknown)
}

/// A request being timed; recorded once, when its outcome is known.
struct Observation {
    rpc: &'static str,
    span: tracing::Span,
    started: Instant,
    done: bool,
    watching: bool,
}

impl Observation {
    fn start(rpc: &'static str, span: tracing::Span, grpc: bool) -> Self {
        if grpc {
            metrics::gauge!("claimdb_requests_in_flight").increment(1.0);
        }
        Self {
            rpc,
            span,
            started: Instant::now(),
            done: !grpc,
            watching: false,
        }
    }

    fn watch_opened(&mut self) {
        self.watching = true;
        metrics::gauge!("claimdb_watch_streams_open").increment(1.0);
    }

    fn finish_http(&mut self, status: http::StatusCode) {
        let _e = self.span.enter();
        tracing::debug!(status = status.as_u16(), "http request");
    }

    fn finish(&mut self, code: Code) {
        if self.done {
            return;
        }
        self.done = true;
        let elapsed = self.started.elapsed();
        let rpc = self.rpc;
        metrics::gauge!("claimdb_requests_in_flight").decrement(1.0);
        if self.watching {
            metrics::gauge!("claimdb_watch_streams_open").decrement(1.0);
        }
        let code_name = format!("{code:?}");
        metrics::counter!("claimdb_requests_total", "rpc" => rpc, "code" => code_name.clone())
            .increment(1);
        metrics::histogram!("claimdb_request_duration_seconds", "rpc" => rpc)
            .record(elapsed.as_secs_f64());
        let ingest = matches!(
            rpc,
            "claimdb.v1.ClaimService/IngestArticle" | "claimdb.v1.ClaimService/ImportArticles"
        );
        if ingest && code != Code::Ok {
            metrics::counter!("claimdb_ingest_rejected_total", "code" => code_name).increment(1);
        } else if rpc == "claimdb.v1.ClaimService/IngestArticle" {
            metrics::counter!("claimdb_ingest_articles_total").increment(1);
        }
        let _e = self.span.enter();
        let ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
        match code {
            Code::Ok => tracing::debug!(?code, ms, "request done"),
            Code::Internal
            | Code::Unknown
            | Code::Unavailable
            | Code::DataLoss
            | Code::DeadlineExceeded
            | Code::ResourceExhausted => tracing::warn!(?code, ms, "request failed"),
            _ => tracing::info!(?code, ms, "request refused"),
        }
    }
}

impl Drop for Observation {
    fn drop(&mut self) {
        // The body was dropped before it ended: the client went away, or
        // the stream was cut (shutdown).
        self.finish(Code::Cancelled);
    }
}

/// A response body that records its request when the gRPC status arrives.
struct ObservedBody {
    inner: tonic::body::Body,
    obs: Option<Observation>,
}

impl Body for ObservedBody {
    type Data = <tonic::body::Body as Body>::Data;
    type Error = <tonic::body::Body as Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame
                .trailers_ref()
                .map(|t| t.get("grpc-status").map(code_of).unwrap_or(Code::Unknown)),
            Poll::Ready(Some(Err(status))) => Some(status.code()),
            Poll::Ready(None) => Some(Code::Unknown),
            Poll::Pending => None,
        };
        if let (Some(code), Some(obs)) = (code, this.obs.as_mut()) {
            obs.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_labels_are_bounded() {
        assert_eq!(
            rpc_label("/claimdb.v1.ClaimService/IngestArticle"),
            "claimdb.v1.ClaimService/IngestArticle"
        );
        assert_eq!(rpc_label("/evil/../x"), "other");
        assert_eq!(
            rpc_label("/grpc.health.v1.Health/Check"),
            "grpc.health.v1.Health/Check"
        );
    }

    #[test]
    fn caller_request_ids_are_accepted_only_when_sane() {
        let req = |v: &str| {
            Request::builder()
                .header(REQUEST_ID_HEADER, v)
                .body(())
                .unwrap()
        };
        assert!(caller_request_id(&req("abc-123")).is_some());
        assert!(caller_request_id(&req("has space")).is_none());
        assert!(caller_request_id(&req(&"x".repeat(129))).is_none());
    }
}
