//! The reference emulator of the CTS v3 tracker API: a real HTTP server (axum on
//! tokio) that answers CreateTracker, ListTrackers, UpdateTracker, DeleteTracker and
//! ListQuotas as the contract (`schemas/cts-v3.openapi.json`) and api-facts describe,
//! with per-project state and CTS error bodies, and never a 5xx on bad input.
//!
//! Layout, one idea a file: [`model`] (the vocabulary), [`validate`] (request ->
//! validated request or CTS error, pure), [`store`] (per-project state, pure),
//! [`account`] (the bucket rules of a real account), [`preload`] (trackers present
//! at start), [`gateway`] (the API gateway's 401/429 answers and the throttle),
//! [`render`] (state -> JSON, the one place a tracker is rendered), [`error`]
//! (CTS errors), [`handlers`] (one per operation), [`listing`] (the store behind its
//! lock, with ListTrackers answers rendered once per state), [`guard`] (body cap and
//! authentication of every request), [`auth_policy`] (who may call: accounts,
//! tokens, 401/403 answers), [`access`] (request ids and the access log), [`fault`]
//! (fault modes that break the contract on purpose; none by default), [`server`]
//! (serving on the network with timeouts, a connection cap and a body budget), [`rules`] (a
//! real account's rules or the two documents' only).
//!
//! Entry points: [`router`] (an `axum::Router` with fresh state), [`start`] (spawned
//! on the current runtime, for tests and the embedded run) and [`serve`] (standalone).

pub mod access;
pub mod account;
pub mod auth_policy;
pub mod error;
pub mod fault;
pub mod gateway;
pub mod guard;
pub mod handlers;
pub mod listing;
pub mod model;
pub mod preload;
pub mod render;
pub mod rules;
pub mod server;
pub mod store;
pub mod validate;
pub mod violations;

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use access::AccessLog;
pub use auth_policy::{Account, AuthPolicy, PolicyFlags, Token};
pub use fault::{Fault, FaultSet};
use guard::GuardConfig;
use handlers::AppState;
pub use preload::Preload;
pub use rules::Rules;
use store::Store;

/// The account id trackers report when none is configured (32 hex digits, like a real one).
pub const DEFAULT_DOMAIN_ID: &str = "c7f0e5a1d2b34c6f8e9a0b1c2d3e4f5a";

/// How the emulator behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// The account id (`domain_id`) of every tracker created.
    pub domain_id: String,
    /// Largest request body accepted; larger ones get 400 CTS.0003 (default 1 MiB).
    pub max_body_bytes: usize,
    /// One access-log line per request to stderr.
    pub verbose: bool,
    /// Data trackers allowed per project (default 100); the management tracker is
    /// always limited to one.
    pub data_tracker_quota: u32,
    /// Who may call: AK/SK accounts and tokens, each granting a project. `None`
    /// (the default) accepts every request, signed or not.
    pub auth: Option<AuthPolicy>,
    /// Fault modes switched on (default none): each breaks the contract in one
    /// known way, to test the harness's power to detect it ([`fault`]).
    pub faults: FaultSet,
    /// The OBS buckets that exist. `None` (the default): every valid name exists.
    /// `Some(set)`: only these; a tracked or transfer bucket outside the set gets
    /// 400 CTS.0211, and a transfer bucket made with `is_obs_created: true` joins it.
    pub buckets: Option<BTreeSet<String>>,
    /// Trackers present at start, per project (default none).
    pub preload: Preload,
    /// Requests per second per credential; past it, 429 APIGW.0308 from the
    /// gateway (default: no limit).
    pub rate_limit: Option<u32>,
    /// Authentication failures answered as the API gateway does (401 APIGW.0301
    /// with `request_id`, `Server: api-gateway`) instead of 401 CTS.0002.
    pub gateway_errors: bool,
    /// ListQuotas also lists a further quota type (`smn_notification`), as a real
    /// account may (default off).
    pub extra_quota_types: bool,
    /// Which fields trackers carry (default: the documents' examples'; `--cloud`:
    /// every field of the official SDK's response models).
    pub fields: render::Fields,
    /// `serve --violations FILE`: every request is judged against the contract's
    /// request side and each violation written here ([`violations`]).
    pub violations: Option<crate::violations::ViolationSink>,
    /// `serve --strict-requests`: a violating request that passed authentication is
    /// answered 400 (CTS.0003).
    pub strict_requests: bool,
    /// `serve --latency MS`: every answer is held this long after the request was
    /// handled (default none), as a slow service's: its effect comes before its answer.
    pub latency: Option<std::time::Duration>,
    /// Timeouts, the connection cap and the body budget ([`server`]); the body timeout
    /// and budget apply wherever the emulator runs, the rest to [`serve`].
    pub limits: server::ServerLimits,
    /// Which rules hold (default: a real account's; `serve --documents-only`: the
    /// two documents' only, [`rules`]).
    pub rules: Rules,
}

