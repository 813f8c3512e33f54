//! Who is asking, and what they may do.
//!
//! The caller's identity comes from the event's `sessionAttributes`, which the invoking
//! application sets in `InvokeAgent`'s `sessionState` and which the model cannot change:
//!
//! | attribute    | value                                                 |
//! |--------------|-------------------------------------------------------|
//! | `employeeId` | the signed-in employee's id (required for `employee`) |
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

use crate::event::Attributes;

/// The session attribute holding the caller's employee id.
pub const EMPLOYEE_ID_ATTRIBUTE: &str = "employeeId";
/// The session attribute holding the caller's role.
pub const ROLE_ATTRIBUTE: &str = "role";

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
    /// Reads the caller from the session attributes.
    pub fn identify(
        attributes: &Attributes,
        anonymous: AnonymousAccess,
    ) -> Result<Self, IdentityError> {
        let id = attributes.get(EMPLOYEE_ID_ATTRIBUTE);
        let role = attributes.get(ROLE_ATTRIBUTE);
        let parse_id = |text: &String| {
            EmployeeId::parse(text)
                .map_err(|_| IdentityError::Invalid("employeeId is not a valid employee id"))
        };
        match (role.map(String::as_str), id) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Attributes {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    #[test]
    fn an_employee_may_act_only_for_themselves() {
        let caller = Caller::identify(
            &attrs(&[("employeeId", "2"), ("role", "employee")]),
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
        let caller = Caller::identify(&attrs(pairs), AnonymousAccess::Refuse).unwrap();
        assert!(caller.may_act_for(id(1)) && caller.may_act_for(id(777)));
        assert_eq!(caller.actor_for(id(1)).role, domain::ActorRole::Hr);
        assert_eq!(caller.actor_for(id(9)), Actor::employee(id(9)));
    }

    /// HR changes are attributed in the history, so HR must say who they are.
    #[test]
    fn hr_without_their_own_id_is_refused() {
        let got = Caller::identify(&attrs(&[("role", "hr")]), AnonymousAccess::HrForLocalDemo);
        assert!(matches!(got, Err(IdentityError::Invalid(_))), "{got:?}");
    }

    #[test]
    fn no_identity_is_refused_unless_the_demo_setting_lets_it_in() {
        assert_eq!(
            Caller::identify(&attrs(&[]), AnonymousAccess::Refuse),
            Err(IdentityError::Missing)
        );
        assert_eq!(
            Caller::identify(&attrs(&[("other", "x")]), AnonymousAccess::Refuse),
            Err(IdentityError::Missing)
        );
        assert_eq!(
            Caller::identify(&attrs(&[]), AnonymousAccess::HrForLocalDemo),
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
            let got = Caller::identify(&attrs(pairs), AnonymousAccess::HrForLocalDemo);
            assert!(
                matches!(got, Err(IdentityError::Invalid(_))),
                "{pairs:?}: {got:?}"
            );
        }
    }
}
