//! The tools, defined once: every transport routes with this catalogue, and every schema
//! is rendered from it: Bedrock's function details ([`function_schema`]), an OpenAPI 3
//! document ([`openapi_schema`]), JSON Schema for MCP ([`Tool::input_schema`]) and the
//! AgentCore Gateway's tool schema ([`gateway_tool_schema`]).
//!
//! Keeping both schemas and the router on one definition is what prevents the original
//! tutorial's bug, whose schema said `get_available_vacations_days` while its Lambda routed
//! `get_available_vacation_days`. That old name is kept as an alias, so agents built from the
//! tutorial keep working, but it is never advertised.

use domain::DayCountPolicy;
use serde_json::{json, Map, Value};

/// Which tool an invocation asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolId {
    /// Days available in a year.
    GetAvailableVacationDays,
    /// Book a date range.
    ReserveVacationTime,
    /// List bookings.
    ListPlannedVacations,
    /// Cancel a booking.
    CancelVacation,
}

/// The type Bedrock declares for a parameter. Whatever the type, Bedrock sends the value as
/// a JSON string; the type only guides the model. MCP and the Gateway send JSON values of
/// this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// Free text (dates and reservation ids travel as text).
    String,
    /// A whole number.
    Integer,
}

impl ParamType {
    /// The name Bedrock and OpenAPI use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
        }
    }
}

/// How an OpenAPI action group reaches a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// Reads: parameters in the query string.
    Get,
    /// Writes: parameters in a JSON request body.
    Post,
}

impl HttpMethod {
    /// The method as Bedrock writes it in events (`GET`, `POST`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }

    fn openapi_key(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
        }
    }
}

/// What a parameter's value is, which decides its declared type and the JSON Schema
/// details that tell a model its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An employee's number: a positive whole number.
    EmployeeId,
    /// A calendar year.
    Year,
    /// A day, written `YYYY-MM-DD`.
    Date,
    /// A reservation id: 12 lowercase hexadecimal characters.
    ReservationId,
}

impl Shape {
    /// The declared type.
    pub fn kind(self) -> ParamType {
        match self {
            Self::EmployeeId | Self::Year => ParamType::Integer,
            Self::Date | Self::ReservationId => ParamType::String,
        }
    }
}

/// One parameter of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Its name, as the model sends it.
    pub name: &'static str,
    /// What its value is.
    pub shape: Shape,
    /// What the model is told about it (1 to 500 characters).
    pub description: &'static str,
    /// Whether the model must always supply it.
    pub required: bool,
}

/// One tool the agent may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// What the handler routes on.
    pub id: ToolId,
    /// The advertised function name (also the OpenAPI path, `/<name>`, and `operationId`).
    pub name: &'static str,
    /// Other names routed to this tool but never advertised.
    pub aliases: &'static [&'static str],
    /// What the model is told the tool does (1 to 1200 characters), with `{charged}`
    /// standing for the day-count policy's sentence: see [`Tool::describe`].
    pub description: &'static str,
    /// Its parameters, in the order the model sees them.
    pub params: &'static [Param],
    /// Whether the agent must ask the user to confirm before the tool runs
    /// (`requireConfirmation` / `x-requireConfirmation`).
    pub require_confirmation: bool,
    /// The OpenAPI method.
    pub method: HttpMethod,
}

impl Param {
    /// The declared type.
    pub fn kind(&self) -> ParamType {
        self.shape.kind()
    }
}

impl Tool {
    /// The parameter called `name`, if the tool has one.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The tool's OpenAPI path.
    pub fn api_path(&self) -> String {
        format!("/{}", self.name)
    }
}

const EMPLOYEE_ID: Param = Param {
    name: "employee_id",
    shape: Shape::EmployeeId,
    description: "The employee's number: a positive whole number such as 2, written without \
                  spaces, signs, decimals or leading zeros.",
    required: true,
};

