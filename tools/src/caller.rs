//! Who is asking, and what they may do.
//!
//! Every transport learns the caller from something the model cannot change, and reads it
//! into a [`Caller`] here:
//!
//! | transport | where the identity comes from |
//! |-----------|-------------------------------|
//! | Bedrock Agents Classic | the session attributes the invoking application sets in `InvokeAgent` |
//! | AgentCore Gateway (Lambda target) | the reserved argument [`RESERVED_ARGUMENT`] (`_caller`), written by our REQUEST interceptor from the verified JWT |
//! | MCP over HTTP | the verified bearer JWT's claims, through [`ClaimMapping`] |
//! | MCP over stdio | the operator's word (`--as` / `--hr`), as for any local CLI |
//!
//! Session attributes and `_caller` carry the same two fields:
//!
//! | field        | value                                                 |
//! |--------------|-------------------------------------------------------|
//! | `employeeId` | the signed-in employee's id (required for both roles) |
//! | `role`       | `employee` or `hr`                                    |
//!
//! An `employee` may read and change only their own vacations; `hr` may act for anyone,
//! and needs an `employeeId` too (the HR user's own), which the history records. An HR user
//! acting on their own vacations is treated as an employee: no one approves their own
//! exceptions (see [`domain::Actor::hr`]).
//! The `employee_id` the model supplies only says whose data to touch: it is checked
//! against the identity and never widens access. With no identity at all the request is
//! refused, unless [`AnonymousAccess::HrForLocalDemo`] is set (local demos only).

use domain::{Actor, EmployeeId};
use serde_json::{json, Map, Value};

/// The field (session attribute, `_caller` member) holding the caller's employee id.
pub const EMPLOYEE_ID_ATTRIBUTE: &str = "employeeId";
/// The field (session attribute, `_caller` member) holding the caller's role.
pub const ROLE_ATTRIBUTE: &str = "role";
/// The argument through which the Gateway's REQUEST interceptor hands the verified caller
/// to the Lambda target. No schema advertises it; the interceptor replaces whatever a
/// client sent under this name.
pub const RESERVED_ARGUMENT: &str = "_caller";

/// What to do with a request whose session carries no identity at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AnonymousAccess {
    /// Refuse it (the default, and the only setting for a deployed agent).
    #[default]
    Refuse,
    /// Treat it as `hr`. For local demos that replay events without session attributes;
    /// never for a deployed agent, where anyone reaching the agent could then act for
    /// anyone.
    HrForLocalDemo,
}

/// The identified caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// An employee, acting for themselves only.
    Employee(EmployeeId),
    /// Human resources (the HR user's own id), acting for anyone.
    Hr(EmployeeId),
    /// No identity, let in as `hr` by [`AnonymousAccess::HrForLocalDemo`].
    AnonymousDemo,
}

/// Why the session's identity is unusable. Each message is written for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// No identity attributes at all.
    #[error(
        "this conversation is not linked to a signed-in user, so vacation data cannot be \
         viewed or changed; please sign in to the HR application and ask again"
    )]
    Missing,
    /// Attributes are present but do not make an identity.
    #[error(
        "the signed-in user's identity is incomplete or invalid ({0}), so vacation data \
         cannot be viewed or changed; please contact the HR application's administrators"
    )]
    Invalid(&'static str),
}

