//! Who makes a change, and with what authority: what the history records and what the
//! date and status rules look at.

use std::fmt;

use crate::EmployeeId;

/// The role a change is made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorRole {
    /// An employee acting on their own vacations (also HR acting on their own: no one
    /// approves their own exceptions).
    Employee,
    /// Human resources acting on someone else's vacations: may correct the past and act
    /// for inactive employees.
    Hr,
    /// A local demo without sign-in, let in as HR (never on Lambda).
    LocalDemo,
    /// The seeder, writing generated data.
    Seeder,
}

impl ActorRole {
    /// The name stored in history items and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Employee => "employee",
            Self::Hr => "hr",
            Self::LocalDemo => "local-demo",
            Self::Seeder => "seeder",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Employee, Self::Hr, Self::LocalDemo, Self::Seeder]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

impl fmt::Display for ActorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The user (when known) and role behind a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Actor {
    /// The acting user's id: the employee's own, or the HR user's.
    pub user: Option<EmployeeId>,
    /// The role the change is made in.
    pub role: ActorRole,
}

impl Actor {
    /// An employee acting for themselves.
    pub fn employee(id: EmployeeId) -> Self {
        Self {
            user: Some(id),
            role: ActorRole::Employee,
        }
    }

    /// HR user `id` acting on `target`'s vacations: as HR for someone else, as an
    /// employee for themselves (no self-approval).
    pub fn hr(id: EmployeeId, target: EmployeeId) -> Self {
        if id == target {
            Self::employee(id)
        } else {
            Self {
                user: Some(id),
                role: ActorRole::Hr,
            }
        }
    }

    /// The local demo's anonymous HR.
    pub fn local_demo() -> Self {
        Self {
            user: None,
            role: ActorRole::LocalDemo,
        }
    }

    /// The seeder.
    pub fn seeder() -> Self {
        Self {
            user: None,
            role: ActorRole::Seeder,
        }
    }

    /// Whether the actor has HR's authority: correcting past days, acting for inactive
    /// employees.
    pub fn has_hr_authority(&self) -> bool {
        matches!(
            self.role,
            ActorRole::Hr | ActorRole::LocalDemo | ActorRole::Seeder
        )
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.user {
            Some(id) => write!(f, "{} {id}", self.role),
            None => write!(f, "{}", self.role),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    #[test]
    fn hr_acting_on_their_own_vacation_is_an_employee() {
        assert_eq!(Actor::hr(id(7), id(7)), Actor::employee(id(7)));
        assert!(!Actor::hr(id(7), id(7)).has_hr_authority());
        let hr = Actor::hr(id(7), id(2));
        assert_eq!((hr.user, hr.role), (Some(id(7)), ActorRole::Hr));
        assert!(hr.has_hr_authority());
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [
            ActorRole::Employee,
            ActorRole::Hr,
            ActorRole::LocalDemo,
            ActorRole::Seeder,
        ] {
            assert_eq!(ActorRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(ActorRole::parse("HR"), None);
    }
}
