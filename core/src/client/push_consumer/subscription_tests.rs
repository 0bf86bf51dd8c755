//! The push consumer's own tag check, which catches what the broker's hash filter lets
//! through: a hash collision, or a broker that does not filter at all.

use super::SubscriptionEntry;
use crate::client::Selector;

fn entry(expression: &str) -> SubscriptionEntry {
    SubscriptionEntry::new(Selector::Tag(expression.into())).expect("a valid expression")
}

/// `A || B` accepts exactly the tags A and B: another tag (as a colliding hash would let
/// through) and an untagged message are dropped by the client.
#[test]
fn tag_list_accepts_only_its_tags() {
    let e = entry(" TagA || TagB ");
    assert!(e.matches(Some("TagA")));
    assert!(e.matches(Some("TagB")));
    assert!(!e.matches(Some("TagC")));
    assert!(!e.matches(Some("tagA")), "tags are case-sensitive");
    assert!(!e.matches(None));
}

/// `*`, an empty expression and SQL subscriptions leave every message to the broker.
#[test]
fn star_empty_and_sql_accept_everything() {
    for e in [
        entry("*"),
        entry(""),
        SubscriptionEntry::new(Selector::Sql("a > 1".into())).unwrap(),
    ] {
        assert!(e.matches(Some("anything")));
        assert!(e.matches(None));
    }
}

/// An expression naming no tag (`||`) is refused with `InvalidArgument`.
#[test]
fn expression_without_a_tag_is_refused() {
    let err = SubscriptionEntry::new(Selector::Tag("||".into())).unwrap_err();
    assert!(
        matches!(err, crate::client::ClientError::InvalidArgument(_)),
        "{err}"
    );
}
