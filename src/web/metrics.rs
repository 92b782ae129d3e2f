//! Counters for `/metrics`, in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

/// Requests served, by route name and status, since start.
pub struct Metrics {
    started: Instant,
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            requests: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Metrics {
    pub fn record(&self, route: &'static str, status: u16) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *requests.entry((route, status)).or_default() += 1;
    }

    pub fn render(&self, store_bytes: u64) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP stagehand_uptime_seconds Seconds since the server started."
        );
        let _ = writeln!(out, "# TYPE stagehand_uptime_seconds gauge");
        let _ = writeln!(
            out,
            "stagehand_uptime_seconds {:.3}",
            self.started.elapsed().as_secs_f64()
        );
        let _ = writeln!(
            out,
            "# HELP stagehand_http_requests_total HTTP requests served, by route and status."
        );
        let _ = writeln!(out, "# TYPE stagehand_http_requests_total counter");
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((route, status), count) in requests.iter() {
            let _ = writeln!(
                out,
                "stagehand_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP stagehand_store_bytes Size of the database file."
        );
        let _ = writeln!(out, "# TYPE stagehand_store_bytes gauge");
        let _ = writeln!(out, "stagehand_store_bytes {store_bytes}");
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_counters_by_route_and_status() {
        let metrics = super::Metrics::default();
        metrics.record("healthz", 200);
        metrics.record("healthz", 200);
        metrics.record("setup", 404);
        let text = metrics.render(4096);
        assert!(
            text.contains("stagehand_http_requests_total{route=\"healthz\",status=\"200\"} 2\n")
        );
        assert!(text.contains("stagehand_http_requests_total{route=\"setup\",status=\"404\"} 1\n"));
        assert!(text.contains("stagehand_store_bytes 4096\n"));
    }
}
