//! The streamable HTTP service: rmcp's service at `/mcp`, behind the bearer-token check.

use std::sync::Arc;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::auth::Verifier;
use crate::server::HrServer;

/// Which `Host` headers the HTTP server answers (against DNS rebinding of a local server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    /// `localhost`, `127.0.0.1` and `::1`, on any port.
    Loopback,
    /// Only these.
    These(Vec<String>),
    /// Any (a server on the network, where every request carries a verified token).
    Any,
}

/// The streamable HTTP service at `/mcp`, behind the bearer-token check when `verifier`
/// is given; `shutdown` ends its sessions.
pub fn router(
    server: HrServer,
    verifier: Option<Arc<Verifier>>,
    hosts: AllowedHosts,
    shutdown: tokio_util::sync::CancellationToken,
) -> axum::Router {
    let config = StreamableHttpServerConfig::default()
        .with_sse_keep_alive(None)
        .with_cancellation_token(shutdown);
    let config = match hosts {
        AllowedHosts::Loopback => config,
        AllowedHosts::These(hosts) => config.with_allowed_hosts(hosts),
        AllowedHosts::Any => config.disable_allowed_hosts(),
    };
    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let app = axum::Router::new().route_service("/mcp", mcp);
    match verifier {
        Some(verifier) => app.layer(axum::middleware::from_fn_with_state(
            verifier,
            crate::auth::require_bearer,
        )),
        None => app,
    }
}
