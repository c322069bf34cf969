//! Who is calling, as a handler receives it: the API key the request
//! authenticated with, counted against its rate and admitted for the scope
//! the handler's signature names (`Caller<Reads>`, `Caller<Writes>`,
//! `Caller<Approves>`). An extractor, so no handler can forget to ask, and
//! it runs before any other part of the request is read.
//!
//! Must never: let a request through without a key the keys file holds,
//! within its rate and with the scope asked.

use std::marker::PhantomData;
use std::sync::atomic::Ordering;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use switchyard_starter::keys::{ApiKey, Scope};

use super::Shared;
use super::auth::require;
use super::problem::Problem;

/// The scope a handler needs.
pub(super) trait Needs {
    /// It.
    const SCOPE: Scope;
}

/// Reading suites, events, deliveries and histories.
pub(super) struct Reads;
/// Starting suites and operating them.
pub(super) struct Writes;
/// Approving or rejecting plans.
pub(super) struct Approves;

impl Needs for Reads {
    const SCOPE: Scope = Scope::Read;
}
impl Needs for Writes {
    const SCOPE: Scope = Scope::Write;
}
impl Needs for Approves {
    const SCOPE: Scope = Scope::Approve;
}

/// The calling key, admitted for `S`'s scope.
pub(super) struct Caller<S> {
    pub(super) key: ApiKey,
    scope: PhantomData<S>,
}

impl<S: Needs + Send + Sync> FromRequestParts<Shared> for Caller<S> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Problem> {
        admit(app, &parts.headers, S::SCOPE).map(|key| Caller { key, scope: PhantomData })
    }
}

/// Authenticates the request, counts it against the key's rate, and
/// checks its scope; every request is counted, every refusal too.
fn admit(app: &Shared, headers: &HeaderMap, scope: Scope) -> Result<ApiKey, Problem> {
    app.requests.fetch_add(1, Ordering::Relaxed);
    let checked = app.keys.authenticate(headers).and_then(|key| {
        app.rate.take(&key.id)?;
        require(&key, scope)?;
        Ok(key)
    });
    if checked.is_err() {
        app.refused.fetch_add(1, Ordering::Relaxed);
    }
    checked
}
