//! The load generator, in the manner of ghz: C concurrent callers, each
//! with its own connection (a tonic channel or a PostgreSQL connection),
//! calling back to back; a warm-up period whose calls are discarded; then a
//! fixed measurement window. Every call's latency is kept (microseconds in
//! a `Vec<u32>`), so percentiles are exact order statistics rather than
//! histogram estimates.
//!
//! Errors are counted by code in both periods: a run with any error is not
//! a result, and the report marks it FAILED.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cpu::{Probe, Split};

/// How a workload is driven.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    /// Calls in this period are not measured (caches, connections, JIT-less
    /// but lazy things such as prepared statements warm up).
    pub(crate) warmup: Duration,
    /// The measurement window.
    pub(crate) duration: Duration,
}

/// What one call did.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// It succeeded; `rows` is what it returned or wrote (claims), `class`
    /// groups latencies (e.g. read/write in the mixed workload).
    Ok {
        /// Rows returned or claims written.
        rows: u64,
        /// Latency group.
        class: &'static str,
    },
    /// It failed.
    Err {
        /// gRPC status code, SQLSTATE, ...: what errors are counted by.
        code: String,
        /// The message, kept for the first error of each code.
        message: String,
    },
}

impl Outcome {
    /// A failure with its code and message.
    pub(crate) fn err(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Err {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// One caller: makes one call per invocation with its own connection and
/// its own random stream.
pub(crate) trait Caller: Send + 'static {
    /// Makes one call.
    fn call(&mut self) -> impl Future<Output = Outcome> + Send;
}

/// Exact latency percentiles, in milliseconds.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Latency {
    /// Calls measured.
    pub(crate) count: u64,
    /// Median.
    pub(crate) p50_ms: f64,
    /// 90th percentile.
    pub(crate) p90_ms: f64,
    /// 99th percentile.
    pub(crate) p99_ms: f64,
    /// 99.9th percentile.
    pub(crate) p999_ms: f64,
    /// Slowest call.
    pub(crate) max_ms: f64,
    /// Mean.
    pub(crate) mean_ms: f64,
}

impl Latency {
    /// Percentiles of `us` (sorted in place), nearest-rank.
    pub(crate) fn of(us: &mut [u32]) -> Self {
        if us.is_empty() {
            return Self::default();
        }
        us.sort_unstable();
        let n = us.len();
        let at = |q: f64| -> f64 {
            let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
            f64::from(us[rank - 1]) / 1000.0
        };
        let sum: u64 = us.iter().map(|x| u64::from(*x)).sum();
        Self {
            count: n as u64,
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            max_ms: f64::from(us[n - 1]) / 1000.0,
            mean_ms: sum as f64 / n as f64 / 1000.0,
        }
    }
}

/// The result of one side (service or direct) of one workload.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Stats {
    /// Successful calls started in the measurement window.
    pub(crate) requests: u64,
    /// Calls per second over the window.
    pub(crate) requests_per_sec: f64,
    /// Rows returned (reads) or claims written (writes) in the window.
    pub(crate) rows: u64,
    /// Rows per second over the window.
    pub(crate) rows_per_sec: f64,
    /// Mean rows per successful call: both sides should agree.
    pub(crate) rows_per_request: f64,
    /// Length of the window in seconds (until the last call ended).
    pub(crate) seconds: f64,
    /// Calls made during warm-up (not measured).
    pub(crate) warmup_requests: u64,
    /// Latency of every measured call.
    pub(crate) latency: Latency,
    /// Latency by call class (when a workload mixes several).
    pub(crate) by_class: BTreeMap<String, Latency>,
    /// Errors by code, warm-up included.
    pub(crate) errors: BTreeMap<String, u64>,
    /// The first message of each error code.
    pub(crate) error_samples: BTreeMap<String, String>,
    /// CPU time per request in the window, by process (when probed).
    pub(crate) cpu: Option<Split>,
}

