//! The contracts of switchyard: everything that crosses a process boundary.
//!
//! Owns the protobuf messages (generated from `switchyard/v1/*.proto`, with
//! canonical proto3 JSON so Temporal history reads as JSON in the Web UI),
//! the wire names in [`names`] and the words in [`vocabulary`], the
//! operation contract in [`operation`], the operator's file formats
//! ([`inventory`], [`suite_file`], [`services`], [`policy`]), which turn
//! YAML into those messages, and signed decisions ([`trust`]): the
//! canonical message and its pure, deterministic verification.
//!
//! Must never: do I/O beyond reading the operator's files it is pointed at,
//! depend on a workspace crate, or hold orchestration or device logic.
//! Compatibility: fields are never renumbered or reused; only added.

#![warn(missing_docs)]

pub mod checks;
pub mod inventory;
pub mod json_style;
pub mod names;
pub mod operation;
mod params;
pub mod plan_root;
pub mod policy;
pub mod record;
pub mod selector;
pub mod source;
pub mod services;
pub mod suite_file;
pub mod targets;
pub mod time;
pub mod trust;
pub mod validate;
pub mod vocabulary;
pub mod warrant;
pub mod webhooks;
mod template;

/// Generated messages of package `switchyard.v1`.
#[allow(missing_docs, clippy::all, unreachable_pub)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/switchyard.v1.rs"));
    include!(concat!(env!("OUT_DIR"), "/switchyard.v1.serde.rs"));
}

pub use source::SourceError;
