//! Workarounds for the ministack emulator, compiled only with the `emulator-quirks`
//! feature, which only this crate's tests enable (through its dev-dependency on itself).
//! A release build cannot carry them; a test build installs them only when asked
//! (`PROVISIONER_EMULATOR_QUIRKS=ministack`).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// ministack routes `CreateAgent` and `ListAgents` only at `/agents/` (the API model's
/// path), while the Rust SDK sends `/agents`: this adds the slash back, before signing.
#[derive(Debug, Clone, Copy)]
pub struct AgentsTrailingSlash;

impl Intercept for AgentsTrailingSlash {
    fn name(&self) -> &'static str {
        "ministack /agents/ path"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(fixed) = with_trailing_slash(request.uri()) {
            request.set_uri(fixed)?;
        }
        Ok(())
    }
}

/// `http://host/agents` or `http://host/agents?x` → with `/agents/`; anything else: `None`.
fn with_trailing_slash(uri: &str) -> Option<String> {
    let (before_query, query) = match uri.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (uri, None),
    };
    let base = before_query.strip_suffix("/agents")?;
    let mut fixed = format!("{base}/agents/");
    if let Some(q) = query {
        fixed.push('?');
        fixed.push_str(q);
    }
    Some(fixed)
}

#[cfg(test)]
mod tests {
    use super::with_trailing_slash;

    #[test]
    fn only_the_bare_agents_path_gets_a_slash() {
        assert_eq!(
            with_trailing_slash("http://127.0.0.1:4566/agents").as_deref(),
            Some("http://127.0.0.1:4566/agents/")
        );
        assert_eq!(
            with_trailing_slash("http://h/agents?maxResults=10").as_deref(),
            Some("http://h/agents/?maxResults=10")
        );
        assert_eq!(with_trailing_slash("http://h/agents/AB12/"), None);
        assert_eq!(
            with_trailing_slash("http://h/agents/AB12/agentaliases/"),
            None
        );
    }
}
