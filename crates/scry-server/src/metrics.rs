//! Prometheus metrics in the text exposition format, kept with atomics (no registry crate:
//! a handful of series).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::service::Service;

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: Vec<u64>,
}

#[derive(Default)]
pub struct Metrics {
    /// (operation, status) -> count; operation -> latency histogram.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Series>>,
}

impl Metrics {
    pub fn observe(&self, op: &str, status: u16, started: Instant) {
        let secs = started.elapsed().as_secs_f64();
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((op.to_string(), status))
            .or_default() += 1;
        let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let s = l.entry(op.to_string()).or_insert_with(|| Series {
            buckets: vec![0; BUCKETS.len()],
            ..Default::default()
        });
        s.count += 1;
        s.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    pub fn render(&self, svc: &Service) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        out.push_str("# HELP scry_requests_total API requests by operation and HTTP status.\n# TYPE scry_requests_total counter\n");
        for ((op, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "scry_requests_total{{operation=\"{op}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP scry_request_duration_seconds API request latency.\n# TYPE scry_request_duration_seconds histogram\n");
        for (op, s) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "scry_request_duration_seconds_bucket{{operation=\"{op}\",le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "scry_request_duration_seconds_bucket{{operation=\"{op}\",le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "scry_request_duration_seconds_sum{{operation=\"{op}\"}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "scry_request_duration_seconds_count{{operation=\"{op}\"}} {}",
                s.count
            );
        }
        let generation = svc.intel().map_or(-1, |i| i.loaded.generation);
        let _ = writeln!(out, "# HELP scry_advisory_generation Generation of the loaded advisory database (-1: none).\n# TYPE scry_advisory_generation gauge\nscry_advisory_generation {generation}");
        let _ = writeln!(out, "# HELP scry_uptime_seconds Seconds since the server started.\n# TYPE scry_uptime_seconds gauge\nscry_uptime_seconds {}", svc.started.elapsed().as_secs_f64());
        out
    }
}
