//! `switchyard_starter`: the operator's side of Temporal, as a library.
//! [`client`] holds every call the `switchyard` CLI makes (and the bench
//! driver starts its suites with it), so a suite is started, signalled and
//! read the same way by every tool; [`launch`] turns a parsed suite into
//! the workflow's input for the CLI and the service alike. [`signing`] signs decisions with the
//! user's SSH key (through ssh-keygen, as git does) and [`audit`] exports
//! and re-checks a suite's signed decisions. [`remote`] is the service's HTTP client (the CLI's `--api`), [`statistics`] sums a
//! range of suites for the service; [`schedules`] creates, lists, pauses and
//! deletes the Temporal Schedules of drift checks and scheduled suites. [`traces`] sets up OTLP
//! export and the trace context that follows a suite into its workflows.
//!
//! It never links device or credential code: nothing here reaches an SSH
//! session or a device's redis (the architecture test checks the graph).

#![warn(missing_docs)]

pub mod api;
pub mod audit;
pub mod client;
pub mod connection;
pub mod decide;
pub mod inventory_source;
pub mod keys;
pub mod launch;
pub mod process;
pub mod random;
pub mod remote;
pub mod revert;
pub mod schedules;
pub mod signing;
pub mod statistics;
pub mod traces;