impl Caller {
    /// Reads the caller from its two fields (`role`, `employeeId`), as session attributes
    /// and `_caller` carry them; `anonymous` decides what no identity at all means.
    pub fn identify(
        role: Option<&str>,
        id: Option<&str>,
        anonymous: AnonymousAccess,
    ) -> Result<Self, IdentityError> {
        let parse_id = |text: &str| {
            EmployeeId::parse(text)
                .map_err(|_| IdentityError::Invalid("employeeId is not a valid employee id"))
        };
        match (role, id) {
            (None, None) => match anonymous {
                AnonymousAccess::Refuse => Err(IdentityError::Missing),
                AnonymousAccess::HrForLocalDemo => Ok(Self::AnonymousDemo),
            },
            (Some("employee"), Some(id)) => Ok(Self::Employee(parse_id(id)?)),
            (Some("employee"), None) => Err(IdentityError::Invalid(
                "role employee without an employeeId",
            )),
            (Some("hr"), Some(id)) => Ok(Self::Hr(parse_id(id)?)),
            (Some("hr"), None) => Err(IdentityError::Invalid(
                "role hr without the HR user's employeeId",
            )),
            (Some(_), _) => Err(IdentityError::Invalid("role must be employee or hr")),
            (None, Some(_)) => Err(IdentityError::Invalid("employeeId without a role")),
        }
    }

    /// Reads the caller from the reserved `_caller` argument (`None` when absent). Its
    /// `employeeId` may be a JSON number or its text; anything else in it is refused.
    pub fn from_reserved(value: Option<&Value>) -> Result<Self, IdentityError> {
        let Some(value) = value else {
            return Err(IdentityError::Missing);
        };
        let Some(fields) = value.as_object() else {
            return Err(IdentityError::Invalid("_caller is not an object"));
        };
        if fields.is_empty() {
            return Err(IdentityError::Invalid("_caller is empty"));
        }
        if fields
            .keys()
            .any(|k| k != EMPLOYEE_ID_ATTRIBUTE && k != ROLE_ATTRIBUTE)
        {
            return Err(IdentityError::Invalid("_caller has unknown fields"));
        }
        let role = match fields.get(ROLE_ATTRIBUTE) {
            None => None,
            Some(Value::String(role)) => Some(role.as_str()),
            Some(_) => return Err(IdentityError::Invalid("role must be employee or hr")),
        };
        let id = match fields.get(EMPLOYEE_ID_ATTRIBUTE) {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                return Err(IdentityError::Invalid(
                    "employeeId is not a valid employee id",
                ))
            }
        };
        Self::identify(role, id.as_deref(), AnonymousAccess::Refuse)
    }

    /// The caller as the reserved `_caller` argument: what the interceptor writes.
    /// `None` for the anonymous demo, which never reaches a gateway.
    pub fn reserved(&self) -> Option<Value> {
        let id = self.id()?;
        Some(json!({EMPLOYEE_ID_ATTRIBUTE: id.to_string(), ROLE_ATTRIBUTE: self.role()}))
    }

    /// Whether the caller may read and change `employee`'s vacations.
    pub fn may_act_for(&self, employee: EmployeeId) -> bool {
        match self {
            Self::Employee(me) => *me == employee,
            Self::Hr(_) | Self::AnonymousDemo => true,
        }
    }

    /// The role, for logs.
    pub fn role(&self) -> &'static str {
        match self {
            Self::Employee(_) => "employee",
            Self::Hr(_) => "hr",
            Self::AnonymousDemo => "anonymous-demo",
        }
    }

    /// The caller's own id, for logs (none for the anonymous demo).
    pub fn id(&self) -> Option<EmployeeId> {
        match self {
            Self::Employee(id) | Self::Hr(id) => Some(*id),
            Self::AnonymousDemo => None,
        }
    }

    /// Who acts, and in which role, when the caller changes `target`'s vacations.
    pub fn actor_for(&self, target: EmployeeId) -> Actor {
        match self {
            Self::Employee(id) => Actor::employee(*id),
            Self::Hr(id) => Actor::hr(*id, target),
            Self::AnonymousDemo => Actor::local_demo(),
        }
    }
}

