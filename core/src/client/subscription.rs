//! `Selector`: what a subscription selects, by tag (`*`, `TagA || TagB`) or by a SQL92
//! condition over the message's properties and `TAGS` (RocketMQ's `MessageSelector`).
//!
//! ```no_run
//! # async fn demo(consumer: &ferrocket::PullConsumer) -> Result<(), ferrocket::ClientError> {
//! use ferrocket::Selector;
//! consumer.subscribe("orders", "TagA || TagB").await?; // a &str is a tag expression
//! consumer.subscribe("audit", Selector::Sql("a > 5 AND region IN ('eu','us')".into())).await?;
//! # Ok(()) }
//! ```
//!
//! The broker parses and evaluates SQL92 conditions (on each record, before it is sent); a
//! condition it cannot parse is refused with `SUBSCRIPTION_PARSE_FAILED` naming the position,
//! when the consumer subscribes.

use crate::protocol::ExpressionType;

/// What a subscription selects.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Selector {
    /// `*` (or empty) for every message, else tags joined by `||`.
    Tag(String),
    /// A SQL92 condition over properties and `TAGS`.
    Sql(String),
}

impl Selector {
    /// Every message.
    pub fn all() -> Selector {
        Selector::Tag("*".into())
    }

    /// The wire expression type.
    pub fn expression_type(&self) -> ExpressionType {
        match self {
            Selector::Tag(_) => ExpressionType::Tag,
            Selector::Sql(_) => ExpressionType::Sql92,
        }
    }

    /// The expression text.
    pub fn expression(&self) -> &str {
        match self {
            Selector::Tag(e) | Selector::Sql(e) => e,
        }
    }
}

impl From<&str> for Selector {
    /// A tag expression.
    fn from(expression: &str) -> Selector {
        Selector::Tag(expression.to_owned())
    }
}

impl From<String> for Selector {
    /// A tag expression.
    fn from(expression: String) -> Selector {
        Selector::Tag(expression)
    }
}

impl From<&String> for Selector {
    /// A tag expression.
    fn from(expression: &String) -> Selector {
        Selector::Tag(expression.clone())
    }
}
