//! The action group's function schema, built from the tool core's catalogue (the one
//! definition every transport routes with), and the comparison that decides whether the
//! deployed schema has drifted from it.

use std::collections::BTreeMap;

use aws_sdk_bedrockagent::types::{
    Function, FunctionSchema, ParameterDetail, RequireConfirmation, Type,
};
use tools::catalogue::{ParamType, Tool, TOOLS};

use crate::error::{Error, Result};

/// The day-count policy the deployed Lambda runs with: the provisioner sets no
/// `HR_DAY_COUNT_POLICY`, so the handler's default, and the tool descriptions say so.
pub const DEPLOYED_POLICY: domain::DayCountPolicy = domain::DayCountPolicy::CalendarDays;

/// The function schema for `tools`. With `confirmation` off, no function asks the user
/// to confirm; with it on, those the catalogue marks (bookings and cancellations) do.
pub fn function_schema(tools: &[Tool], confirmation: bool) -> Result<FunctionSchema> {
    let functions = tools
        .iter()
        .map(|tool| function(tool, confirmation))
        .collect::<Result<Vec<_>>>()?;
    Ok(FunctionSchema::Functions(functions))
}

/// The schema of the handler's catalogue.
pub fn catalogue_schema(confirmation: bool) -> Result<FunctionSchema> {
    function_schema(TOOLS, confirmation)
}

fn function(tool: &Tool, confirmation: bool) -> Result<Function> {
    let mut builder = Function::builder()
        .name(tool.name)
        .description(tool.describe(DEPLOYED_POLICY))
        .require_confirmation(if confirmation && tool.require_confirmation {
            RequireConfirmation::Enabled
        } else {
            RequireConfirmation::Disabled
        });
    for p in tool.params {
        let kind = match p.kind() {
            ParamType::String => Type::String,
            ParamType::Integer => Type::Integer,
        };
        let detail = ParameterDetail::builder()
            .description(p.description)
            .r#type(kind)
            .required(p.required)
            .build()
            .map_err(|e| Error::Conflict {
                what: format!("parameter {} of {}", p.name, tool.name),
                problem: e.to_string(),
            })?;
        builder = builder.parameters(p.name, detail);
    }
    builder.build().map_err(|e| Error::Conflict {
        what: format!("function {}", tool.name),
        problem: e.to_string(),
    })
}

/// A schema reduced to what matters, in a stable order, so that two schemas compare
/// equal exactly when Bedrock would behave the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical(BTreeMap<String, CanonicalFunction>);

/// One function of a [`Canonical`] schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalFunction {
    description: String,
    /// `requireConfirmation`; absent means disabled.
    confirmation: bool,
    /// name → (type, description, required; absent means not required).
    parameters: BTreeMap<String, (String, String, bool)>,
}

impl Canonical {
    /// Reduces a schema.
    pub fn of(schema: &FunctionSchema) -> Self {
        let functions = match schema {
            FunctionSchema::Functions(fs) => fs.as_slice(),
            _ => &[],
        };
        Canonical(
            functions
                .iter()
                .map(|f| {
                    let parameters = f
                        .parameters()
                        .map(|ps| {
                            ps.iter()
                                .map(|(name, d)| {
                                    (
                                        name.clone(),
                                        (
                                            d.r#type().as_str().to_owned(),
                                            d.description().unwrap_or_default().to_owned(),
                                            d.required().unwrap_or(false),
                                        ),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let function = CanonicalFunction {
                        description: f.description().unwrap_or_default().to_owned(),
                        confirmation: f.require_confirmation()
                            == Some(&RequireConfirmation::Enabled),
                        parameters,
                    };
                    (f.name().to_owned(), function)
                })
                .collect(),
        )
    }

    /// What differs between `self` (deployed) and `wanted`, one phrase per function.
    pub fn differences(&self, wanted: &Canonical) -> Vec<String> {
        let mut out = Vec::new();
        for (name, f) in &wanted.0 {
            match self.0.get(name) {
                None => out.push(format!("{name} is missing")),
                Some(have) if have != f => {
                    let mut what = Vec::new();
                    if have.description != f.description {
                        what.push("description");
                    }
                    if have.confirmation != f.confirmation {
                        what.push("confirmation");
                    }
                    if have.parameters != f.parameters {
                        what.push("parameters");
                    }
                    out.push(format!("{name} differs ({})", what.join(", ")));
                }
                Some(_) => {}
            }
        }
        for name in self.0.keys() {
            if !wanted.0.contains_key(name) {
                out.push(format!("{name} is not in the catalogue"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_descriptions_follow_the_policy_the_lambda_defaults_to() {
        assert_eq!(DEPLOYED_POLICY, domain::DayCountPolicy::default());
    }

    use super::*;

    fn functions(schema: &FunctionSchema) -> &[Function] {
        match schema {
            FunctionSchema::Functions(fs) => fs,
            _ => panic!("not a function list"),
        }
    }

    #[test]
    fn every_catalogue_tool_becomes_a_function_with_its_parameters() {
        let schema = catalogue_schema(true).unwrap();
        let fs = functions(&schema);
        assert_eq!(fs.len(), TOOLS.len());
        for (f, tool) in fs.iter().zip(TOOLS) {
            assert_eq!(f.name(), tool.name);
            assert_eq!(
                f.description(),
                Some(tool.describe(DEPLOYED_POLICY).as_str())
            );
            let params = f.parameters().unwrap();
            assert_eq!(params.len(), tool.params.len());
            for p in tool.params {
                assert_eq!(params[p.name].required(), Some(p.required));
                assert_eq!(params[p.name].r#type().as_str(), p.kind().as_str());
            }
        }
    }

    #[test]
    fn bookings_and_cancellations_ask_for_confirmation_unless_turned_off() {
        let on = catalogue_schema(true).unwrap();
        for (f, tool) in functions(&on).iter().zip(TOOLS) {
            let expected = if tool.require_confirmation {
                RequireConfirmation::Enabled
            } else {
                RequireConfirmation::Disabled
            };
            assert_eq!(f.require_confirmation(), Some(&expected), "{}", tool.name);
        }
        assert!(functions(&on)
            .iter()
            .any(|f| f.require_confirmation() == Some(&RequireConfirmation::Enabled)));
        let off = catalogue_schema(false).unwrap();
        assert!(functions(&off)
            .iter()
            .all(|f| f.require_confirmation() == Some(&RequireConfirmation::Disabled)));
    }

    #[test]
    fn the_same_schema_in_another_order_has_no_differences() {
        let wanted = catalogue_schema(true).unwrap();
        let mut reversed = functions(&wanted).to_vec();
        reversed.reverse();
        let deployed = FunctionSchema::Functions(reversed);
        assert!(Canonical::of(&deployed)
            .differences(&Canonical::of(&wanted))
            .is_empty());
    }

    #[test]
    fn a_changed_confirmation_or_a_missing_function_is_a_difference() {
        let wanted = Canonical::of(&catalogue_schema(true).unwrap());
        let unconfirmed = Canonical::of(&catalogue_schema(false).unwrap());
        let diffs = unconfirmed.differences(&wanted);
        assert!(
            diffs.iter().any(|d| d.contains("confirmation")),
            "{diffs:?}"
        );

        let mut fewer = functions(&catalogue_schema(true).unwrap()).to_vec();
        let dropped = fewer.pop().unwrap();
        let diffs = Canonical::of(&FunctionSchema::Functions(fewer)).differences(&wanted);
        assert_eq!(diffs, vec![format!("{} is missing", dropped.name())]);
    }
}
