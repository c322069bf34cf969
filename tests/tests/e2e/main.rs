//! The end-to-end tests, one binary linked once: each module is one area,
//! run against the Temporal dev server, the worker and the device lab that
//! `tests/run.sh` starts (they fail loudly without them).
//!
//! Tests of every module run side by side; those that change lab devices
//! take the lab's lock (`TestEnv::lock_lab`), those that only read them
//! take it shared (`TestEnv::read_lab`). `tests/run.sh --test NAME`
//! runs one module.

mod apply_on_device;
mod checks;
mod confirm;
mod deploy;
mod device_access;
mod device_faults;
mod device_history;
mod device_lock;
mod doctor;
mod drift;
mod gates;
mod malformed_signals;
mod metrics;
mod nautobot;
mod revert;
mod secrets;
mod server_restart;
mod service;
mod service_tls;
mod services_on_device;
mod sonic_profiles;
mod suite_semantics;
mod suites;
mod temporal_tls;
mod traces;
mod trust;
mod warrants;
mod web_ui;
mod webhooks;
mod worker_crash;
mod worker_start;
