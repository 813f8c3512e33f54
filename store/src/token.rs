//! Client request tokens and the random ids of writes.
//!
//! DynamoDB remembers a `ClientRequestToken` for ten minutes per account and region, not
//! per table, and replays the first outcome to any request that reuses it. A token is
//! therefore scoped to the table and to one attempt at one change: a booking's token
//! names its incarnation, a cancellation's the incarnation it deletes and its own history
//! entry, so an earlier request can never be replayed in place of a later one.

use sha2::{Digest, Sha256};

/// A token of 32 hexadecimal characters (DynamoDB takes 1 to 36) for `purpose` in `table`
/// over `parts`, each length-prefixed so that no two lists of parts collide.
pub(crate) fn client_token(table: &str, purpose: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in [table, purpose].iter().chain(parts) {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest: [u8; 32] = hasher.finalize().into();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Sixteen random bytes: a new incarnation or history entry id.
pub(crate) fn random_bytes() -> [u8; 16] {
    rand::random()
}

/// Twelve random hexadecimal characters: a history entry's id.
pub(crate) fn random_entry_id() -> String {
    random_bytes()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_scoped_to_the_table_and_purpose_and_fit_dynamodb() {
        let token = client_token("t", "reserve", &["2", "k"]);
        assert_eq!(token.len(), 32);
        assert_eq!(token, client_token("t", "reserve", &["2", "k"]));
        assert_ne!(token, client_token("u", "reserve", &["2", "k"]));
        assert_ne!(token, client_token("t", "cancel", &["2", "k"]));
        assert_ne!(token, client_token("t", "reserve", &["2k", ""]));
    }

    #[test]
    fn entry_ids_differ() {
        assert_ne!(random_entry_id(), random_entry_id());
        assert_eq!(random_entry_id().len(), 12);
    }
}
