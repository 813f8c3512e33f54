//! The AgentCore Gateway's REQUEST interceptor: the one place where the signed-in user
//! reaches our tools in a way the model cannot change.
//!
//! The gateway calls it before every request it forwards, with the request's headers
//! (the interceptor is configured with `passRequestHeaders: true`) and its JSON-RPC body:
//!
//! ```json
//! {"interceptorInputVersion": "1.0",
//!  "mcp": {"gatewayRequest": {"headers": {"Authorization": "Bearer …"},
//!          "body": {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
//!                   "params": {"name": "vacations___reserve_vacation_time", "arguments": {…}}}}}}
//! ```
//!
//! On `tools/call` it reads the bearer token's claims, maps them to the caller with the
//! configured [`tools::ClaimMapping`], and writes the caller into the arguments as
//! `_caller`, replacing any `_caller` the client sent. A call with no usable identity is
//! answered at once (`transformedGatewayResponse`) with an MCP tool result marked
//! `isError`, carrying the same message every transport gives. Every other method passes
//! through unchanged.
//!
//! The token's signature is *not* checked here: the gateway's `CUSTOM_JWT` authorizer
//! has verified it (signature, expiry, audience or client) before any interceptor runs,
//! so this function must only ever be attached to a gateway with that authorizer.

use base64::Engine;
use serde_json::{json, Map, Value};
use tools::caller::RESERVED_ARGUMENT;
use tools::{outcome, Caller, IdentityError, Outcome};

use crate::Handler;

/// The output version the gateway expects.
pub const OUTPUT_VERSION: &str = "1.0";

/// Whether `event` is a REQUEST interceptor's (`mcp.gatewayRequest`).
pub fn is_interceptor_event(event: &Value) -> bool {
    event
        .get("mcp")
        .and_then(|mcp| mcp.get("gatewayRequest"))
        .is_some_and(Value::is_object)
}

impl Handler {
    /// Answers a REQUEST interceptor event: the request to forward, or the answer to give
    /// at once.
    pub(crate) fn intercept(&self, event: Value) -> Value {
        let request = &event["mcp"]["gatewayRequest"];
        let body = request.get("body").cloned().unwrap_or(Value::Null);
        let method = body
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if method != "tools/call" {
            tracing::info!(method = domain::bounded(method, 64), "passed through");
            return forward(body);
        }
        let caller = bearer_token(request.get("headers"))
            .ok_or(IdentityError::Missing)
            .and_then(|token| {
                claims(token).ok_or(IdentityError::Invalid("the bearer token cannot be read"))
            })
            .and_then(|claims| self.settings.claims.caller(&claims));
        match caller.and_then(|caller| with_caller(body.clone(), caller)) {
            Ok(body) => {
                let reserved = &body["params"]["arguments"][RESERVED_ARGUMENT];
                tracing::info!(
                    method,
                    caller_id = reserved["employeeId"].as_str(),
                    caller_role = reserved["role"].as_str(),
                    "caller added"
                );
                forward(body)
            }
            Err(e) => {
                tracing::info!(method, outcome = %e, "refused");
                answer(&body, &outcome::unidentified(&e))
            }
        }
    }
}

/// The request to forward.
fn forward(body: Value) -> Value {
    json!({
        "interceptorOutputVersion": OUTPUT_VERSION,
        "mcp": {"transformedGatewayRequest": {"body": body}},
    })
}

/// The answer the gateway gives at once: a JSON-RPC result holding an MCP tool result
/// marked as an error, whose text is the outcome's body.
fn answer(request: &Value, outcome: &Outcome) -> Value {
    let result = json!({
        "content": [{"type": "text", "text": outcome.to_json_text()}],
        "structuredContent": Value::Object(outcome.body.clone()),
        "isError": true,
    });
    json!({
        "interceptorOutputVersion": OUTPUT_VERSION,
        "mcp": {"transformedGatewayResponse": {
            "statusCode": 200,
            "body": {"jsonrpc": "2.0", "id": request.get("id").cloned().unwrap_or(Value::Null), "result": result},
        }},
    })
}

/// `body` with `caller` as its arguments' `_caller`, replacing any the client sent.
fn with_caller(mut body: Value, caller: Caller) -> Result<Value, IdentityError> {
    let reserved = caller.reserved().ok_or(IdentityError::Missing)?;
    let params = body
        .get_mut("params")
        .and_then(Value::as_object_mut)
        .ok_or(IdentityError::Invalid("the call has no params"))?;
    let arguments = params
        .entry("arguments")
        .or_insert_with(|| Value::Object(Map::new()));
    let arguments = arguments.as_object_mut().ok_or(IdentityError::Invalid(
        "the call's arguments are not an object",
    ))?;
    arguments.insert(RESERVED_ARGUMENT.to_owned(), reserved);
    Ok(body)
}

/// The bearer token of the `Authorization` header (its name in any case; the value with or
/// without the `Bearer ` scheme, which the gateway's documentation shows both ways).
fn bearer_token(headers: Option<&Value>) -> Option<&str> {
    let value = headers?
        .as_object()?
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))?
        .1
        .as_str()?
        .trim();
    let token = match value.split_once(char::is_whitespace) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        Some(_) => return None,
        None if value.eq_ignore_ascii_case("bearer") => "",
        None => value,
    };
    (!token.is_empty()).then_some(token)
}

/// The claims of a JWT, read without checking its signature (the gateway did).
fn claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: Value) -> String {
        let part = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        format!("{}.{}.sig", part(&json!({"alg": "RS256"})), part(&claims))
    }

    #[test]
    fn the_bearer_token_is_found_in_any_case_with_or_without_its_scheme() {
        let t = token(json!({"custom:employee_id": "2"}));
        for headers in [
            json!({"Authorization": format!("Bearer {t}")}),
            json!({"authorization": format!("bearer {t}")}),
            json!({"AUTHORIZATION": t.clone()}),
        ] {
            let found = bearer_token(Some(&headers)).unwrap();
            assert_eq!(claims(found).unwrap()["custom:employee_id"], "2");
        }
        assert_eq!(
            bearer_token(Some(&json!({"Authorization": "Basic abc"}))),
            None
        );
        assert_eq!(
            bearer_token(Some(&json!({"Authorization": "Bearer "}))),
            None
        );
        assert_eq!(bearer_token(Some(&json!({}))), None);
        assert_eq!(bearer_token(None), None);
        assert_eq!(claims("not-a-jwt"), None);
    }
}
