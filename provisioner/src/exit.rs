//! The one map from a failure to the process's exit status. Scripts rely on these numbers;
//! the README lists them.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | any other failure |
//! | 2 | bad command line (clap) |
//! | 3 | configuration: region, credentials, network |
//! | 4 | nothing deployed under this name (or no such user) |
//! | 5 | Agents Classic is closed to this account: use `--platform agentcore` |
//! | 10–20 | the agent's runtime refused or failed the turn ([`ErrorKind`]) |

use crate::error::{Error, ErrorKind, InvokeError};

/// Region, credentials or the network.
pub const CONFIGURATION: u8 = 3;
/// Nothing deployed under this name.
pub const NOT_DEPLOYED: u8 = 4;
/// Bedrock Agents (Classic) refuses new agents on this account.
pub const CLASSIC_CLOSED: u8 = 5;
/// Anything else.
pub const OTHER: u8 = 1;

/// The exit status of a failed provisioner command.
pub fn of_error(e: &Error) -> u8 {
    match e {
        Error::NoRegion
        | Error::NoCredentials(_)
        | Error::BadCredentials { .. }
        | Error::Unreachable { .. } => CONFIGURATION,
        Error::NotDeployed { .. } | Error::NoSuchUser { .. } => NOT_DEPLOYED,
        Error::ClassicClosed { .. } => CLASSIC_CLOSED,
        _ => OTHER,
    }
}

/// The exit status of an error the agent's runtime reported.
pub fn of_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::AccessDenied => 10,
        ErrorKind::Throttling => 11,
        ErrorKind::DependencyFailed => 12,
        ErrorKind::Validation => 13,
        ErrorKind::ResourceNotFound => 14,
        ErrorKind::Conflict => 15,
        ErrorKind::ServiceQuotaExceeded => 16,
        ErrorKind::ModelNotReady => 17,
        ErrorKind::BadGateway => 18,
        ErrorKind::InternalServer => 19,
        ErrorKind::Other => 20,
    }
}

/// The exit status of a failed `invoke` or `chat` turn.
pub fn of_turn(e: &InvokeError) -> u8 {
    match e {
        InvokeError::Agent { kind, .. } => of_kind(*kind),
        InvokeError::Setup(e) => of_error(e),
        InvokeError::Stream(_) => of_kind(ErrorKind::Other),
        InvokeError::Io(_) | InvokeError::TooManyRounds => OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_own_exit_status() {
        let kinds = [
            ErrorKind::AccessDenied,
            ErrorKind::Throttling,
            ErrorKind::DependencyFailed,
            ErrorKind::Validation,
            ErrorKind::ResourceNotFound,
            ErrorKind::Conflict,
            ErrorKind::ServiceQuotaExceeded,
            ErrorKind::ModelNotReady,
            ErrorKind::BadGateway,
            ErrorKind::InternalServer,
            ErrorKind::Other,
        ];
        let codes: std::collections::HashSet<u8> = kinds.iter().map(|k| of_kind(*k)).collect();
        assert_eq!(codes.len(), kinds.len());
        assert!(codes.iter().all(|c| *c >= 10));
        for fixed in [OTHER, CONFIGURATION, NOT_DEPLOYED, CLASSIC_CLOSED] {
            assert!(!codes.contains(&fixed));
        }
    }
}
