//! The application: connects to (or starts) PostgreSQL, binds the listener
//! first (so tests can bind port 0 and read the port back), then serves
//! until told to stop, with a bounded grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use http::header::HeaderName;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt as _;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;
use tower_http::cors::{Any, CorsLayer};

use crate::api::articles::ArticleApi;
use crate::api::claims::ClaimApi;
use crate::api::entities::EntityApi;
use crate::api::reviews::ReviewApi;
use crate::api::statements::StatementApi;
use crate::api::watch::EventHub;
use crate::auth::layer::AuthLayer;
use crate::auth::{AuthMode, Authenticator};
use crate::config::ServeConfig;
use crate::limits::{LimitLayer, Limits};
use crate::metrics::RequestLayer;
use crate::pb::v1::article_service_server::ArticleServiceServer;
use crate::pb::v1::entity_service_server::EntityServiceServer;
use crate::pb::v1::review_service_server::ReviewServiceServer;
use crate::pb::v1::statement_service_server::StatementServiceServer;
use crate::pb::wire::claim_service_server::ClaimServiceServer;
use crate::pg_local::{LocalOptions, LocalPostgres};
use crate::store::{PoolConfig, Store};

/// How often health checks ping the database.
const HEALTH_INTERVAL: Duration = Duration::from_millis(500);

/// The services' names as health reports them.
const SERVICES: [&str; 6] = [
    "",
    "claimdb.v1.ClaimService",
    "claimdb.v1.EntityService",
    "claimdb.v1.ArticleService",
    "claimdb.v1.StatementService",
    "claimdb.v1.ReviewService",
];

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    store: Store,
    local_pg: Option<LocalPostgres>,
    max_message_bytes: usize,
    grace: Duration,
    watch_buffer: usize,
    auth: AuthMode,
    auth_cache_ttl: Duration,
    limits: Limits,
    tls: Option<ServerTlsConfig>,
    metrics_listener: Option<TcpListener>,
}

/// PEM files of a TLS set-up (see [`Application::set_tls`]).
#[derive(Debug, Clone)]
pub struct TlsPem {
    /// The server's certificate chain.
    pub cert: Vec<u8>,
    /// Its private key.
    pub key: Vec<u8>,
    /// CAs that client certificates must chain to (mutual TLS), if any.
    pub client_ca: Option<Vec<u8>>,
}