const YEAR: Param = Param {
    name: "year",
    shape: Shape::Year,
    description: "Calendar year as four digits, such as 2026. Leave it out for the current year.",
    required: false,
};

const fn date(name: &'static str, description: &'static str, required: bool) -> Param {
    Param {
        name,
        shape: Shape::Date,
        description,
        required,
    }
}

/// Every tool, in the order they are advertised.
pub const TOOLS: &[Tool] = &[
    Tool {
        id: ToolId::GetAvailableVacationDays,
        name: "get_available_vacations_days",
        aliases: &["get_available_vacation_days"],
        description: "Get how many vacation days an employee has left in a year (the current \
                      year unless a year is given), with the days granted and the days already \
                      taken or booked.",
        params: &[EMPLOYEE_ID, YEAR],
        require_confirmation: false,
        method: HttpMethod::Get,
    },
    Tool {
        id: ToolId::ReserveVacationTime,
        name: "reserve_vacation_time",
        aliases: &[],
        description: "Book vacation for an employee from start_date to end_date, both days \
                      included. {charged}: each charged day goes to the balance of its year. \
                      Returns the reservation id, the days charged and the days left. \
                      Refused when a day is already booked, not enough days are left, or the \
                      range starts before today.",
        params: &[
            EMPLOYEE_ID,
            date(
                "start_date",
                "First day of the vacation, written YYYY-MM-DD, such as 2026-01-24.",
                true,
            ),
            date(
                "end_date",
                "Last day of the vacation (included), written YYYY-MM-DD, such as 2026-01-26. \
                 At most 90 days after start_date.",
                true,
            ),
        ],
        require_confirmation: true,
        method: HttpMethod::Post,
    },
    Tool {
        id: ToolId::ListPlannedVacations,
        name: "list_planned_vacations",
        aliases: &[],
        description: "List an employee's booked vacations in date order, each with its \
                      reservation id, first and last day and days charged. Only those touching \
                      the given year when a year is given.",
        params: &[
            EMPLOYEE_ID,
            Param {
                description: "Calendar year as four digits, such as 2026. Leave it out to list \
                              every booking.",
                ..YEAR
            },
        ],
        require_confirmation: false,
        method: HttpMethod::Get,
    },
    Tool {
        id: ToolId::CancelVacation,
        name: "cancel_vacation",
        aliases: &[],
        description: "Cancel one of an employee's booked vacations and give its days back. \
                      Identify it by exactly one of reservation_id (from the booking or the \
                      list) or start_date (any booked day of it, usually its first).",
        params: &[
            EMPLOYEE_ID,
            Param {
                name: "reservation_id",
                shape: Shape::ReservationId,
                description: "The reservation id given when it was booked: 12 lowercase \
                              hexadecimal characters. Give this or start_date, not both.",
                required: false,
            },
            date(
                "start_date",
                "A booked day of the vacation to cancel, usually its first, written \
                 YYYY-MM-DD. Give this or reservation_id, not both.",
                false,
            ),
        ],
        require_confirmation: true,
        method: HttpMethod::Post,
    },
];

/// The tool advertised or aliased as `name`.
pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS
        .iter()
        .find(|t| t.name == name || t.aliases.contains(&name))
}

/// The tool an OpenAPI `apiPath` designates (`/<name>` or `/<alias>`).
pub fn find_by_path(path: &str) -> Option<&'static Tool> {
    path.strip_prefix('/').and_then(find)
}

/// Where a description names the day-count policy in force.
const CHARGED: &str = "{charged}";

impl Tool {
    /// What the model is told the tool does, under the day-count `policy` the Lambda
    /// runs with (which days of a range are charged).
    pub fn describe(&self, policy: DayCountPolicy) -> String {
        let mut sentence = policy.describe().to_owned();
        if let Some(first) = sentence.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        self.description.replace(CHARGED, &sentence)
    }
}

/// The advertised names, for messages.
pub fn names() -> Vec<&'static str> {
    TOOLS.iter().map(|t| t.name).collect()
}

