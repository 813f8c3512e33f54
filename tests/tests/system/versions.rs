//! `versions.env`, the one file holding the pinned versions, as the tests read it.

use test_support::versions::pinned;
use test_support::DYNAMODB_LOCAL_TAG;

#[test]
fn the_image_and_its_tag_are_pinned_together() {
    assert!(!DYNAMODB_LOCAL_TAG.is_empty());
    assert_eq!(
        pinned("DYNAMODB_LOCAL_IMAGE"),
        format!("amazon/dynamodb-local:{DYNAMODB_LOCAL_TAG}")
    );
    assert!(pinned("MINISTACK_VERSION").split('.').count() == 3);
}
