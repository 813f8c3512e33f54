//! The idempotency key of a booking: what makes a retried invocation book once, while a
//! new request books anew.
//!
//! Bedrock may invoke the Lambda more than once for one model decision (a retry after a
//! timeout or a throttled invocation). Such a retry carries the same session, function,
//! arguments and user turn. A *new* booking differs in at least one of them: other dates,
//! another employee, or at least another user turn. The key is therefore a SHA-256 over,
//! length-prefixed so no two field lists collide:
//!
//! 1. a version tag (`booking/v1`), so the derivation can change without colliding;
//! 2. the table: DynamoDB remembers client tokens per account and region, not per table,
//!    so two deployments (or test tables) sharing an account must not share keys;
//! 3. `sessionId`: keys never match across conversations;
//! 4. the function's canonical name (an alias books under the same key);
//! 5. the normalized arguments: the employee id and both dates in canonical form, so
//!    text differences the parsers already reject cannot split one request in two;
//! 6. the turn: the application's per-turn id when it sets the prompt session attribute
//!    [`TURN_ID_ATTRIBUTE`] (exact), otherwise a SHA-256 of the user's `inputText`, so
//!    the words stay out of the key and out of any log.
//!
//! Without a turn id, a user who repeats the very same sentence in the same session for
//! the same dates gets the same key: if the first booking still stands, the answer is that
//! booking (one booking, as intended); if it was cancelled in between, the same
//! reservation id is booked again as a new incarnation (see [`store::Store::reserve`]),
//! charged once, and answered as the booking it is.

use domain::{DateRange, EmployeeId, IdempotencyKey};
use sha2::{Digest, Sha256};

use crate::event::Attributes;

/// The prompt session attribute an application may set to a unique id per user turn.
pub const TURN_ID_ATTRIBUTE: &str = "turnId";

/// What identifies the user's turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn<'a> {
    /// The application's turn id.
    Id(&'a str),
    /// The user's words (hashed, never stored).
    Input(&'a str),
}

impl<'a> Turn<'a> {
    /// The turn id when the application set one, otherwise the input text (empty if none).
    pub fn of(prompt_attributes: &'a Attributes, input_text: Option<&'a str>) -> Self {
        match prompt_attributes.get(TURN_ID_ATTRIBUTE) {
            Some(id) if !id.is_empty() => Self::Id(id),
            _ => Self::Input(input_text.unwrap_or_default()),
        }
    }
}

/// The key of booking `range` for `employee` in `table` through `function`, in
/// `session_id`'s `turn`.
pub fn booking_key(
    table: &str,
    session_id: &str,
    function: &str,
    employee: EmployeeId,
    range: &DateRange,
    turn: Turn<'_>,
) -> IdempotencyKey {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(b"booking/v1");
    field(table.as_bytes());
    field(session_id.as_bytes());
    field(function.as_bytes());
    field(employee.to_string().as_bytes());
    field(range.start().format("%Y-%m-%d").to_string().as_bytes());
    field(range.end().format("%Y-%m-%d").to_string().as_bytes());
    match turn {
        Turn::Id(id) => {
            field(b"turn-id");
            field(id.as_bytes());
        }
        Turn::Input(text) => {
            field(b"input-sha256");
            field(&Sha256::digest(text.as_bytes()));
        }
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    // 64 lowercase hex characters: always a valid key.
    IdempotencyKey::new(hex).unwrap_or_else(|_| unreachable!("64 hex characters are a valid key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(a: &str, b: &str) -> DateRange {
        DateRange::parse(a, b).unwrap()
    }

    fn key(session: &str, employee: u32, r: (&str, &str), turn: Turn<'_>) -> IdempotencyKey {
        booking_key(
            "vacations",
            session,
            "reserve_vacation_time",
            EmployeeId::new(employee).unwrap(),
            &range(r.0, r.1),
            turn,
        )
    }

    const DATES: (&str, &str) = ("2026-01-24", "2026-01-26");

    #[test]
    fn a_retry_gets_the_same_key() {
        let said = Turn::Input("Book 24 to 26 January");
        assert_eq!(key("s1", 2, DATES, said), key("s1", 2, DATES, said));
    }

    #[test]
    fn anything_that_makes_a_new_request_changes_the_key() {
        let said = Turn::Input("Book 24 to 26 January");
        let base = key("s1", 2, DATES, said);
        assert_ne!(base, key("s2", 2, DATES, said));
        assert_ne!(base, key("s1", 3, DATES, said));
        assert_ne!(base, key("s1", 2, ("2026-01-24", "2026-01-27"), said));
        assert_ne!(base, key("s1", 2, DATES, Turn::Input("Yes, book it")));
        assert_ne!(base, key("s1", 2, DATES, Turn::Id("Book 24 to 26 January")));
        let other_function = booking_key(
            "vacations",
            "s1",
            "another_function",
            EmployeeId::new(2).unwrap(),
            &range(DATES.0, DATES.1),
            said,
        );
        assert_ne!(base, other_function);
        let other_table = booking_key(
            "vacations-staging",
            "s1",
            "reserve_vacation_time",
            EmployeeId::new(2).unwrap(),
            &range(DATES.0, DATES.1),
            said,
        );
        assert_ne!(base, other_table);
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let said = Turn::Input("x");
        let a = booking_key(
            "t",
            "ab",
            "c",
            EmployeeId::new(1).unwrap(),
            &range(DATES.0, DATES.1),
            said,
        );
        let b = booking_key(
            "t",
            "a",
            "bc",
            EmployeeId::new(1).unwrap(),
            &range(DATES.0, DATES.1),
            said,
        );
        assert_ne!(a, b);
    }

    #[test]
    fn the_turn_id_wins_over_the_input_text() {
        let attributes = Attributes::from([(TURN_ID_ATTRIBUTE.to_owned(), "t-42".to_owned())]);
        assert_eq!(Turn::of(&attributes, Some("hello")), Turn::Id("t-42"));
        let empty = Attributes::from([(TURN_ID_ATTRIBUTE.to_owned(), String::new())]);
        assert_eq!(Turn::of(&empty, Some("hello")), Turn::Input("hello"));
        assert_eq!(Turn::of(&Attributes::new(), None), Turn::Input(""));
    }

    #[test]
    fn the_key_holds_no_user_text() {
        let k = key("s1", 2, DATES, Turn::Input("my name is Jane Doe"));
        assert_eq!(k.as_str().len(), 64);
        assert!(k.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
