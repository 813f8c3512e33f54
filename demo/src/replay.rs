//! The original tutorial's conversation, replayed through [`Handler`] as
//! the function-details events Bedrock would send, and printed readably.
//!
//! The calling application signs the user in (session attributes `role` and `employeeId`),
//! as a real front end would: as the employee, or as an HR user acting for them; the model
//! only supplies the function and its parameters.

use std::io::{self, Write};

use serde_json::{json, Value};

use handler::Handler;
use tools::caller::{EMPLOYEE_ID_ATTRIBUTE, ROLE_ATTRIBUTE};

/// One user turn: what they typed, and the call the model makes of it.
#[derive(Debug, Clone)]
pub struct Turn {
    /// The user's words.
    pub input_text: String,
    /// The function the model chooses.
    pub function: &'static str,
    /// Its parameters: name, declared type, value (always text, as Bedrock sends them).
    pub parameters: Vec<(&'static str, &'static str, String)>,
}

/// The original conversation for `employee`: ask, book `start`..=`end`, ask again.
pub fn conversation(employee: u32, start: &str, end: &str) -> Vec<Turn> {
    let id = || ("employee_id", "integer", employee.to_string());
    let ask = Turn {
        input_text: format!(
            "How much vacation does the employee with employee_id set to {employee} have available?"
        ),
        function: "get_available_vacations_days",
        parameters: vec![id()],
    };
    vec![
        ask.clone(),
        Turn {
            input_text: format!("Book vacation for employee {employee} from {start} to {end}."),
            function: "reserve_vacation_time",
            parameters: vec![
                id(),
                ("start_date", "string", start.to_owned()),
                ("end_date", "string", end.to_owned()),
            ],
        },
        ask,
    ]
}

/// Who is signed in to the demo's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedIn {
    /// The employee themselves.
    Employee(u32),
    /// An HR user (their own id), acting for the employee.
    Hr(u32),
}

impl SignedIn {
    fn attributes(self) -> Value {
        match self {
            Self::Employee(id) => {
                json!({ROLE_ATTRIBUTE: "employee", EMPLOYEE_ID_ATTRIBUTE: id.to_string()})
            }
            Self::Hr(id) => json!({ROLE_ATTRIBUTE: "hr", EMPLOYEE_ID_ATTRIBUTE: id.to_string()}),
        }
    }
}

/// The Bedrock event for `turn`, in `session_id`, signed in as `who`.
pub fn event(turn: &Turn, session_id: &str, who: SignedIn) -> Value {
    let parameters: Vec<Value> = turn
        .parameters
        .iter()
        .map(|(name, kind, value)| json!({"name": name, "type": kind, "value": value}))
        .collect();
    json!({
        "messageVersion": "1.0",
        "agent": {"name": "hr-assistant-function-def", "id": "LOCALDEMO1", "alias": "TSTALIASID", "version": "DRAFT"},
        "inputText": turn.input_text,
        "sessionId": session_id,
        "actionGroup": "VacationsActionGroup",
        "function": turn.function,
        "parameters": parameters,
        "sessionAttributes": who.attributes(),
        "promptSessionAttributes": {},
    })
}

/// What the Lambda answered: the response state (`None` for success) and the body.
pub fn answer(response: &Value) -> (Option<&str>, Value) {
    let function = &response["response"]["functionResponse"];
    let body = function["responseBody"]["TEXT"]["body"]
        .as_str()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    (function["responseState"].as_str(), body)
}

/// Replays `turns` through `handler`, printing each request and answer to `out`, and
/// returns the answers' bodies.
pub async fn replay(
    handler: &Handler,
    turns: &[Turn],
    session_id: &str,
    who: SignedIn,
    out: &mut impl Write,
) -> io::Result<Vec<Value>> {
    let mut bodies = Vec::new();
    for (n, turn) in turns.iter().enumerate() {
        let event = event(turn, session_id, who);
        let call: Vec<String> = turn
            .parameters
            .iter()
            .map(|(name, _, value)| format!("{name}={value}"))
            .collect();
        writeln!(out, "── {}. user: {}", n + 1, turn.input_text)?;
        writeln!(
            out,
            "   agent → Lambda: {}({})",
            turn.function,
            call.join(", ")
        )?;
        let response = handler.handle(event).await;
        let (state, body) = answer(&response);
        writeln!(
            out,
            "   Lambda → agent [{}]: {}",
            state.unwrap_or("success"),
            body["message"].as_str().unwrap_or("(no message)")
        )?;
        writeln!(out, "   body: {body}")?;
        writeln!(out)?;
        bodies.push(body);
    }
    Ok(bodies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conversation_asks_books_and_asks_again() {
        let turns = conversation(2, "2026-01-24", "2026-01-26");
        let functions: Vec<_> = turns.iter().map(|t| t.function).collect();
        assert_eq!(
            functions,
            [
                "get_available_vacations_days",
                "reserve_vacation_time",
                "get_available_vacations_days"
            ]
        );
        for turn in &turns {
            assert!(
                tools::catalogue::find(turn.function).is_some(),
                "{}",
                turn.function
            );
        }
        let e = event(&turns[1], "demo-session", SignedIn::Employee(2));
        assert_eq!(e["sessionAttributes"]["employeeId"], "2");
        let hr = event(&turns[1], "demo-session", SignedIn::Hr(900));
        assert_eq!(
            hr["sessionAttributes"],
            json!({"role": "hr", "employeeId": "900"})
        );
        assert_eq!(e["parameters"][1]["value"], "2026-01-24");
    }

    #[test]
    fn an_answer_is_read_from_the_function_response() {
        let response = json!({"response": {"functionResponse": {"responseState": "REPROMPT",
            "responseBody": {"TEXT": {"body": "{\"ok\":false,\"message\":\"m\"}"}}}}});
        let (state, body) = answer(&response);
        assert_eq!(
            (state, body["message"].as_str()),
            (Some("REPROMPT"), Some("m"))
        );
    }
}