/// The `functionSchema` of `CreateAgentActionGroup`: `{"functions": [{name, description,
/// parameters: {<name>: {type, description, required}}, requireConfirmation}]}`.
pub fn function_schema(policy: DayCountPolicy) -> Value {
    let functions: Vec<Value> = TOOLS
        .iter()
        .map(|tool| {
            let parameters: Map<String, Value> = tool
                .params
                .iter()
                .map(|p| {
                    let detail = json!({
                        "type": p.kind().as_str(),
                        "description": p.description,
                        "required": p.required,
                    });
                    (p.name.to_owned(), detail)
                })
                .collect();
            json!({
                "name": tool.name,
                "description": tool.describe(policy),
                "parameters": parameters,
                "requireConfirmation": confirmation(tool),
            })
        })
        .collect();
    json!({ "functions": functions })
}

/// An OpenAPI 3.0 document for an API-schema action group: one path per tool, reads as
/// `GET` with query parameters, writes as `POST` with a JSON body. Uses only what Bedrock
/// supports (no `enum`).
pub fn openapi_schema(policy: DayCountPolicy) -> Value {
    let mut paths = Map::new();
    for tool in TOOLS {
        let mut operation = json!({
            "operationId": tool.name,
            "summary": tool.name.replace('_', " "),
            "description": tool.describe(policy),
            "x-requireConfirmation": confirmation(tool),
            "responses": {
                "200": {
                    "description": "The answer, or why the request was refused, as JSON with \
                                    a human-readable `message`.",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"message": {"type": "string"}},
                    }}},
                },
            },
        });
        match tool.method {
            HttpMethod::Get => {
                let parameters: Vec<Value> = tool
                    .params
                    .iter()
                    .map(|p| {
                        json!({
                            "name": p.name,
                            "in": "query",
                            "description": p.description,
                            "required": p.required,
                            "schema": {"type": p.kind().as_str()},
                        })
                    })
                    .collect();
                operation["parameters"] = Value::Array(parameters);
            }
            HttpMethod::Post => {
                let properties: Map<String, Value> = tool
                    .params
                    .iter()
                    .map(|p| {
                        let schema =
                            json!({"type": p.kind().as_str(), "description": p.description});
                        (p.name.to_owned(), schema)
                    })
                    .collect();
                let required: Vec<&str> = tool
                    .params
                    .iter()
                    .filter(|p| p.required)
                    .map(|p| p.name)
                    .collect();
                operation["requestBody"] = json!({
                    "required": true,
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": properties,
                        "required": required,
                    }}},
                });
            }
        }
        let mut item = Map::new();
        item.insert(tool.method.openapi_key().to_owned(), operation);
        paths.insert(tool.api_path(), Value::Object(item));
    }
    json!({
        "openapi": "3.0.0",
        "info": {
            "title": "HR vacation assistant",
            "version": "1.0.0",
            "description": "Vacation balances and bookings of employees.",
        },
        "paths": paths,
    })
}

/// What every answer holds, whatever the tool and however it went: the `outputSchema`
/// of every MCP tool. `structuredContent` always matches it; the other fields depend on
/// the tool and the outcome.
pub fn output_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "ok": {"type": "boolean", "description": "Whether the request was carried out."},
            "message": {"type": "string", "description": "What happened, to relay to the user."},
            "error": {"type": "string", "description": "A stable code saying why not, when ok is false."},
        },
        "required": ["ok", "message"],
    })
}

impl Tool {
    /// Whether the tool only reads (balance and list); bookings and cancellations change
    /// data, so clients ask the user before running them.
    pub fn is_read_only(&self) -> bool {
        !matches!(
            self.id,
            ToolId::ReserveVacationTime | ToolId::CancelVacation
        )
    }

