//! What the mocked tests share: the recorder of every call, across every client.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

// --- the recorder: every call, across every client, in order -------------------------

/// Records the name of every operation any client sends, in order.
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    #[allow(dead_code)]
    pub fn count(&self, op: &str) -> usize {
        self.list().iter().filter(|c| *c == op).count()
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "call recorder"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_else(|| "?".to_owned());
        self.0.lock().unwrap().push(name);
        Ok(())
    }
}
