//! Request limits enforced before a request reaches a service: a global
//! cap on requests in flight with load shedding (over the cap, a request is
//! refused at once with RESOURCE_EXHAUSTED — never queued), and a
//! per-request deadline (DEADLINE_EXCEEDED; the handler's future is
//! dropped, which rolls its transaction back).
//!
//! Other limits live where the input is parsed, before any SQL runs:
//! `--max-message-bytes` (tonic, both directions), the article body
//! ([`crate::domain::article::MAX_BODY_LEN`]), claims per article
//! ([`crate::api::claims::MAX_CLAIMS_PER_ARTICLE`]), page size
//! ([`crate::domain::page::MAX_PAGE_SIZE`]), claim text
//! ([`crate::domain::claim::MAX_TEXT_LEN`]) and names
//! ([`crate::domain::entity::MAX_NAME_LEN`]).
//!
//! The cap is a semaphore taken with `try_acquire`: the same behaviour as
//! tower's `LoadShed<ConcurrencyLimit<_>>`, without its permit-per-clone
//! pitfall, and with health checks exempt (an overloaded server is still
//! alive; a probe must not restart it).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tonic::Status;
use tower::{Layer, Service};

/// Default cap on requests in flight.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 512;
/// Default per-request deadline, in seconds.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;

/// RPCs the per-request deadline does not apply to: a client stream of
/// articles legitimately takes as long as the client has articles.
/// (`WatchClaims` returns its stream at once, so its deadline never fires.)
const NO_DEADLINE: [&str; 1] = ["/claimdb.v1.ClaimService/ImportArticles"];

/// The limits, as configured.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most requests in flight (0: no cap).
    pub max_concurrent_requests: usize,
    /// Deadline of one request (None: none).
    pub request_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            request_timeout: Some(Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS)),
        }
    }
}

/// The layer enforcing [`Limits`].
#[derive(Debug, Clone)]
pub struct LimitLayer {
    permits: Option<Arc<Semaphore>>,
    timeout: Option<Duration>,
}

impl LimitLayer {
    /// A layer for `limits` (one semaphore shared by every connection).
    pub fn new(limits: Limits) -> Self {
        let n = limits.max_concurrent_requests;
        Self {
            permits: (n > 0).then(|| Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS)))),
            timeout: limits.request_timeout,
        }
    }
}

impl<S> Layer<S> for LimitLayer {
    type Service = LimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LimitService {
            inner,
            permits: self.permits.clone(),
            timeout: self.timeout,
        }
    }
}

/// The service [`LimitLayer`] makes.
#[derive(Debug, Clone)]
pub struct LimitService<S> {
    inner: S,
    permits: Option<Arc<Semaphore>>,
    timeout: Option<Duration>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<http::Request<B>> for LimitService<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
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

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = req.uri().path();
        let exempt = path.starts_with("/grpc.health.");
        let timeout = self
            .timeout
            .filter(|_| !NO_DEADLINE.contains(&path) && !exempt);
        let permit = match &self.permits {
            Some(p) if !exempt => match p.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    metrics::counter!("claimdb_requests_shed_total").increment(1);
                    let status = Status::resource_exhausted(
                        "the server is at its limit of requests in flight; retry with backoff",
                    );
                    return Box::pin(async move { Ok(status.into_http()) });
                }
            },
            _ => None,
        };
        Box::pin(async move {
            let _permit = permit;
            let fut = inner.call(req);
            match timeout {
                None => fut.await,
                Some(limit) => match tokio::time::timeout(limit, fut).await {
                    Ok(r) => r,
                    Err(_) => Ok(Status::deadline_exceeded(format!(
                        "the request took longer than the server's limit of {} s",
                        limit.as_secs_f64()
                    ))
                    .into_http()),
                },
            }
        })
    }
}
