//! What a switchyard process says about itself on its `/metrics`, the
//! service's and the worker's alike: `process_*` as Prometheus' client
//! libraries name them (read from `/proc/self`, Linux), and
//! `switchyard_build_info`.
//!
//! Must never: fail a scrape (what cannot be read is left out).

use std::fmt::Write;

/// `process_*` as Prometheus' client libraries name them, read from
/// `/proc/self` (Linux); what cannot be read is left out.
pub fn process_metrics(out: &mut String) {
    let ticks = 100.0; // USER_HZ on Linux
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // Fields after the command's closing parenthesis, from field 3.
        let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
        if let (Some(user), Some(system)) = (field(14), field(15)) {
            let _ = write!(out, "# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {}\n", (user + system) / ticks);
        }
        if let (Some(start), Some(boot)) = (field(22), boot_time()) {
            let _ = write!(out, "# HELP process_start_time_seconds Start time of the process since the Unix epoch, in seconds.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {}\n", boot + start / ticks);
        }
        if let Some(rss) = field(24) {
            let _ = write!(out, "# HELP process_resident_memory_bytes Resident memory size, in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n", rss * 4096.0);
        }
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        let _ = write!(out, "# HELP process_open_fds Open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds {}\n", fds.count());
    }
}

/// `switchyard_build_info{version}`, always 1, as Prometheus' convention
/// for what is running.
pub fn build_info(out: &mut String, program: &str) {
    let _ = write!(out, "# HELP switchyard_build_info The running build.\n# TYPE switchyard_build_info gauge\nswitchyard_build_info{{program=\"{program}\",version=\"{}\"}} 1\n", env!("CARGO_PKG_VERSION"));
}

fn boot_time() -> Option<f64> {
    std::fs::read_to_string("/proc/stat").ok()?.lines().find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_reports_itself() {
        let mut out = String::new();
        process_metrics(&mut out);
        build_info(&mut out, "switchyard");
        for name in ["process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ", "process_start_time_seconds ", "switchyard_build_info{"] {
            assert!(out.contains(name), "{name}: {out}");
        }
    }
}
