//! Where a call came from: what its history entry records as the request, and what the
//! idempotency key of a booking is derived from, per transport.
//!
//! A key makes a retried call book once while a new request books anew. It is a SHA-256,
//! length-prefixed so no two field lists collide, always over a version tag (so the
//! derivation can change without colliding) and the table (DynamoDB remembers client
//! tokens per account and region, not per table, so two deployments sharing an account
//! must not share keys), then:
//!
//! **Bedrock Agents Classic** (`booking/v1`). Bedrock may invoke the Lambda more than once
//! for one model decision (a retry after a timeout or a throttled invocation). Such a retry
//! carries the same session, function, arguments and user turn; a *new* booking differs in
//! at least one of them. So: `sessionId` (keys never match across conversations), the
//! function's canonical name (an alias books under the same key), the normalized arguments
//! (employee id and both dates in canonical form), and the turn: the application's
//! per-turn id when it sets the prompt session attribute [`TURN_ID_ATTRIBUTE`] (exact),
//! otherwise a SHA-256 of the user's `inputText`, so the words stay out of the key and out
//! of any log. Without a turn id, a user who repeats the very same sentence in the same
//! session for the same dates gets the same key: if the first booking still stands, the
//! answer is that booking; if it was cancelled in between, the same reservation id is
//! booked again as a new incarnation (see [`store::Store::reserve`]), charged once.
//!
//! **AgentCore Gateway and MCP** (`booking/range/v1`): the employee and both dates only.
//! Neither carries a conversation or turn the key could rest on: the Gateway's
//! `bedrockAgentCoreMcpMessageId` is not documented to survive a client's retry
//! (*unconfirmed*), and an MCP client may resend a call under a new JSON-RPC id. So a
//! booking of the same range for the same employee, while it stands, is answered as that
//! booking and never charged twice, whoever repeats it and however often; after a
//! cancellation the same range books again, as a new incarnation.

use domain::{DateRange, EmployeeId, IdempotencyKey};
use sha2::{Digest, Sha256};

/// The prompt session attribute an application may set to a unique id per user turn.
pub const TURN_ID_ATTRIBUTE: &str = "turnId";

/// What identifies the user's turn in a Classic session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// The application's turn id.
    Id(String),
    /// The SHA-256 of the user's words (the words themselves are never kept).
    Input([u8; 32]),
}

impl Turn {
    /// The turn id when the application set one, otherwise the input text (empty if none).
    pub fn of(turn_id: Option<&str>, input_text: Option<&str>) -> Self {
        match turn_id {
            Some(id) if !id.is_empty() => Self::Id(id.to_owned()),
            _ => Self::Input(Sha256::digest(input_text.unwrap_or_default().as_bytes()).into()),
        }
    }
}

/// The transport a call came through, and what identifies it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallContext {
    /// Bedrock Agents Classic: the agent session and the user's turn.
    Classic {
        /// `sessionId`.
        session_id: String,
        /// The turn.
        turn: Turn,
    },
    /// An AgentCore Gateway's Lambda target.
    Gateway {
        /// `bedrockAgentCoreGatewayId`.
        gateway_id: String,
        /// `bedrockAgentCoreAwsRequestId` (or the Lambda's request id when absent).
        request_id: String,
    },
    /// Our MCP server.
    Mcp {
        /// `stdio` or `http`.
        channel: McpChannel,
        /// What identifies the connection or request there (a session id, a JSON-RPC id).
        request_id: String,
    },
}

/// How an MCP client reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpChannel {
    /// A local process speaking over stdin and stdout.
    Stdio,
    /// Streamable HTTP.
    Http,
}

impl McpChannel {
    /// The transport's name, for log lines and history requests.
    pub fn transport(self) -> &'static str {
        match self {
            Self::Stdio => "mcp-stdio",
            Self::Http => "mcp-http",
        }
    }
}