impl Stats {
    /// Total errors.
    pub(crate) fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// What one caller task gathered.
#[derive(Default)]
struct Tally {
    ok: u64,
    rows: u64,
    warmup: u64,
    latencies: Vec<u32>,
    by_class: BTreeMap<&'static str, Vec<u32>>,
    errors: BTreeMap<String, u64>,
    samples: BTreeMap<String, String>,
    last_end: Option<Instant>,
}

/// Drives `callers` (one task each) for `spec` and gathers the figures;
/// with a `probe`, also the CPU the processes spent in the window.
pub(crate) async fn run<C: Caller>(
    spec: Spec,
    callers: Vec<C>,
    probe: Option<Probe>,
) -> anyhow::Result<Stats> {
    let start = Instant::now();
    let measure_from = start + spec.warmup;
    let until = measure_from + spec.duration;
    let sampler = probe.map(|p| {
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            let first = p.sample();
            tokio::time::sleep_until(until.into()).await;
            (first, p.sample())
        })
    });
    let mut tasks = Vec::with_capacity(callers.len());
    for mut caller in callers {
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            loop {
                let began = Instant::now();
                if began >= until {
                    break;
                }
                let outcome = caller.call().await;
                let ended = Instant::now();
                let us = u32::try_from(ended.duration_since(began).as_micros()).unwrap_or(u32::MAX);
                let measured = began >= measure_from;
                match outcome {
                    Outcome::Ok { rows, class } if measured => {
                        t.ok += 1;
                        t.rows += rows;
                        t.latencies.push(us);
                        t.by_class.entry(class).or_default().push(us);
                        t.last_end = Some(ended);
                    }
                    Outcome::Ok { .. } => t.warmup += 1,
                    Outcome::Err { code, message } => {
                        t.samples.entry(code.clone()).or_insert(message);
                        *t.errors.entry(code).or_default() += 1;
                    }
                }
            }
            t
        }));
    }
    let mut all = Tally::default();
    let mut by_class: BTreeMap<&'static str, Vec<u32>> = BTreeMap::new();
    for task in tasks {
        let t = task.await?;
        all.ok += t.ok;
        all.rows += t.rows;
        all.warmup += t.warmup;
        all.latencies.extend(t.latencies);
        for (k, v) in t.by_class {
            by_class.entry(k).or_default().extend(v);
        }
        for (k, v) in t.errors {
            *all.errors.entry(k).or_default() += v;
        }
        for (k, v) in t.samples {
            all.samples.entry(k).or_insert(v);
        }
        all.last_end = all.last_end.max(t.last_end);
    }
    let cpu = match (sampler, probe) {
        (Some(task), Some(p)) => {
            let (first, last) = task.await?;
            p.split(&first, &last, spec.duration.as_secs_f64(), all.ok)
        }
        _ => None,
    };
    let seconds = all
        .last_end
        .map(|e| e.saturating_duration_since(measure_from))
        .unwrap_or(spec.duration)
        .max(spec.duration)
        .as_secs_f64();
    Ok(Stats {
        requests: all.ok,
        requests_per_sec: all.ok as f64 / seconds,
        rows: all.rows,
        rows_per_sec: all.rows as f64 / seconds,
        rows_per_request: if all.ok > 0 {
            all.rows as f64 / all.ok as f64
        } else {
            0.0
        },
        seconds,
        warmup_requests: all.warmup,
        latency: Latency::of(&mut all.latencies),
        by_class: if by_class.len() > 1 {
            by_class
                .into_iter()
                .map(|(k, mut v)| (k.to_string(), Latency::of(&mut v)))
                .collect()
        } else {
            BTreeMap::new()
        },
        errors: all.errors,
        error_samples: all.samples,
        cpu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<u32> = (1..=1000).map(|x| x * 1000).collect();
        let l = Latency::of(&mut v);
        assert_eq!(l.count, 1000);
        assert_eq!(l.p50_ms, 500.0);
        assert_eq!(l.p90_ms, 900.0);
        assert_eq!(l.p99_ms, 990.0);
        assert_eq!(l.p999_ms, 999.0);
        assert_eq!(l.max_ms, 1000.0);
        let mut one = vec![7000];
        assert_eq!(Latency::of(&mut one).p999_ms, 7.0);
    }

    struct Fixed(u64);
    impl Caller for Fixed {
        async fn call(&mut self) -> Outcome {
            tokio::time::sleep(Duration::from_millis(2)).await;
            self.0 += 1;
            if self.0 % 10 == 0 {
                Outcome::err("Unavailable", "down")
            } else {
                Outcome::Ok {
                    rows: 3,
                    class: "read",
                }
            }
        }
    }

    #[tokio::test]
    async fn run_counts_calls_rows_and_errors() {
        let spec = Spec {
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(100),
        };
        let s = run(spec, vec![Fixed(0), Fixed(0)], None)
            .await
            .unwrap_or_default();
        assert!(s.requests > 10, "{s:?}");
        assert_eq!(s.rows, s.requests * 3);
        assert!(s.error_count() > 0);
        assert!(s.latency.p50_ms >= 2.0);
    }
}
