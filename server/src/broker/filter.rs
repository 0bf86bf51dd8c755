//! Subscription filters the broker applies before reading the commit log.
//!
//! A tag expression is `*` (or empty) for every message, else tags joined by `||`. The broker
//! compares the tag hashes stored in consume-queue entries; clients re-check the tag strings
//! because different tags can share a hash.

use ferrocket::protocol::ExpressionType;
use ferrocket::protocol::record::tag_hash;

/// A parsed subscription filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every message.
    All,
    /// Messages whose tag hash is one of these.
    Tags(Vec<u64>),
}

impl Filter {
    /// Parses a subscription expression.
    pub fn parse(expression_type: ExpressionType, expression: &str) -> Result<Filter, String> {
        match expression_type {
            ExpressionType::Tag => Ok(parse_tags(expression)),
            ExpressionType::Sql92 => {
                Err("SQL92 filtering is not enabled on this broker; subscribe by tag".into())
            }
        }
    }

    /// Whether a consume-queue entry with this tag hash passes.
    pub fn matches(&self, tag_hash: u64) -> bool {
        match self {
            Filter::All => true,
            Filter::Tags(hashes) => hashes.contains(&tag_hash),
        }
    }
}

fn parse_tags(expression: &str) -> Filter {
    let expression = expression.trim();
    if expression.is_empty() || expression == "*" {
        return Filter::All;
    }
    let mut hashes: Vec<u64> = expression
        .split("||")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(tag_hash)
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    if hashes.is_empty() {
        Filter::All
    } else {
        Filter::Tags(hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `*`, empty and `A || B` parse as RocketMQ does.
    #[test]
    fn tag_expressions() {
        assert_eq!(Filter::parse(ExpressionType::Tag, "*"), Ok(Filter::All));
        assert_eq!(Filter::parse(ExpressionType::Tag, " "), Ok(Filter::All));
        let f = Filter::parse(ExpressionType::Tag, "TagA || TagB").unwrap();
        assert!(f.matches(tag_hash("TagA")));
        assert!(f.matches(tag_hash("TagB")));
        assert!(!f.matches(tag_hash("TagC")));
        assert!(
            !f.matches(0),
            "untagged messages do not match a tag subscription"
        );
    }
}
