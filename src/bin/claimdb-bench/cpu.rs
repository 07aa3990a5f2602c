//! Where the CPU goes: the CPU time the server process, this process (the
//! load generator's clients) and PostgreSQL (every child of the postmaster:
//! backends, WAL writer, checkpointer, autovacuum) spent in a measurement
//! window, per request.
//!
//! The three share the machine's cores, so a workload's throughput is the
//! cores divided by the sum; the split says which part of a gap between the
//! service and direct SQL is the server's own work, the gRPC client's, or
//! extra database work. Read from `/proc/<pid>/stat` (user + system time,
//! all threads), so it works only where PostgreSQL runs on this machine;
//! otherwise the PostgreSQL figure is absent.

use std::collections::HashMap;

use serde::Serialize;

/// Clock ticks per second of `/proc/<pid>/stat` times: `USER_HZ`, which is
/// part of Linux's user-space ABI and 100 on every architecture it exposes
/// to `/proc`.
const TICKS_PER_SEC: f64 = 100.0;

/// The CPUs this process may use: the machine line of the report, and how
/// many connections load the dataset.
pub(crate) fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The processes to account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    /// The `claimdb serve` process.
    pub(crate) server: Option<u32>,
    /// The postmaster (its children are counted).
    pub(crate) postmaster: Option<u32>,
}

/// CPU ticks at one moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sample {
    server: u64,
    client: u64,
    postgres: HashMap<u32, u64>,
}

/// CPU time per request in one window, microseconds.
#[derive(Debug, Clone, Copy, Serialize, Default, PartialEq)]
pub(crate) struct Split {
    /// The `claimdb serve` process.
    pub(crate) server_us: f64,
    /// The load generator (gRPC or sqlx clients).
    pub(crate) client_us: f64,
    /// PostgreSQL's processes (absent when it is not on this machine).
    pub(crate) postgres_us: Option<f64>,
    /// Cores busy on average over the window, the three together.
    pub(crate) cores: f64,
}

impl Probe {
    /// The split between two of this probe's samples `seconds` apart, over
    /// `requests`.
    pub(crate) fn split(
        &self,
        first: &Sample,
        last: &Sample,
        seconds: f64,
        requests: u64,
    ) -> Option<Split> {
        Split::between(first, last, seconds, requests, self.postmaster.is_some())
    }

    /// Reads the processes' CPU ticks now.
    pub(crate) fn sample(&self) -> Sample {
        let postgres = match self.postmaster {
            Some(pm) => children_ticks(pm),
            None => HashMap::new(),
        };
        Sample {
            server: self.server.and_then(ticks).unwrap_or(0),
            client: ticks(std::process::id()).unwrap_or(0),
            postgres,
        }
    }
}

impl Split {
    /// The split between two samples `seconds` apart, over `requests`
    /// (PostgreSQL's time only when its processes are visible).
    fn between(
        start: &Sample,
        end: &Sample,
        seconds: f64,
        requests: u64,
        postgres_visible: bool,
    ) -> Option<Self> {
        if requests == 0 || seconds <= 0.0 {
            return None;
        }
        let pg: u64 = end
            .postgres
            .iter()
            .map(|(pid, t)| t.saturating_sub(start.postgres.get(pid).copied().unwrap_or(0)))
            .sum();
        let server = end.server.saturating_sub(start.server);
        let client = end.client.saturating_sub(start.client);
        let per_request = |t: u64| t as f64 / TICKS_PER_SEC / requests as f64 * 1e6;
        let total = server + client + if postgres_visible { pg } else { 0 };
        Some(Self {
            server_us: per_request(server),
            client_us: per_request(client),
            postgres_us: postgres_visible.then(|| per_request(pg)),
            cores: total as f64 / TICKS_PER_SEC / seconds,
        })
    }
}

/// The postmaster of a backend: its parent, when it runs on this machine.
/// A server elsewhere has pids that mean nothing here, so the parent must be
/// a PostgreSQL process.
pub(crate) fn postmaster_of(backend_pid: u32) -> Option<u32> {
    let parent: u32 = stat_fields(backend_pid)?.get(1)?.parse().ok()?;
    let comm = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
    matches!(comm.trim(), "postgres" | "postmaster").then_some(parent)
}

/// User + system ticks of a process (all its threads).
fn ticks(pid: u32) -> Option<u64> {
    ticks_of(&stat_fields(pid)?)
}

/// User + system ticks from the fields of a stat line (utime and stime).
fn ticks_of(f: &[String]) -> Option<u64> {
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The fields of `/proc/<pid>/stat` after the command name (field 3,
/// the state, is index 0; the name may contain spaces and parentheses, so
/// it is skipped up to the last `)`).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

fn parse_stat(text: &str) -> Option<Vec<String>> {
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Ticks of every child of `parent`, by pid.
fn children_ticks(parent: u32) -> HashMap<u32, u64> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Some(f) = stat_fields(pid) else { continue };
        if f.get(1).and_then(|p| p.parse::<u32>().ok()) != Some(parent) {
            continue;
        }
        if let Some(t) = ticks_of(&f) {
            out.insert(pid, t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_is_read_past_a_name_with_spaces_and_parentheses() {
        let line = "42 (tokio (rt) w) S 7 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0";
        let f = parse_stat(line).unwrap_or_default();
        assert_eq!(f[0], "S");
        assert_eq!(f[1], "7", "ppid");
        assert_eq!(f[11], "250", "utime");
        assert_eq!(f[12], "50", "stime");
    }

    #[test]
    fn this_process_is_seen_but_its_parent_is_no_postmaster() {
        let me = std::process::id();
        assert!(ticks(me).is_some());
        assert_eq!(postmaster_of(me), None);
    }

    #[test]
    fn a_split_is_per_request_and_counts_new_backends_whole() {
        let start = Sample {
            server: 100,
            client: 50,
            postgres: HashMap::from([(1, 10)]),
        };
        let end = Sample {
            server: 300,
            client: 150,
            postgres: HashMap::from([(1, 60), (2, 50)]),
        };
        let s = Split::between(&start, &end, 2.0, 1000, true).unwrap_or_default();
        // 200 ticks = 2 s of server CPU over 1000 requests = 2 ms each.
        assert!((s.server_us - 2000.0).abs() < 1e-6);
        assert!((s.client_us - 1000.0).abs() < 1e-6);
        assert_eq!(s.postgres_us.map(|p| p.round()), Some(1000.0));
        // 400 ticks in 2 s: two cores busy.
        assert!((s.cores - 2.0).abs() < 1e-9);
        assert!(Split::between(&start, &end, 2.0, 0, true).is_none());
    }
}