/// Which claims of a verified JWT say who the caller is: shared by the Gateway's REQUEST
/// interceptor and the MCP server over HTTP.
///
/// The defaults fit Amazon Cognito ID tokens: the employee id in a custom user attribute
/// (`custom:employee_id`), HR as membership of the `hr` group (`cognito:groups`). Cognito
/// puts custom attributes in ID tokens only; with access tokens, name a claim a
/// pre-token-generation trigger adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    /// The claim holding the caller's employee id (a number or its text).
    pub employee_id: String,
    /// The claim saying the caller's groups or role: a string or a list of strings.
    pub role: String,
    /// The value of [`ClaimMapping::role`] (or one of its values) that means HR.
    pub hr_value: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            employee_id: DEFAULT_EMPLOYEE_ID_CLAIM.to_owned(),
            role: DEFAULT_ROLE_CLAIM.to_owned(),
            hr_value: DEFAULT_HR_VALUE.to_owned(),
        }
    }
}

/// [`ClaimMapping::employee_id`] by default.
pub const DEFAULT_EMPLOYEE_ID_CLAIM: &str = "custom:employee_id";
/// [`ClaimMapping::role`] by default.
pub const DEFAULT_ROLE_CLAIM: &str = "cognito:groups";
/// [`ClaimMapping::hr_value`] by default.
pub const DEFAULT_HR_VALUE: &str = "hr";

impl ClaimMapping {
    /// The caller the claims of a verified token name. Without the employee id claim
    /// there is no usable identity ([`IdentityError::Missing`]); a token is HR when its
    /// role claim is, or contains, [`ClaimMapping::hr_value`], and an employee otherwise.
    pub fn caller(&self, claims: &Map<String, Value>) -> Result<Caller, IdentityError> {
        let id = match claims.get(&self.employee_id) {
            None | Some(Value::Null) => return Err(IdentityError::Missing),
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => {
                return Err(IdentityError::Invalid(
                    "the token's employee id claim is not a valid employee id",
                ))
            }
        };
        let is_hr = match claims.get(&self.role) {
            Some(Value::String(role)) => *role == self.hr_value,
            Some(Value::Array(roles)) => roles.iter().any(|r| r.as_str() == Some(&self.hr_value)),
            _ => false,
        };
        let role = if is_hr { "hr" } else { "employee" };
        Self::identify_token(role, &id)
    }

