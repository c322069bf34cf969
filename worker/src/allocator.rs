//! The C allocator's tuning: how many arenas glibc's malloc keeps and how
//! often the worker hands freed pages back to the kernel.
//!
//! Owns two calls into glibc (`mallopt`, `malloc_trim`) and the task that
//! trims on a period; it must never allocate on the worker's behalf or
//! change what is allocated. On targets without glibc both calls are
//! no-ops.
//!
//! Why: glibc gives each thread that meets a locked arena a new one, up to
//! eight per core, and a freed page inside an arena stays in the process's
//! RSS until something trims it. The worker's heap is a steady set of
//! sessions and cached workflows with bursts of short-lived buffers around
//! it (payloads, gRPC frames), so without both its RSS drifts well above
//! what it holds (bench/RESULTS.md, "Worker memory at 1,000 devices").

/// Caps glibc's arenas at `arenas` (0 leaves glibc's own limit). Must run
/// before the first thread beyond main allocates: glibc fixes the limit
/// the first time it needs a second arena. `MALLOC_ARENA_MAX` in the
/// environment, when set, wins: glibc reads it at start-up and this call
/// then leaves it alone.
pub(crate) fn limit_arenas(arenas: u32) {
    if arenas == 0 || std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    glibc::limit_arenas(arenas);
}

/// Hands the free pages of every arena back to the kernel; returns whether
/// any were.
pub(crate) fn trim() -> bool {
    glibc::trim()
}

/// Trims every `every`, for as long as the worker runs.
pub(crate) async fn trim_every(every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        // On a blocking thread: a trim walks every arena under its lock.
        let _ = tokio::task::spawn_blocking(trim).await;
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    pub(super) fn limit_arenas(arenas: u32) {
        let arenas = i32::try_from(arenas).unwrap_or(i32::MAX);
        // SAFETY: mallopt only sets a tunable of the allocator; any value
        // is valid for M_ARENA_MAX.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    }

    pub(super) fn trim() -> bool {
        // SAFETY: malloc_trim takes each arena's lock itself and only
        // returns pages no allocation holds.
        unsafe { libc::malloc_trim(0) != 0 }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod glibc {
    pub(super) fn limit_arenas(_arenas: u32) {}

    pub(super) fn trim() -> bool {
        false
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    fn rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn a_trim_hands_freed_pages_back() {
        // 64 MiB in small blocks (below the mmap threshold, so from an
        // arena), then all but the last freed: the last one pins the
        // arena's top, so glibc cannot shrink it on free and the pages
        // stay resident until a trim.
        let mut blocks: Vec<Box<[u8; 1024]>> = (0..64 * 1024).map(|i| Box::new([i as u8; 1024])).collect();
        let pin = blocks.pop().unwrap();
        drop(blocks);
        let before = rss_kib();
        assert!(super::trim(), "nothing was handed back");
        let after = rss_kib();
        assert!(before.saturating_sub(after) > 32 * 1024, "RSS {before} KiB before the trim, {after} KiB after");
        assert_eq!(pin[0], (64 * 1024 - 1) as u8);
    }
}
