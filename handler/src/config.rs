//! The Lambda's settings, read once at cold start from the environment.
//!
//! | variable                 | meaning                                                          |
//! |--------------------------|------------------------------------------------------------------|
//! | `TABLE_NAME`             | the DynamoDB table (required)                                    |
//! | `DYNAMODB_ENDPOINT_URL`  | explicit endpoint, e.g. DynamoDB Local; otherwise the SDK's own resolution (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, profile) |
//! | `HR_ANONYMOUS_ACCESS`    | `refuse` (default) or `hr-for-local-demo`: see [`AnonymousAccess`]; refused on Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) |
//! | `HR_TIME_ZONE`           | the business time zone in which "today" is taken (IANA name, default `UTC`) |
//! | `HR_DAY_COUNT_POLICY`    | `calendar-days` (default) or `weekdays`                          |
//! | `HR_DEADLINE_MS`         | longest an event may take before a dependency-failure answer (default 10000, 100 to 900000) |
//! | `HR_CLAIM_EMPLOYEE_ID`   | interceptor: the token claim holding the caller's employee id (default `custom:employee_id`) |
//! | `HR_CLAIM_ROLE`          | interceptor: the claim holding the caller's groups or role (default `cognito:groups`) |
//! | `HR_CLAIM_HR_VALUE`      | interceptor: the value of that claim meaning HR (default `hr`)    |
//! | `HR_GATEWAY_TARGET`      | Gateway: the target name whose tools are served (`<target>___<tool>`); any when unset |
//! | `AWS_LAMBDA_LOG_FORMAT`  | `JSON` for JSON log lines (set by Lambda's logging controls)     |
//! | `AWS_LAMBDA_LOG_LEVEL`   | `TRACE` … `FATAL` (Lambda's logging controls); else `RUST_LOG` directives; `info` by default |
//!
//! The library never reads the environment itself: [`Config::from_lookup`] takes the
//! lookup, and the binary passes `std::env::var`.

use domain::DayCountPolicy;

use tools::{AnonymousAccess, ClaimMapping};

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object per line (Lambda's JSON log format).
    Json,
}

/// Everything the Lambda needs to know about its surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The table's name.
    pub table_name: String,
    /// An explicit DynamoDB endpoint.
    pub endpoint_url: Option<String>,
    /// What to do with requests that carry no identity.
    pub anonymous_access: AnonymousAccess,
    /// How booked days are counted.
    pub policy: DayCountPolicy,
    /// The business time zone: today is the date there.
    pub time_zone: chrono_tz::Tz,
    /// The longest an event may take (see [`crate::Settings::deadline`]).
    pub deadline: std::time::Duration,
    /// Which token claims name the caller (the interceptor).
    pub claims: ClaimMapping,
    /// The Gateway target whose tools are served (see [`crate::Settings::gateway_target`]).
    pub gateway_target: Option<String>,
    /// Log line format.
    pub log_format: LogFormat,
    /// Log filter directives (`info`, `debug,aws_smithy_runtime=warn`, …).
    pub log_filter: String,
}

/// A setting that is missing or unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set (or empty).
    #[error("{0} must be set")]
    Missing(&'static str),
    /// The local demo's anonymous access, asked for on Lambda, where anyone reaching the
    /// agent could then act for anyone.
    #[error(
        "HR_ANONYMOUS_ACCESS=hr-for-local-demo is for local demos only and is refused on \
         Lambda (AWS_LAMBDA_FUNCTION_NAME is set): remove it, and have the application set \
         the signed-in user's session attributes"
    )]
    AnonymousOnLambda,
    /// A variable has a value we do not understand.
    #[error("{name} is {value:?}; expected {expected}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
}

impl Config {
    /// Reads the settings through `lookup` (a variable's value, `None` when unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let table_name = set("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let anonymous_access = match set("HR_ANONYMOUS_ACCESS").as_deref() {
            None | Some("refuse") => AnonymousAccess::Refuse,
            Some("hr-for-local-demo") if set("AWS_LAMBDA_FUNCTION_NAME").is_some() => {
                return Err(ConfigError::AnonymousOnLambda)
            }
            Some("hr-for-local-demo") => AnonymousAccess::HrForLocalDemo,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "HR_ANONYMOUS_ACCESS",
                    value: other.to_owned(),
                    expected: "refuse or hr-for-local-demo",
                })
            }
        };
        let policy = match set("HR_DAY_COUNT_POLICY").as_deref() {
            None | Some("calendar-days") => DayCountPolicy::CalendarDays,
            Some("weekdays") => DayCountPolicy::Weekdays,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "HR_DAY_COUNT_POLICY",
                    value: other.to_owned(),
                    expected: "calendar-days or weekdays",
                })
            }
        };
        let time_zone = match set("HR_TIME_ZONE") {
            None => chrono_tz::Tz::UTC,
            Some(name) => store::Clock::parse_zone(&name).map_err(|_| ConfigError::Invalid {
                name: "HR_TIME_ZONE",
                value: name,
                expected: "an IANA time zone name such as UTC or Europe/Berlin",
            })?,
        };
        let deadline = match set("HR_DEADLINE_MS") {
            None => crate::DEFAULT_DEADLINE,
            Some(ms) => match ms.parse::<u64>() {
                Ok(ms @ 100..=900_000) => std::time::Duration::from_millis(ms),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "HR_DEADLINE_MS",
                        value: ms,
                        expected: "a whole number of milliseconds from 100 to 900000",
                    })
                }
            },
        };
        let log_format = match set("AWS_LAMBDA_LOG_FORMAT") {
            Some(f) if f.eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        };
        let defaults = ClaimMapping::default();
        let claims = ClaimMapping {
            employee_id: set("HR_CLAIM_EMPLOYEE_ID").unwrap_or(defaults.employee_id),
            role: set("HR_CLAIM_ROLE").unwrap_or(defaults.role),
            hr_value: set("HR_CLAIM_HR_VALUE").unwrap_or(defaults.hr_value),
        };
        Ok(Self {
            table_name,
            endpoint_url: set("DYNAMODB_ENDPOINT_URL"),
            anonymous_access,
            policy,
            time_zone,
            deadline,
            claims,
            gateway_target: set("HR_GATEWAY_TARGET"),
            log_format,
            log_filter: match set("AWS_LAMBDA_LOG_LEVEL") {
                Some(level) => lambda_level(&level)?.to_owned(),
                None => set("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            },
        })
    }
}