    fn identify_token(role: &str, id: &str) -> Result<Caller, IdentityError> {
        Caller::identify(Some(role), Some(id), AnonymousAccess::Refuse).map_err(|_| {
            IdentityError::Invalid("the token's employee id claim is not a valid employee id")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `pairs` as session attributes would be read.
    fn identify(
        pairs: &[(&str, &str)],
        anonymous: AnonymousAccess,
    ) -> Result<Caller, IdentityError> {
        let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        Caller::identify(get(ROLE_ATTRIBUTE), get(EMPLOYEE_ID_ATTRIBUTE), anonymous)
    }

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    #[test]
    fn an_employee_may_act_only_for_themselves() {
        let caller = identify(
            &[("employeeId", "2"), ("role", "employee")],
            AnonymousAccess::Refuse,
        )
        .unwrap();
        assert_eq!(caller, Caller::Employee(id(2)));
        assert!(caller.may_act_for(id(2)));
        assert!(!caller.may_act_for(id(3)));
    }

    #[test]
    fn hr_may_act_for_anyone_and_for_themselves_only_as_an_employee() {
        let pairs = &[("role", "hr"), ("employeeId", "9")][..];
        let caller = identify(pairs, AnonymousAccess::Refuse).unwrap();
        assert!(caller.may_act_for(id(1)) && caller.may_act_for(id(777)));
        assert_eq!(caller.actor_for(id(1)).role, domain::ActorRole::Hr);
        assert_eq!(caller.actor_for(id(9)), Actor::employee(id(9)));
    }

    /// HR changes are attributed in the history, so HR must say who they are.
    #[test]
    fn hr_without_their_own_id_is_refused() {
        let got = identify(&[("role", "hr")], AnonymousAccess::HrForLocalDemo);
        assert!(matches!(got, Err(IdentityError::Invalid(_))), "{got:?}");
    }

    #[test]
    fn no_identity_is_refused_unless_the_demo_setting_lets_it_in() {
        assert_eq!(
            identify(&[], AnonymousAccess::Refuse),
            Err(IdentityError::Missing)
        );
        assert_eq!(
            identify(&[("other", "x")], AnonymousAccess::Refuse),
            Err(IdentityError::Missing)
        );
        assert_eq!(
            identify(&[], AnonymousAccess::HrForLocalDemo),
            Ok(Caller::AnonymousDemo)
        );
    }

    #[test]
    fn a_broken_identity_is_refused_even_in_demo_mode() {
        for pairs in [
            &[("role", "employee")][..],
            &[("role", "admin"), ("employeeId", "2")][..],
            &[("role", "HR")][..],
            &[("employeeId", "2")][..],
            &[("role", "employee"), ("employeeId", " 2")][..],
            &[("role", "hr"), ("employeeId", "two")][..],
        ] {
            let got = identify(pairs, AnonymousAccess::HrForLocalDemo);
            assert!(
                matches!(got, Err(IdentityError::Invalid(_))),
                "{pairs:?}: {got:?}"
            );
        }
    }

    #[test]
    fn the_reserved_argument_reads_like_the_session_attributes() {
        let hr = Caller::Hr(id(9));
        assert_eq!(
            hr.reserved(),
            Some(json!({"employeeId": "9", "role": "hr"}))
        );
        assert_eq!(Caller::from_reserved(hr.reserved().as_ref()), Ok(hr));
        assert_eq!(
            Caller::from_reserved(Some(&json!({"employeeId": 2, "role": "employee"}))),
            Ok(Caller::Employee(id(2)))
        );
        assert_eq!(Caller::from_reserved(None), Err(IdentityError::Missing));
        assert_eq!(Caller::AnonymousDemo.reserved(), None);
        for forged in [
            json!("hr"),
            json!({}),
            json!({"role": "hr"}),
            json!({"employeeId": 2}),
            json!({"employeeId": 2, "role": "admin"}),
            json!({"employeeId": 2.5, "role": "employee"}),
            json!({"employeeId": [2], "role": "employee"}),
            json!({"employeeId": 2, "role": "employee", "scope": "all"}),
        ] {
            let got = Caller::from_reserved(Some(&forged));
            assert!(
                matches!(got, Err(IdentityError::Invalid(_))),
                "{forged}: {got:?}"
            );
        }
    }

    #[test]
    fn claims_map_to_the_caller_with_cognito_defaults() {
        let mapping = ClaimMapping::default();
        let claims = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            mapping.caller(&claims(json!({"custom:employee_id": "2", "sub": "x"}))),
            Ok(Caller::Employee(id(2)))
        );
        assert_eq!(
            mapping.caller(&claims(
                json!({"custom:employee_id": 900, "cognito:groups": ["staff", "hr"]})
            )),
            Ok(Caller::Hr(id(900)))
        );
        assert_eq!(
            mapping.caller(&claims(
                json!({"custom:employee_id": "3", "cognito:groups": "HR"})
            )),
            Ok(Caller::Employee(id(3)))
        );
        assert_eq!(
            mapping.caller(&claims(json!({"sub": "x", "cognito:groups": ["hr"]}))),
            Err(IdentityError::Missing)
        );
        for bad in [json!("two"), json!(0), json!(true), json!("02")] {
            let got = mapping.caller(&claims(json!({"custom:employee_id": bad})));
            assert!(matches!(got, Err(IdentityError::Invalid(_))), "{got:?}");
        }
        let custom = ClaimMapping {
            employee_id: "emp".into(),
            role: "role".into(),
            hr_value: "people-team".into(),
        };
        assert_eq!(
            custom.caller(&claims(json!({"emp": 5, "role": "people-team"}))),
            Ok(Caller::Hr(id(5)))
        );
    }
}
