//! Counters for `/metrics`, in Prometheus' text format, and who may read them (`http.metrics`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;
use std::time::Instant;

use crate::config::MetricsAccess;

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

/// Whether `access` lets `client` read the metrics. `loopback` is 127.0.0.1 and ::1 only (also
/// 127.0.0.1 mapped into IPv6): the one address a scraper on this machine uses, not all of
/// 127.0.0.0/8, whose other addresses tests use as clients from elsewhere. A client whose
/// address is unknown is refused.
pub fn may_read(access: MetricsAccess, client: Option<IpAddr>) -> bool {
    match access {
        MetricsAccess::Public => true,
        MetricsAccess::Off => false,
        MetricsAccess::Loopback => client.is_some_and(|ip| {
            ip.to_canonical() == IpAddr::V4(Ipv4Addr::LOCALHOST)
                || ip == IpAddr::V6(Ipv6Addr::LOCALHOST)
        }),
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

    #[test]
    #[allow(clippy::unwrap_used)]
    fn loopback_is_127_0_0_1_and_1_only() {
        use super::{MetricsAccess, may_read};
        let ip = |text: &str| Some(text.parse().unwrap());
        for (client, allowed) in [
            (ip("127.0.0.1"), true),
            (ip("::1"), true),
            (ip("::ffff:127.0.0.1"), true),
            (ip("127.0.0.2"), false),
            (ip("10.0.0.1"), false),
            (ip("2001:db8::1"), false),
            (None, false),
        ] {
            assert_eq!(
                may_read(MetricsAccess::Loopback, client),
                allowed,
                "{client:?}"
            );
            assert!(may_read(MetricsAccess::Public, client));
            assert!(!may_read(MetricsAccess::Off, client));
        }
    }
}