impl Default for EmulatorConfig {
    /// [`DEFAULT_DOMAIN_ID`], 1 MiB bodies, quiet, quota 100, no authentication, no fault.
    fn default() -> Self {
        Self {
            domain_id: DEFAULT_DOMAIN_ID.to_owned(),
            max_body_bytes: 1024 * 1024,
            verbose: false,
            data_tracker_quota: 100,
            auth: None,
            faults: FaultSet::none(),
            buckets: None,
            preload: Preload::none(),
            rate_limit: None,
            gateway_errors: false,
            extra_quota_types: false,
            fields: render::Fields::Examples,
            violations: None,
            strict_requests: false,
            latency: None,
            limits: server::ServerLimits::default(),
            rules: Rules::Account,
        }
    }
}

/// The rate limit of [`EmulatorConfig::cloud`], in requests per second per credential.
pub const CLOUD_RATE_LIMIT: u32 = 100;

impl EmulatorConfig {
    /// "Like a real account" (`serve --cloud`): gateway errors, a management tracker
    /// already present in each of `projects`, [`CLOUD_RATE_LIMIT`] requests per second,
    /// and the further quota type in ListQuotas. Buckets, credentials and the rest
    /// stay at their defaults (`serve` sets buckets from `--bucket`).
    pub fn cloud<'a>(projects: impl IntoIterator<Item = &'a str>) -> Self {
        let defaults = Self::default();
        Self {
            preload: Preload::management_trackers(projects, &defaults.domain_id),
            rate_limit: Some(CLOUD_RATE_LIMIT),
            gateway_errors: true,
            extra_quota_types: true,
            fields: render::Fields::Sdk,
            ..defaults
        }
    }

    /// One line: how much like a real account this emulator is (printed by `serve`).
    pub fn account_summary(&self) -> String {
        let buckets = match &self.buckets {
            None => "every valid bucket name exists".to_owned(),
            Some(names) => format!("{} bucket(s) exist", names.len()),
        };
        let rate = self.rate_limit.map_or_else(
            || "no rate limit".to_owned(),
            |n| format!("at most {n} requests/s per credential"),
        );
        let gateway = if self.gateway_errors {
            "gateway-shaped 401/429"
        } else {
            "CTS-shaped 401"
        };
        let preloaded = if self.preload.is_empty() {
            "no preloaded tracker"
        } else {
            "trackers preloaded"
        };
        format!("account: {buckets}; {rate}; {gateway}; {preloaded}")
    }
}