    /// Whether the tool takes something away that cannot simply be asked for again
    /// (a cancellation gives up the booked days, which someone else may then take).
    pub fn is_destructive(&self) -> bool {
        self.id == ToolId::CancelVacation
    }

    /// The tool's arguments as JSON Schema (draft 2020-12), for MCP's `inputSchema`: the
    /// declared type with the form each value must have, and no other properties.
    pub fn input_schema(&self) -> Value {
        let properties: Map<String, Value> = self
            .params
            .iter()
            .map(|p| {
                let mut schema = json!({"type": p.kind().as_str(), "description": p.description});
                let extra = match p.shape {
                    Shape::EmployeeId => json!({"minimum": 1, "maximum": u32::MAX}),
                    Shape::Year => {
                        json!({"minimum": domain::MIN_YEAR, "maximum": domain::MAX_YEAR})
                    }
                    Shape::Date => {
                        json!({"format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
                    }
                    Shape::ReservationId => json!({"pattern": "^[0-9a-f]{12}$"}),
                };
                if let (Some(schema), Value::Object(extra)) = (schema.as_object_mut(), extra) {
                    schema.extend(extra);
                }
                (p.name.to_owned(), schema)
            })
            .collect();
        json!({
            "type": "object",
            "properties": properties,
            "required": self.required_names(),
            "additionalProperties": false,
        })
    }

    fn required_names(&self) -> Vec<&'static str> {
        self.params
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name)
            .collect()
    }
}

/// The AgentCore Gateway's tool schema for a Lambda target
/// (`toolSchema.inlinePayload`): `[{name, description, inputSchema}]`. Its
/// `SchemaDefinition` has only `type`, `properties`, `required`, `items` and
/// `description` (no `format`, `pattern`, `minimum` or `additionalProperties`), so the
/// form of each value is said in its description, as for Bedrock. The reserved `_caller`
/// argument the interceptor adds is never advertised.
pub fn gateway_tool_schema(policy: DayCountPolicy) -> Value {
    let tools: Vec<Value> = TOOLS
        .iter()
        .map(|tool| {
            let properties: Map<String, Value> = tool
                .params
                .iter()
                .map(|p| {
                    let schema = json!({"type": p.kind().as_str(), "description": p.description});
                    (p.name.to_owned(), schema)
                })
                .collect();
            json!({
                "name": tool.name,
                "description": tool.describe(policy),
                "inputSchema": {
                    "type": "object",
                    "properties": properties,
                    "required": tool.required_names(),
                },
            })
        })
        .collect();
    Value::Array(tools)
}

fn confirmation(tool: &Tool) -> &'static str {
    if tool.require_confirmation {
        "ENABLED"
    } else {
        "DISABLED"
    }
}

