//! The claimdb server under test, as a separate process: spawned with
//! `claimdb serve` on a free loopback port against one bench database,
//! waited for through its gRPC health check, watched for memory (VmRSS and
//! VmHWM from `/proc/<pid>/status`), and stopped at the end.
//!
//! A separate process, not an in-process server, so the measured latency
//! includes real TCP and HTTP/2 framing and the server's memory is its own.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use serde::Serialize;
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// How long the server gets to start (migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How often memory is sampled while the server runs.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// Memory of the server process, in KiB.
#[derive(Debug, Clone, Copy, Serialize, Default)]
pub(crate) struct Memory {
    /// Resident set size now (VmRSS).
    pub(crate) rss_kib: u64,
    /// Peak resident set size since start (VmHWM).
    pub(crate) peak_kib: u64,
}

/// A running server process.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    pid: u32,
    port: u16,
    log: PathBuf,
    window_peak: Arc<AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Starts `bin serve` against `database_url`, logging to `log`, and
    /// waits until its health check reports SERVING.
    pub(crate) async fn start(
        bin: &Path,
        database_url: &str,
        log: &Path,
        db_connections: u32,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("creating the server log {}", log.display()))?;
        let child = Command::new(bin)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database-url")
            .arg(database_url)
            .arg("--insecure-no-auth")
            .arg("--db-max-connections")
            .arg(db_connections.to_string())
            .arg("--max-concurrent-requests")
            .arg("0")
            .env("RUST_LOG", "warn")
            .env_remove("CLAIMDB_DATA_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow!("the server exited at once"))?;
        let window_peak = Arc::new(AtomicU64::new(0));
        let sampler = tokio::spawn(sample(pid, window_peak.clone()));
        let mut server = Self {
            child,
            pid,
            port,
            log: log.to_path_buf(),
            window_peak,
            sampler,
        };
        server.wait_serving().await?;
        Ok(server)
    }

    /// The gRPC endpoint URL.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new channel (connection) to the server.
    pub(crate) async fn channel(&self) -> anyhow::Result<Channel> {
        Endpoint::from_shared(self.endpoint())?
            .tcp_nodelay(true)
            .connect()
            .await
            .context("connecting to the server")
    }

    async fn wait_serving(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited during start-up ({status}); its log ({}):\n{}",
                    self.log.display(),
                    tail(&self.log)
                );
            }
            if let Ok(ch) = self.channel().await {
                let mut health = HealthClient::new(ch);
                let req = HealthCheckRequest {
                    service: String::new(),
                };
                if let Ok(r) = health.check(req).await {
                    if r.into_inner().status == ServingStatus::Serving as i32 {
                        return Ok(());
                    }
                }
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "the server did not report SERVING within {:?}; its log ({}):\n{}",
                    START_TIMEOUT,
                    self.log.display(),
                    tail(&self.log)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Memory now.
    pub(crate) fn memory(&self) -> anyhow::Result<Memory> {
        read_memory(self.pid)
    }

    /// Starts a new measurement window for [`Self::window_peak_kib`].
    pub(crate) fn reset_window(&self) {
        self.window_peak.store(0, Ordering::Relaxed);
    }

    /// Highest VmRSS sampled since [`Self::reset_window`], in KiB.
    pub(crate) fn window_peak_kib(&self) -> u64 {
        self.window_peak.load(Ordering::Relaxed)
    }

    /// Whether the process is still running (a crash mid-run is an error).
    pub(crate) fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "the server exited ({status}); its log ({}):\n{}",
                self.log.display(),
                tail(&self.log)
            );
        }
        Ok(())
    }

    /// Reads its memory one last time, then stops it: SIGTERM, and SIGKILL
    /// if it has not exited within 15 seconds.
    pub(crate) async fn stop(mut self) -> anyhow::Result<Memory> {
        let mem = self.memory().unwrap_or_default();
        self.sampler.abort();
        if let Ok(pid) = i32::try_from(self.pid) {
            // SAFETY: kill(2) with a pid we spawned and still own (the child
            // has not been reaped, so the pid cannot have been reused).
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(r) => {
                r?;
            }
            Err(_) => {
                self.child.kill().await?;
            }
        }
        Ok(mem)
    }
}

/// Samples VmRSS into `peak` until aborted.
async fn sample(pid: u32, peak: Arc<AtomicU64>) {
    loop {
        if let Ok(m) = read_memory(pid) {
            peak.fetch_max(m.rss_kib, Ordering::Relaxed);
        }
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
}

/// VmRSS and VmHWM of a process.
fn read_memory(pid: u32) -> anyhow::Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(Memory {
        rss_kib: field("VmRSS:"),
        peak_kib: field("VmHWM:"),
    })
}

/// A free loopback port (bound and released; the server binds it next).
fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// The last lines of a log file, for error messages.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// The server binary: `--server-bin`, else `claimdb` next to this
/// executable (where `cargo build --bins` puts both).
pub(crate) fn locate(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let me = std::env::current_exe().context("finding this executable")?;
            me.parent()
                .map(|d| d.join("claimdb"))
                .ok_or_else(|| anyhow!("this executable has no directory"))?
        }
    };
    if !path.is_file() {
        bail!(
            "the claimdb server binary is missing at {}: build it with cargo build --release --bins \
             (or cargo build --bins for a debug run), or pass --server-bin",
            path.display()
        );
    }
    Ok(path)
}
