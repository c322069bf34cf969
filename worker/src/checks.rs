//! What the worker checks before it polls: the namespace exists, the
//! search attributes the workflows set are registered, and every key file
//! and known_hosts file the inventory names can be read. A worker that
//! would fail on its first suite exits at start instead, naming what is
//! wrong and how to fix it.
//!
//! Must never: print a key file's content (only its path), or change
//! anything on the cluster.

use std::collections::BTreeSet;

use anyhow::{bail, Context};
use switchyard_proto::inventory::{CredentialRef, Inventory};
use switchyard_proto::names::SEARCH_ATTRIBUTES;
use temporalio_client::Client;
use temporalio_client::grpc::{OperatorService, WorkflowService};
use temporalio_common::protos::temporal::api::enums::v1::IndexedValueType;
use temporalio_common::protos::temporal::api::operatorservice::v1::ListSearchAttributesRequest;
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeNamespaceRequest;
use tonic::IntoRequest;

/// The namespace exists and carries every search attribute switchyard sets.
pub(crate) async fn cluster(client: &Client, namespace: &str, address: &str) -> anyhow::Result<()> {
    let mut c = client.clone();
    let described = WorkflowService::describe_namespace(&mut c, DescribeNamespaceRequest { namespace: namespace.to_string(), ..Default::default() }.into_request()).await;
    match described {
        Ok(_) => {}
        Err(status) if status.code() == tonic::Code::NotFound => {
            bail!("namespace {namespace:?} does not exist on Temporal at {address}; create it: temporal operator namespace create --namespace {namespace}")
        }
        Err(status) => bail!("cannot describe namespace {namespace:?} on Temporal at {address}: {}", status.message()),
    }
    let listed = OperatorService::list_search_attributes(&mut c, ListSearchAttributesRequest { namespace: namespace.to_string() }.into_request())
        .await
        .with_context(|| format!("cannot list the search attributes of namespace {namespace:?}"))?
        .into_inner();
    let missing: Vec<&(&str, &str)> = SEARCH_ATTRIBUTES.iter().filter(|(name, kind)| {
        let registered = listed.custom_attributes.get(*name).and_then(|t| IndexedValueType::try_from(*t).ok());
        registered.is_none_or(|t| !t.as_str_name().eq_ignore_ascii_case(&format!("INDEXED_VALUE_TYPE_{kind}")))
    }).collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|(n, k)| format!("{n} ({k})")).collect();
        let commands: Vec<String> = missing.iter().map(|(n, k)| format!("temporal operator search-attribute create --namespace {namespace} --name {n} --type {k}")).collect();
        bail!("namespace {namespace:?} lacks the search attributes switchyard sets: {}; register them:\n  {}", names.join(", "), commands.join("\n  "));
    }
    Ok(())
}

/// Every key file and known_hosts file the inventory names can be opened
/// (loading the inventory already checked that they exist).
pub(crate) fn inventory_files(inventory: &Inventory) -> anyhow::Result<()> {
    let mut files: BTreeSet<(&str, &str)> = BTreeSet::new();
    for device in &inventory.devices {
        if let CredentialRef::KeyFile(path) = &device.credential {
            files.insert((path.as_str(), "key file"));
        }
        files.insert((device.known_hosts.as_str(), "known_hosts file"));
    }
    for (path, what) in files {
        // Read, not only opened: a directory opens but cannot be read.
        if let Err(e) = std::fs::read(path) {
            bail!("{}: the {what} {path} cannot be read by the worker: {e}", inventory.file);
        }
    }
    Ok(())
}