/// Whether `name` matches Bedrock's name pattern `([0-9a-zA-Z][_-]?){1,100}`: one to 100
/// letters or digits, each optionally followed by one `_` or `-`.
pub fn is_valid_bedrock_name(name: &str) -> bool {
    let mut units = 0;
    let mut after_separator = true; // the first character must be alphanumeric
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            units += 1;
            after_separator = false;
        } else if (c == '_' || c == '-') && !after_separator {
            after_separator = true;
        } else {
            return false;
        }
    }
    (1..=100).contains(&units)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_name_matches_bedrock_s_pattern() {
        for tool in TOOLS {
            assert!(is_valid_bedrock_name(tool.name), "{}", tool.name);
            for alias in tool.aliases {
                assert!(is_valid_bedrock_name(alias), "{alias}");
            }
            for p in tool.params {
                assert!(is_valid_bedrock_name(p.name), "{}", p.name);
            }
        }
    }

    #[test]
    fn the_name_pattern_is_checked_exactly() {
        for good in ["a", "get_available_vacations_days", "a-b_c", "a_", "A1-"] {
            assert!(is_valid_bedrock_name(good), "{good}");
        }
        let hundred = "a".repeat(100);
        let hundred_one = "a".repeat(101);
        let spaced_hundred = "a_".repeat(100);
        assert!(is_valid_bedrock_name(&hundred));
        assert!(is_valid_bedrock_name(&spaced_hundred));
        for bad in [
            "",
            "_a",
            "-a",
            "a__b",
            "a_-b",
            "a b",
            "a.b",
            "é",
            hundred_one.as_str(),
        ] {
            assert!(!is_valid_bedrock_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn descriptions_respect_bedrock_s_lengths() {
        for (tool, policy) in TOOLS
            .iter()
            .flat_map(|t| [DayCountPolicy::CalendarDays, DayCountPolicy::Weekdays].map(|p| (t, p)))
        {
            let n = tool.describe(policy).chars().count();
            assert!((1..=1200).contains(&n), "{}: {n}", tool.name);
            for p in tool.params {
                let n = p.description.chars().count();
                assert!((1..=500).contains(&n), "{}.{}: {n}", tool.name, p.name);
            }
        }
    }

    #[test]
    fn names_and_aliases_are_unique_and_route_to_their_tool() {
        let mut seen = HashSet::new();
        for tool in TOOLS {
            for name in std::iter::once(&tool.name).chain(tool.aliases) {
                assert!(seen.insert(*name), "{name} used twice");
                assert_eq!(find(name).map(|t| t.id), Some(tool.id));
                assert_eq!(
                    find_by_path(&format!("/{name}")).map(|t| t.id),
                    Some(tool.id)
                );
            }
            let params: HashSet<_> = tool.params.iter().map(|p| p.name).collect();
            assert_eq!(params.len(), tool.params.len(), "{}", tool.name);
        }
        assert_eq!(
            find("get_available_vacation_days").map(|t| t.name),
            Some("get_available_vacations_days")
        );
        assert!(find("drop_table").is_none());
        assert!(find_by_path("get_available_vacations_days").is_none());
    }

    #[test]
    fn the_function_schema_lists_every_tool_in_bedrock_s_shape() {
        let schema = function_schema(DayCountPolicy::CalendarDays);
        let functions = schema["functions"].as_array().unwrap();
        assert_eq!(functions.len(), TOOLS.len());
        for (f, tool) in functions.iter().zip(TOOLS) {
            assert_eq!(f["name"], tool.name);
            assert_eq!(
                f["description"],
                tool.describe(DayCountPolicy::CalendarDays)
            );
            let params = f["parameters"].as_object().unwrap();
            assert_eq!(params.len(), tool.params.len());
            for p in tool.params {
                assert_eq!(params[p.name]["type"], p.kind().as_str());
                assert_eq!(params[p.name]["required"], p.required);
                assert_eq!(params[p.name]["description"], p.description);
            }
            let expected = if tool.require_confirmation {
                "ENABLED"
            } else {
                "DISABLED"
            };
            assert_eq!(f["requireConfirmation"], expected);
        }
        assert!(!schema.to_string().contains("vacation_days\""));
    }

    #[test]
    fn writes_need_confirmation_and_reads_do_not() {
        for tool in TOOLS {
            let writes = matches!(
                tool.id,
                ToolId::ReserveVacationTime | ToolId::CancelVacation
            );
            assert_eq!(tool.require_confirmation, writes, "{}", tool.name);
            assert_eq!(tool.method == HttpMethod::Post, writes, "{}", tool.name);
        }
    }

    #[test]
    fn the_openapi_document_has_one_operation_per_tool() {
        let doc = openapi_schema(DayCountPolicy::CalendarDays);
        assert_eq!(doc["openapi"], "3.0.0");
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(paths.len(), TOOLS.len());
        for tool in TOOLS {
            let item = paths[&tool.api_path()].as_object().unwrap();
            assert_eq!(item.len(), 1);
            let op = &item[tool.method.openapi_key()];
            assert_eq!(op["operationId"], tool.name);
            assert!(op["responses"]["200"]["description"].is_string());
            match tool.method {
                HttpMethod::Get => {
                    let params = op["parameters"].as_array().unwrap();
                    let names: Vec<_> = params.iter().map(|p| p["name"].clone()).collect();
                    let expected: Vec<_> = tool.params.iter().map(|p| json!(p.name)).collect();
                    assert_eq!(names, expected);
                    assert!(params.iter().all(|p| p["in"] == "query"));
                }
                HttpMethod::Post => {
                    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                    assert_eq!(
                        schema["properties"].as_object().unwrap().len(),
                        tool.params.len()
                    );
                    let required = schema["required"].as_array().unwrap();
                    assert_eq!(
                        required.len(),
                        tool.params.iter().filter(|p| p.required).count()
                    );
                }
            }
        }
        // Bedrock's OpenAPI subset has no `enum`.
        assert!(!doc.to_string().contains("\"enum\""));
    }

    #[test]
    fn the_mcp_input_schema_says_the_form_of_every_value() {
        let reserve = find("reserve_vacation_time").unwrap();
        let schema = reserve.input_schema();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(
            schema["required"],
            json!(["employee_id", "start_date", "end_date"])
        );
        assert_eq!(schema["properties"]["employee_id"]["type"], "integer");
        assert_eq!(schema["properties"]["employee_id"]["minimum"], 1);
        assert_eq!(schema["properties"]["start_date"]["format"], "date");
        let cancel = find("cancel_vacation").unwrap().input_schema();
        assert_eq!(cancel["required"], json!(["employee_id"]));
        assert_eq!(
            cancel["properties"]["reservation_id"]["pattern"],
            "^[0-9a-f]{12}$"
        );
        assert!(!schema.to_string().contains("_caller"));
    }

    /// The Gateway's `SchemaDefinition` has only type, properties, required, items and
    /// description: nothing else may appear, at any depth.
    #[test]
    fn the_gateway_schema_uses_only_what_the_gateway_accepts() {
        fn check(schema: &Value, path: &str) {
            let object = schema.as_object().unwrap_or_else(|| panic!("{path}"));
            for (key, value) in object {
                match key.as_str() {
                    "type" | "description" => assert!(value.is_string(), "{path}.{key}"),
                    "required" => assert!(value.is_array(), "{path}.{key}"),
                    "properties" => {
                        for (name, inner) in value.as_object().unwrap() {
                            check(inner, &format!("{path}.{name}"));
                        }
                    }
                    "items" => check(value, &format!("{path}[]")),
                    other => panic!("{path}: {other} is not in the gateway's SchemaDefinition"),
                }
            }
        }
        let tools = gateway_tool_schema(DayCountPolicy::CalendarDays);
        let tools = tools.as_array().unwrap();
        assert_eq!(tools.len(), TOOLS.len());
        for (entry, tool) in tools.iter().zip(TOOLS) {
            assert_eq!(entry["name"], tool.name);
            assert_eq!(entry["inputSchema"]["type"], "object");
            check(&entry["inputSchema"], tool.name);
            let mut keys: Vec<_> = entry.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["description", "inputSchema", "name"]);
        }
        assert!(!Value::Array(tools.clone()).to_string().contains("_caller"));
    }

    /// The booking tool tells the model which days are charged, from the policy in force.
    #[test]
    fn the_booking_description_names_the_days_the_policy_charges() {
        let reserve = find("reserve_vacation_time").unwrap();
        let calendar = reserve.describe(DayCountPolicy::CalendarDays);
        assert!(
            calendar.contains("Every calendar day of the range is charged, weekends included"),
            "{calendar}"
        );
        let weekdays = reserve.describe(DayCountPolicy::Weekdays);
        assert!(
            weekdays.contains("Only Monday to Friday are charged"),
            "{weekdays}"
        );
        for tool in TOOLS {
            assert!(
                !tool.describe(DayCountPolicy::Weekdays).contains('{'),
                "{}",
                tool.name
            );
        }
    }
}
