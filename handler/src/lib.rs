//! The Lambda handler (issue 5).
