//! The seeder (issue 4).