/// The emulator as an `axum::Router` with fresh, empty state. Every request passes
/// one layer, the [`guard`]'s gate: request id and access log ([`access`]), then the
/// request judge ([`violations`], only with `violations` or `strict_requests`; before
/// the guard, so the signing faults it refuses are reported too), then the body cap
/// and authentication check; then a handler or the CTS 404/405 fallbacks. Faults that
/// change every response ([`fault::wire`]) wrap the whole stack.
pub fn router(config: EmulatorConfig) -> Router {
    let faults = config.faults;
    let buckets = match config.buckets {
        Some(names) => account::Buckets::listed(names),
        None => account::Buckets::any(),
    };
    let mut store = Store::with_faults(config.data_tracker_quota, faults.clone())
        .with_buckets(buckets)
        .with_rules(config.rules);
    for (project_id, trackers) in config.preload.trackers(&config.domain_id) {
        store.preload(project_id, trackers);
    }
    let state = AppState {
        store: Arc::new(Mutex::new(
            listing::SharedStore::new(store).with_fields(config.fields),
        )),
        domain_id: Arc::from(config.domain_id.as_str()),
        faults: Arc::new(faults.clone()),
        extra_quota_types: config.extra_quota_types,
        rules: config.rules,
        fields: config.fields,
    };
    let guard_config = GuardConfig {
        max_body_bytes: config.max_body_bytes,
        auth: config
            .auth
            .filter(|_| !faults.has(Fault::AuthOff))
            .map(Arc::new),
        throttle: config
            .rate_limit
            .map(|limit| Arc::new(gateway::Throttle::new(limit))),
        gateway_errors: config.gateway_errors,
    };
    let violation_layer = violations::ViolationLayer {
        credentials: Arc::new(guard_config.auth.as_ref().map_or_else(Vec::new, |p| {
            p.accounts().iter().map(|a| a.credentials.clone()).collect()
        })),
        require_credentials: guard_config.auth.is_some(),
        max_body_bytes: config.max_body_bytes,
        strict: config.strict_requests,
        sink: config.violations,
    };
    let gate = guard::Gate {
        access: AccessLog {
            verbose: config.verbose,
        },
        // Decided here, once: without a sink or strictness no request is judged.
        judge: violation_layer.is_on().then_some(violation_layer),
        body: server::BodyLimits::new(config.max_body_bytes, &config.limits),
        guard: guard_config,
    };
    let router = Router::new()
        .route(
            "/v3/{project_id}/tracker",
            post(handlers::create_tracker).put(handlers::update_tracker),
        )
        .route(
            "/v3/{project_id}/trackers",
            get(handlers::list_trackers).delete(handlers::delete_tracker),
        )
        .route("/v3/{project_id}/quotas", get(handlers::list_quotas))
        .fallback(handlers::unknown_path)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .with_state(state)
        // One layer: every layer added to a Router wraps (and clones, per request)
        // each route once more. The gate has already enforced `max_body_bytes`, and
        // the handlers read bodies without axum's default limit.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(gate),
            guard::gate,
        ));
    let router = if faults.changes_the_wire() {
        router.layer(axum::middleware::map_response_with_state(
            faults,
            fault::wire,
        ))
    } else {
        router
    };
    match config.latency {
        Some(latency) => router.layer(axum::middleware::map_response(
            move |response: axum::response::Response| async move {
                tokio::time::sleep(latency).await;
                response
            },
        )),
        None => router,
    }
}

/// An axum server running in the background on the current tokio runtime: the
/// emulator ([`start`]) and the validating proxy (`crate::proxy::start`) alike.
/// Dropping it without [`RunningServer::shutdown`] also stops the server, without waiting.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// The emulator running in the background.
pub type RunningEmulator = RunningServer;

impl RunningServer {
    /// Binds `listen` (port 0 picks a free port) and serves `app` until shut down.
    pub async fn spawn(app: Router, listen: SocketAddr) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    // A dropped sender also means stop.
                    let _ = stopped.await;
                })
                .await
        });
        Ok(RunningServer {
            addr,
            shutdown,
            task,
        })
    }

    /// The address it listens on (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for
    /// the server task to end.
    pub async fn shutdown(self) {
        // The receiver is gone only if the server already stopped.
        let _ = self.shutdown.send(());
        if let Ok(Err(error)) = self.task.await {
            eprintln!("cts-conform: server error at shutdown: {error}");
        }
    }
}

/// Binds `listen` (port 0 picks a free port) and runs a fresh emulator on the
/// current tokio runtime until [`RunningServer::shutdown`].
pub async fn start(config: EmulatorConfig, listen: SocketAddr) -> std::io::Result<RunningEmulator> {
    RunningServer::spawn(router(config), listen).await
}

/// Runs a fresh emulator standalone: binds `listen`, prints one line
/// `listening on http://ADDR` to stderr, serves within `config.limits` until `shutdown`
/// resolves, then drains ([`server::serve`]). With `config.verbose`, one access-log
/// line per request.
pub async fn serve(
    config: EmulatorConfig,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = config.limits.clone();
    server::serve(router(config), listen, &limits, shutdown).await
}