/// The `tracing` level for one of Lambda's log levels (`FATAL` has no equivalent: the
/// closest is `error`).
fn lambda_level(level: &str) -> Result<&'static str, ConfigError> {
    Ok(match level.to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => {
            return Err(ConfigError::Invalid {
                name: "AWS_LAMBDA_LOG_LEVEL",
                value: level.to_owned(),
                expected: "TRACE, DEBUG, INFO, WARN, ERROR or FATAL",
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn only_the_table_name_is_required_and_defaults_are_safe() {
        assert_eq!(read(&[]), Err(ConfigError::Missing("TABLE_NAME")));
        assert_eq!(
            read(&[("TABLE_NAME", "")]),
            Err(ConfigError::Missing("TABLE_NAME"))
        );
        let config = read(&[("TABLE_NAME", "vacations")]).unwrap();
        assert_eq!(
            config,
            Config {
                table_name: "vacations".into(),
                endpoint_url: None,
                anonymous_access: AnonymousAccess::Refuse,
                policy: DayCountPolicy::CalendarDays,
                time_zone: chrono_tz::Tz::UTC,
                deadline: crate::DEFAULT_DEADLINE,
                claims: ClaimMapping::default(),
                gateway_target: None,
                log_format: LogFormat::Text,
                log_filter: "info".into(),
            }
        );
    }

    #[test]
    fn every_setting_is_read() {
        let config = read(&[
            ("TABLE_NAME", "t"),
            ("DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:8000"),
            ("HR_ANONYMOUS_ACCESS", "hr-for-local-demo"),
            ("HR_DAY_COUNT_POLICY", "weekdays"),
            ("HR_DEADLINE_MS", "2500"),
            ("HR_TIME_ZONE", "Europe/Berlin"),
            ("HR_CLAIM_EMPLOYEE_ID", "emp"),
            ("HR_CLAIM_ROLE", "roles"),
            ("HR_CLAIM_HR_VALUE", "people"),
            ("HR_GATEWAY_TARGET", "vacations"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_LAMBDA_LOG_LEVEL", "DEBUG"),
            ("RUST_LOG", "trace"),
        ])
        .unwrap();
        assert_eq!(
            config.endpoint_url.as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(config.anonymous_access, AnonymousAccess::HrForLocalDemo);
        assert_eq!(config.policy, DayCountPolicy::Weekdays);
        assert_eq!(config.deadline, std::time::Duration::from_millis(2500));
        assert_eq!(config.time_zone, chrono_tz::Tz::Europe__Berlin);
        assert_eq!(
            config.claims,
            ClaimMapping {
                employee_id: "emp".into(),
                role: "roles".into(),
                hr_value: "people".into()
            }
        );
        assert_eq!(config.gateway_target.as_deref(), Some("vacations"));
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.log_filter, "debug");
        let config = read(&[("TABLE_NAME", "t"), ("AWS_LAMBDA_LOG_LEVEL", "FATAL")]).unwrap();
        assert_eq!(config.log_filter, "error");
        let config = read(&[("TABLE_NAME", "t"), ("RUST_LOG", "info,store=debug")]).unwrap();
        assert_eq!(config.log_filter, "info,store=debug");
    }

    #[test]
    fn unknown_values_are_errors_not_guesses() {
        for (name, value) in [
            ("HR_ANONYMOUS_ACCESS", "yes"),
            ("HR_ANONYMOUS_ACCESS", "true"),
            ("HR_DAY_COUNT_POLICY", "business-days"),
            ("AWS_LAMBDA_LOG_LEVEL", "VERBOSE"),
            ("HR_DEADLINE_MS", "0"),
            ("HR_DEADLINE_MS", "10s"),
            ("HR_DEADLINE_MS", "900001"),
            ("HR_TIME_ZONE", "Europe/Atlantis"),
        ] {
            let err = read(&[("TABLE_NAME", "t"), (name, value)]).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { .. }), "{name}={value}");
        }
    }

    /// The demo's anonymous HR access would let anyone who reaches a deployed agent act
    /// for anyone: the Lambda refuses to start with it.
    #[test]
    fn the_demo_access_is_refused_on_lambda() {
        let on_lambda = [
            ("TABLE_NAME", "t"),
            ("AWS_LAMBDA_FUNCTION_NAME", "hr-assistant-actions"),
        ];
        assert!(read(&on_lambda).is_ok());
        let mut demo = on_lambda.to_vec();
        demo.push(("HR_ANONYMOUS_ACCESS", "hr-for-local-demo"));
        assert_eq!(read(&demo), Err(ConfigError::AnonymousOnLambda));
        assert!(read(
            &demo[..1]
                .iter()
                .chain(&demo[2..])
                .copied()
                .collect::<Vec<_>>()
        )
        .is_ok());
    }
}
