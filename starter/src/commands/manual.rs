//! `switchyard completions SHELL` and `switchyard man DIR`: the shell
//! completion scripts and the manual pages, generated from the same
//! definitions as `--help`, so they never disagree with it. Packages call
//! them at build time.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;

/// Prints the completion script for `shell`.
pub(crate) fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    // Into memory first: a reader that stops early (`| head`) is not an error.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "switchyard", &mut script);
    let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
    Ok(0)
}

/// Writes `switchyard.1` and a page per command (`switchyard-plan.1`, …) into `dir`.
pub(crate) fn man_pages(dir: &Path) -> anyhow::Result<i32> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(|e| anyhow::anyhow!("cannot write the manual pages into {}: {e}", dir.display()))?;
    Ok(0)
}
