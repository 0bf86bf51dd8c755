//! Subscription filters the broker applies before a message goes to a consumer.
//!
//! A tag expression is `*` (or empty) for every message, else tags joined by `||`. The broker
//! compares the tag hashes stored in consume-queue entries, before reading the commit log;
//! clients re-check the tag strings because different tags can share a hash.
//!
//! A SQL92 expression (`sql`: parser, `sql_eval`: evaluation) is a condition over the
//! message's properties and `TAGS`; it needs the record, so the broker evaluates it on each
//! record read from the commit log (`Filter::matches_record`) and a pull carries only the
//! records for which it is true.

pub mod sql;
pub mod sql_eval;
pub mod sql_lex;

use std::sync::Arc;

use ferrocket::protocol::ExpressionType;
use ferrocket::protocol::record::{RecordView, tag_hash};

pub use sql::SqlError;
pub use sql_eval::Properties;

/// A parsed subscription filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every message.
    All,
    /// Messages whose tag hash is one of these.
    Tags(Vec<u64>),
    /// Messages for which the SQL92 condition is true.
    Sql(Arc<sql::Expr>),
}

impl Filter {
    /// Parses a subscription expression; a bad SQL92 expression names the position.
    pub fn parse(expression_type: ExpressionType, expression: &str) -> Result<Filter, String> {
        match expression_type {
            ExpressionType::Tag => Ok(parse_tags(expression)),
            ExpressionType::Sql92 => sql::parse(expression)
                .map(|expr| Filter::Sql(Arc::new(expr)))
                .map_err(|e| e.to_string()),
        }
    }

    /// Whether a consume-queue entry with this tag hash may pass (SQL filters decide on the
    /// record).
    pub fn matches(&self, tag_hash: u64) -> bool {
        match self {
            Filter::All | Filter::Sql(_) => true,
            Filter::Tags(hashes) => hashes.contains(&tag_hash),
        }
    }

    /// Whether the filter needs each record (`matches_record`) beyond the tag hash.
    pub fn needs_record(&self) -> bool {
        matches!(self, Filter::Sql(_))
    }

    /// Whether a record passes: the tag hash for tag filters, the condition for SQL92.
    pub fn matches_record(&self, record: &RecordView<'_>) -> bool {
        match self {
            Filter::All => true,
            Filter::Tags(hashes) => hashes.contains(&tag_hash(record.tags)),
            Filter::Sql(expr) => sql_eval::matches(expr, &RecordProperties(record)),
        }
    }
}

/// A record's properties, with `TAGS` for its tag.
struct RecordProperties<'a, 'b>(&'a RecordView<'b>);

impl Properties for RecordProperties<'_, '_> {
    fn property(&self, name: &str) -> Option<&str> {
        if name == "TAGS" {
            return (!self.0.tags.is_empty()).then_some(self.0.tags);
        }
        self.0
            .properties()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
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