impl Application {
    /// Connects to the database (starting a private one when no URL is
    /// configured), applies migrations, and binds the listener.
    pub async fn build(config: &ServeConfig) -> anyhow::Result<Self> {
        let pool_config = PoolConfig {
            max_connections: config.db_max_connections,
            ..PoolConfig::default()
        };
        let (options, local_pg) = match &config.database_url {
            Some(url) => {
                let options = sqlx::postgres::PgConnectOptions::from_str(url)
                    .context("DATABASE_URL is not a valid PostgreSQL URL")?;
                (options, None)
            }
            None => {
                let dir = config.data_dir();
                tracing::info!(data_dir = %dir.display(), "no DATABASE_URL: running a local PostgreSQL");
                let pg = LocalPostgres::start(&dir, &LocalOptions::default()).await?;
                (pg.connect_options("claimdb"), Some(pg))
            }
        };
        // Every connection carries the statement-matching threshold.
        let options = options.options([(
            crate::store::SIMILARITY_SETTING,
            config.statement_similarity,
        )]);
        let store = Store::connect_lazy(options, &pool_config);
        store
            .migrate()
            .await
            .context("applying database migrations (is the database reachable?)")?;
        let mut app = Self::with_store(config.listen, store, config.max_message_bytes).await?;
        app.local_pg = local_pg;
        app.grace = Duration::from_secs(config.shutdown_grace_secs);
        app.watch_buffer = config.watch_buffer;
        app.set_limits(Limits {
            max_concurrent_requests: config.max_concurrent_requests,
            request_timeout: (config.request_timeout_secs > 0)
                .then(|| Duration::from_secs(config.request_timeout_secs)),
        });
        let mode = auth_mode(config, &app.store).await;
        app.set_auth(mode, Duration::from_secs(config.auth_cache_secs));
        if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
            let read = |p: &std::path::PathBuf| {
                std::fs::read(p).with_context(|| format!("reading {}", p.display()))
            };
            let client_ca = config.tls_client_ca.as_ref().map(read).transpose()?;
            app.set_tls(TlsPem {
                cert: read(cert)?,
                key: read(key)?,
                client_ca,
            })?;
        }
        if let Some(addr) = config.metrics_listen {
            let bound = app.bind_metrics(addr).await?;
            tracing::info!(addr = %bound, "Prometheus metrics at http://{bound}/metrics");
        }
        Ok(app)
    }

    /// Turns authentication on or off (`with_store` starts with it off), with
    /// the key cache's lifetime.
    pub fn set_auth(&mut self, mode: AuthMode, cache_ttl: Duration) {
        self.auth = mode;
        self.auth_cache_ttl = cache_ttl;
    }

    /// Sets the request limits (`with_store` starts with the defaults).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Serves TLS only (mutual TLS when `client_ca` is set). Fails at once
    /// on an unusable certificate or key.
    pub fn set_tls(&mut self, pem: TlsPem) -> anyhow::Result<()> {
        let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(pem.cert, pem.key));
        if let Some(ca) = pem.client_ca {
            tls = tls.client_ca_root(Certificate::from_pem(ca));
        }
        Server::builder()
            .tls_config(tls.clone())
            .context("the TLS certificate or key is unusable")?;
        self.tls = Some(tls);
        Ok(())
    }

    /// Binds the Prometheus metrics listener; returns its address.
    pub async fn bind_metrics(&mut self, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding metrics on {addr}"))?;
        let bound = listener.local_addr()?;
        self.metrics_listener = Some(listener);
        Ok(bound)
    }

    /// Binds a server over an existing (migrated) store: tests use this with
    /// port 0 and a fresh database.
    pub async fn with_store(
        listen: SocketAddr,
        store: Store,
        max_message_bytes: usize,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        Ok(Self {
            listener,
            store,
            local_pg: None,
            max_message_bytes,
            grace: Duration::from_secs(10),
            watch_buffer: 1024,
            auth: AuthMode::Off,
            auth_cache_ttl: crate::auth::DEFAULT_CACHE_TTL,
            limits: Limits::default(),
            tls: None,
            metrics_listener: None,
        })
    }

    /// Sets the per-stream event buffer of `WatchClaims` (tests make it small).
    pub fn set_watch_buffer(&mut self, events: usize) {
        self.watch_buffer = events;
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish
    /// for at most the grace period, closes the pool and stops a private
    /// PostgreSQL.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (reporter, health) = tonic_health::server::health_reporter();
        let health_task = tokio::spawn(watch_health(self.store.clone(), reporter));
        let metrics_task = self
            .metrics_listener
            .take()
            .map(|l| tokio::spawn(crate::metrics::serve(l, self.store.clone())));
        let auth = Authenticator::new(self.store.clone(), self.auth, self.auth_cache_ttl);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        // Open watch streams end when this turns true, so the graceful
        // shutdown below is not held up by them.
        let (streams_stop, streams_stopped) = tokio::sync::watch::channel(false);
        let hub = EventHub::start(self.store.clone(), streams_stopped, self.watch_buffer);
        let routes = self.routes(health, hub)?;
        let mut builder = Server::builder();
        if let Some(tls) = self.tls.take() {
            builder = builder.tls_config(tls).context("configuring TLS")?;
        }
        // Layers run outermost first: CORS and gRPC-Web translate browsers'
        // requests; then ids/metrics/logs, load shedding and deadlines, and
        // authentication, before any service sees the request.
        let mut builder = builder
            .accept_http1(true)
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(20)))
            .layer(cors())
            // The web UI (GET/HEAD only; public, before gRPC-Web and auth).
            .layer(crate::web::WebLayer)
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(RequestLayer)
            .layer(LimitLayer::new(self.limits))
            .layer(AuthLayer::new(std::sync::Arc::new(auth)));
        let router = builder.add_routes(routes);
        // TCP_NODELAY on every connection: without it a unary response's
        // trailers wait behind Nagle's algorithm for the client's delayed ACK
        // (measured: ~40 ms per IngestArticle call, 89 claims/s one by one).
        let incoming = TcpListenerStream::new(self.listener).map(|accepted| {
            accepted.inspect(|stream| {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(error = %e, "could not set TCP_NODELAY");
                }
            })
        });
        let mut server = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async {
            let _ = stop_rx.await;
        }));
        let result = tokio::select! {
            r = &mut server => r,
            _ = shutdown => {
                tracing::info!(grace = ?self.grace, "shutting down");
                let _ = streams_stop.send(true);
                let _ = stop_tx.send(());
                match tokio::time::timeout(self.grace, &mut server).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::warn!("grace period over; closing remaining connections");
                        server.abort();
                        Ok(Ok(()))
                    }
                }
            }
        };
        health_task.abort();
        if let Some(t) = metrics_task {
            t.abort();
        }
        self.store.close().await;
        if let Some(pg) = self.local_pg {
            let _ = tokio::task::spawn_blocking(move || pg.stop()).await;
        }
        result
            .context("server task failed")?
            .context("server failed")
    }

    /// The gRPC services (claimdb's, health, reflection v1 and v1alpha).
    fn routes(
        &self,
        health: tonic_health::pb::health_server::HealthServer<
            impl tonic_health::pb::health_server::Health,
        >,
        hub: EventHub,
    ) -> anyhow::Result<tonic::service::Routes> {
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        };
        let v1 = reflection().build_v1().context("building reflection v1")?;
        let v1alpha = reflection()
            .build_v1alpha()
            .context("building reflection v1alpha")?;
        let max = self.max_message_bytes;
        let store = self.store.clone();
        let mut routes = tonic::service::Routes::builder();
        routes
            .add_service(health)
            .add_service(v1)
            .add_service(v1alpha)
            .add_service(
                ClaimServiceServer::new(ClaimApi::new(store.clone(), hub))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            )
            .add_service(
                EntityServiceServer::new(EntityApi::new(store.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            )
            .add_service(
                ArticleServiceServer::new(ArticleApi::new(store.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            )
            .add_service(
                StatementServiceServer::new(StatementApi::new(store.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            )
            .add_service(
                ReviewServiceServer::new(ReviewApi::new(store))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            );
        Ok(routes.routes())
    }
}

/// CORS for browsers calling over gRPC-Web: any origin, and the gRPC
/// trailers exposed so the client can read statuses and error details.
fn cors() -> CorsLayer {
    let expose = [
        "grpc-status",
        "grpc-message",
        "grpc-status-details-bin",
        crate::metrics::REQUEST_ID_HEADER,
    ]
    .map(HeaderName::from_static);
    CorsLayer::new()
        .allow_origin(Any)
        .allow_headers(Any)
        .allow_methods(Any)
        .expose_headers(expose)
        .max_age(Duration::from_secs(24 * 3600))
}

/// Pings the database and reports SERVING / NOT_SERVING for every service,
/// logging each transition once.
async fn watch_health(store: Store, reporter: HealthReporter) {
    let mut last: Option<bool> = None;
    loop {
        let waited = match tokio::time::timeout(Duration::from_secs(2), store.ping_timed()).await {
            Ok(Ok(w)) => Some(w),
            _ => None,
        };
        crate::metrics::record_db_check(waited);
        let ok = waited.is_some();
        if last != Some(ok) {
            if ok {
                tracing::info!("database reachable: SERVING");
            } else {
                tracing::warn!("database unreachable: NOT_SERVING");
            }
            let status = if ok {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            for s in SERVICES {
                reporter.set_service_status(s, status).await;
            }
            last = Some(ok);
        }
        tokio::time::sleep(HEALTH_INTERVAL).await;
    }
}

/// The authentication mode `serve` runs with: off only when asked
/// (`--insecure-no-auth`); on a loopback address, open until the first key
/// exists; otherwise required. Says loudly what it chose.
async fn auth_mode(config: &ServeConfig, store: &Store) -> AuthMode {
    if config.insecure_no_auth {
        tracing::warn!(
            "AUTHENTICATION IS OFF (--insecure-no-auth): anyone who can reach {} can read and \
             change every record",
            config.listen
        );
        return AuthMode::Off;
    }
    let any_key = store.any_api_key().await.unwrap_or(true);
    if config.listen.ip().is_loopback() {
        if !any_key {
            tracing::warn!(
                "NO API KEY EXISTS: serving WITHOUT authentication on the loopback address {} \
                 until one is created (`claimdb keys create --name admin --role admin`); from \
                 then on every claimdb RPC needs a key",
                config.listen
            );
        } else {
            tracing::info!("authentication on: every claimdb RPC needs an API key");
        }
        return AuthMode::OpenUntilFirstKey;
    }
    if any_key {
        tracing::info!("authentication on: every claimdb RPC needs an API key");
    } else {
        tracing::warn!(
            "no API key exists: every claimdb RPC will be refused until one is created \
             (`claimdb keys create --name admin --role admin`)"
        );
    }
    AuthMode::Required
}

/// Completes on SIGINT or SIGTERM.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    // The handlers are registered here, when called, not when first polled:
    // the server starts answering on other threads before `run_until`
    // polls this future, and a SIGTERM in between killed the process
    // instead of shutting it down (seen in the SIGTERM test under load).
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        async fn recv(s: Option<Signal>) {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            tokio::select! {
                _ = recv(term) => {},
                _ = recv(int) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