impl CallContext {
    /// The transport's name, for log lines.
    pub fn transport(&self) -> &'static str {
        match self {
            Self::Classic { .. } => "classic",
            Self::Gateway { .. } => "gateway",
            Self::Mcp { channel, .. } => channel.transport(),
        }
    }

    /// The request a history entry records (ids only, never words).
    pub fn request(&self) -> String {
        match self {
            Self::Classic { session_id, .. } => format!("bedrock-session:{session_id}"),
            Self::Gateway {
                gateway_id,
                request_id,
            } => format!("agentcore-gateway:{gateway_id}/{request_id}"),
            Self::Mcp { request_id, .. } => format!("{}:{request_id}", self.transport()),
        }
    }

    /// The key of booking `range` for `employee` in `table` through the tool `function`.
    pub fn booking_key(
        &self,
        table: &str,
        function: &str,
        employee: EmployeeId,
        range: &DateRange,
    ) -> IdempotencyKey {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        };
        let dates = |field: &mut dyn FnMut(&[u8])| {
            field(employee.to_string().as_bytes());
            field(range.start().format("%Y-%m-%d").to_string().as_bytes());
            field(range.end().format("%Y-%m-%d").to_string().as_bytes());
        };
        match self {
            Self::Classic { session_id, turn } => {
                field(b"booking/v1");
                field(table.as_bytes());
                field(session_id.as_bytes());
                field(function.as_bytes());
                dates(&mut field);
                match turn {
                    Turn::Id(id) => {
                        field(b"turn-id");
                        field(id.as_bytes());
                    }
                    Turn::Input(digest) => {
                        field(b"input-sha256");
                        field(digest);
                    }
                }
            }
            Self::Gateway { .. } | Self::Mcp { .. } => {
                field(b"booking/range/v1");
                field(table.as_bytes());
                dates(&mut field);
            }
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        // 64 lowercase hex characters: always a valid key.
        IdempotencyKey::new(hex)
            .unwrap_or_else(|_| unreachable!("64 hex characters are a valid key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(a: &str, b: &str) -> DateRange {
        DateRange::parse(a, b).unwrap()
    }

    fn classic(session: &str, turn: Turn) -> CallContext {
        CallContext::Classic {
            session_id: session.to_owned(),
            turn,
        }
    }

    fn said(text: &str) -> Turn {
        Turn::of(None, Some(text))
    }

    fn key(context: &CallContext, employee: u32, r: (&str, &str)) -> IdempotencyKey {
        context.booking_key(
            "vacations",
            "reserve_vacation_time",
            EmployeeId::new(employee).unwrap(),
            &range(r.0, r.1),
        )
    }

    const DATES: (&str, &str) = ("2026-01-24", "2026-01-26");

    /// The derivations are fixed: a changed key would let a retry across a deployment
    /// book twice. The expected values were computed independently of this code.
    #[test]
    fn the_keys_are_the_documented_derivations() {
        let k = key(&classic("s1", said("Book 24 to 26 January")), 2, DATES);
        assert_eq!(
            k.as_str(),
            "4b170ab71f9bbaa9c73012a4e3f4ef06f5af74d74dd980c8fba5a3b75ff57b29"
        );
        let gateway = CallContext::Gateway {
            gateway_id: "gw".into(),
            request_id: "r1".into(),
        };
        assert_eq!(
            key(&gateway, 2, DATES).as_str(),
            "bdc9fa39c4d94c535413c0a5210d46f707301fd23dd824454df5ac798ae01404"
        );
    }

    #[test]
    fn a_retry_gets_the_same_key() {
        let context = classic("s1", said("Book 24 to 26 January"));
        assert_eq!(key(&context, 2, DATES), key(&context.clone(), 2, DATES));
    }

    #[test]
    fn anything_that_makes_a_new_classic_request_changes_the_key() {
        let base = key(&classic("s1", said("Book 24 to 26 January")), 2, DATES);
        assert_ne!(
            base,
            key(&classic("s2", said("Book 24 to 26 January")), 2, DATES)
        );
        assert_ne!(
            base,
            key(&classic("s1", said("Book 24 to 26 January")), 3, DATES)
        );
        assert_ne!(
            base,
            key(
                &classic("s1", said("Book 24 to 26 January")),
                2,
                ("2026-01-24", "2026-01-27")
            )
        );
        assert_ne!(base, key(&classic("s1", said("Yes, book it")), 2, DATES));
        assert_ne!(
            base,
            key(
                &classic("s1", Turn::of(Some("Book 24 to 26 January"), None)),
                2,
                DATES
            )
        );
        let context = classic("s1", said("Book 24 to 26 January"));
        let employee = EmployeeId::new(2).unwrap();
        let dates = range(DATES.0, DATES.1);
        assert_ne!(
            base,
            context.booking_key("vacations", "another_function", employee, &dates)
        );
        assert_ne!(
            base,
            context.booking_key(
                "vacations-staging",
                "reserve_vacation_time",
                employee,
                &dates
            )
        );
    }

    /// Over the Gateway and MCP a booking is keyed by what it books: any repeat of it is
    /// the same booking, whoever sends it; other days or another employee are not.
    #[test]
    fn gateway_and_mcp_keys_are_the_employee_and_the_range() {
        let gateway = |request: &str| CallContext::Gateway {
            gateway_id: "gw".into(),
            request_id: request.into(),
        };
        let mcp = |channel, request: &str| CallContext::Mcp {
            channel,
            request_id: request.into(),
        };
        let base = key(&gateway("r1"), 2, DATES);
        assert_eq!(base, key(&gateway("r2"), 2, DATES));
        assert_eq!(base, key(&mcp(McpChannel::Stdio, "1"), 2, DATES));
        assert_eq!(base, key(&mcp(McpChannel::Http, "9"), 2, DATES));
        assert_ne!(base, key(&gateway("r1"), 3, DATES));
        assert_ne!(base, key(&gateway("r1"), 2, ("2026-01-24", "2026-01-25")));
        assert_ne!(base, key(&classic("r1", said("")), 2, DATES));
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let dates = range(DATES.0, DATES.1);
        let employee = EmployeeId::new(1).unwrap();
        let a = classic("ab", said("x")).booking_key("t", "c", employee, &dates);
        let b = classic("a", said("x")).booking_key("t", "bc", employee, &dates);
        assert_ne!(a, b);
    }

    #[test]
    fn the_turn_id_wins_over_the_input_text() {
        assert_eq!(
            Turn::of(Some("t-42"), Some("hello")),
            Turn::Id("t-42".into())
        );
        assert_eq!(Turn::of(Some(""), Some("hello")), said("hello"));
        assert_eq!(Turn::of(None, None), said(""));
    }

    #[test]
    fn keys_and_requests_hold_no_user_text() {
        let context = classic("s1", said("my name is Jane Doe"));
        let k = key(&context, 2, DATES);
        assert_eq!(k.as_str().len(), 64);
        assert!(k.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(context.request(), "bedrock-session:s1");
        assert!(!format!("{context:?}").contains("Jane"));
    }
}
