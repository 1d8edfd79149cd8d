//! One small handler per operation: extract, validate ([`super::validate`]), apply
//! to the store ([`super::store`]), render ([`super::render`]). Also the extractors
//! that turn axum's own rejections into CTS errors, and the 404/405 fallbacks.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{to_bytes, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::CtsError;
use super::fault::FaultSet;
use super::listing::SharedStore;
use super::render;
use super::rules::Rules;
use super::store::Stamp;
use super::validate;

/// What the handlers share: the store, the account id trackers are created under,
/// and the fault modes switched on.
#[derive(Debug, Clone)]
pub struct AppState {
    /// All projects' trackers and their rendered lists, behind one lock (every
    /// check-and-change holds it once).
    pub store: Arc<Mutex<SharedStore>>,
    /// domain_id of created trackers.
    pub domain_id: Arc<str>,
    /// Fault modes (none unless configured).
    pub faults: Arc<FaultSet>,
    /// ListQuotas lists a further quota type.
    pub extra_quota_types: bool,
    /// A real account's rules or the documents' only (also which error codes).
    pub rules: Rules,
    /// Which fields trackers carry.
    pub fields: render::Fields,
}

impl AppState {
    /// The store, locked. A poisoned lock is taken over: the store's operations
    /// leave it consistent at every return, so a panic elsewhere cannot corrupt it.
    fn store(&self) -> MutexGuard<'_, SharedStore> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The `{project_id}` path segment; 400 CTS.0003 if it does not decode, and an
/// empty one (`/v3//trackers`) is an unknown path (404 CTS.0003).
pub struct ProjectId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ProjectId {
    type Rejection = CtsError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(project_id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|error| CtsError::invalid_request(format!("invalid project_id: {error}")))?;
        if project_id.is_empty() {
            return Err(CtsError::UnknownPath(parts.uri.path().to_owned()));
        }
        Ok(Self(project_id))
    }
}

/// The query string as (name, value) pairs, or 400 CTS.0003.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = CtsError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map(|Query(pairs)| Self(pairs))
            .map_err(|error| CtsError::invalid_request(format!("invalid query string: {error}")))
    }
}

/// The body bytes (already buffered and capped by the guard, so read here without
/// axum's default limit), or 400 CTS.0003.
pub struct RequestBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RequestBody {
    type Rejection = CtsError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        to_bytes(request.into_body(), usize::MAX)
            .await
            .map(Self)
            .map_err(|error| CtsError::invalid_request(format!("invalid request body: {error}")))
    }
}

/// CreateTracker: POST /v3/{project_id}/tracker -> 201 with the tracker.
pub async fn create_tracker(
    State(app): State<AppState>,
    ProjectId(project_id): ProjectId,
    RequestBody(body): RequestBody,
) -> Result<Response, CtsError> {
    let answer = |error| app.rules.answer(error);
    let request = validate::create_request(&body, &app.faults).map_err(answer)?;
    let tracker = app
        .store()
        .store_mut()
        .create(&project_id, &app.domain_id, request, Stamp::now())
        .map_err(answer)?;
    let status = app.faults.success_status(StatusCode::CREATED);
    Ok((
        status,
        Json(render::tracker(
            &tracker,
            &app.faults,
            app.fields,
            render::Answer::Create,
        )),
    )
        .into_response())
}

/// ListTrackers: GET /v3/{project_id}/trackers -> 200 `{"trackers": [...]}`.
pub async fn list_trackers(
    State(app): State<AppState>,
    ProjectId(project_id): ProjectId,
    QueryPairs(query): QueryPairs,
) -> Result<Response, CtsError> {
    let filter = validate::list_query(&query, &app.faults).map_err(|e| app.rules.answer(e))?;
    // Rendered once per store state and project and filter, then shared.
    let listed = app.store().tracker_list(&project_id, &filter, &app.faults);
    Ok(match listed {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        // What `Json` answers when serialising fails (it cannot: the views are plain).
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            error.to_string(),
        )
            .into_response(),
    })
}

/// UpdateTracker: PUT /v3/{project_id}/tracker -> 200 with an empty body.
pub async fn update_tracker(
    State(app): State<AppState>,
    ProjectId(project_id): ProjectId,
    RequestBody(body): RequestBody,
) -> Result<Response, CtsError> {
    let answer = |error| app.rules.answer(error);
    let request = if app.rules.account_rules() {
        validate::update_request(&body, &app.faults)
    } else {
        validate::update_fields(&body, &app.faults)
    }
    .map_err(answer)?;
    app.store()
        .store_mut()
        .update(&project_id, &request)
        .map_err(answer)?;
    Ok(StatusCode::OK.into_response())
}

/// DeleteTracker: DELETE /v3/{project_id}/trackers -> 204 with an empty body.
pub async fn delete_tracker(
    State(app): State<AppState>,
    ProjectId(project_id): ProjectId,
    QueryPairs(query): QueryPairs,
) -> Result<Response, CtsError> {
    let answer = |error| app.rules.answer(error);
    let target = validate::delete_query(&query, &app.faults).map_err(answer)?;
    app.store()
        .store_mut()
        .delete(&project_id, &target)
        .map_err(answer)?;
    Ok(app
        .faults
        .success_status(StatusCode::NO_CONTENT)
        .into_response())
}

/// ListQuotas: GET /v3/{project_id}/quotas -> 200 with usage and quotas.
pub async fn list_quotas(
    State(app): State<AppState>,
    ProjectId(project_id): ProjectId,
) -> Result<Response, CtsError> {
    let usage = app.store().store().quotas(&project_id);
    Ok(Json(render::quotas(&usage, app.extra_quota_types)).into_response())
}

/// Any path no operation lives at: 404 CTS.0003.
pub async fn unknown_path(uri: Uri) -> CtsError {
    CtsError::UnknownPath(uri.path().to_owned())
}

/// A known path with a method it does not have: 405 CTS.0003.
pub async fn method_not_allowed(method: Method) -> CtsError {
    CtsError::MethodNotAllowed(method.to_string())
}
