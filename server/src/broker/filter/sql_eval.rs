//! Evaluating a parsed SQL92 filter against one message's properties, with SQL's three-valued
//! logic: a missing property is NULL, a comparison involving NULL (or values that cannot be
//! compared) is *unknown*, `NOT unknown` is unknown, and only a *true* result matches.
//!
//! Property values are strings. Compared with a number literal, a value is read as a number
//! (an integer, else a decimal); one that is not a number makes the comparison unknown.
//! Compared with a string literal, values compare as strings (byte order for `<` and `>`).
//! Two properties compare as numbers when both read as numbers, else as strings. A boolean
//! literal matches the values `true` and `false` (any case). Recursion follows the tree, whose
//! depth the parser bounds by `SQL_EXPRESSION_DEPTH_MAX`.

use std::cmp::Ordering;

use crate::broker::filter::sql::{CmpOp, Expr, Literal, Operand, StrOp};

/// Where a filter reads a message's properties from.
pub trait Properties {
    /// The value of a property; `TAGS` is the tag. `None` when the message has none.
    fn property(&self, name: &str) -> Option<&str>;
}

/// A value while evaluating.
#[derive(Debug, Clone, Copy)]
enum Val<'a> {
    Null,
    /// A property's string value, typed by what it is compared with.
    Text(&'a str),
    Int(i64),
    Float(f64),
    Str(&'a str),
    Bool(bool),
}

/// Whether the message matches: the expression is *true* for it.
pub fn matches(expr: &Expr, props: &dyn Properties) -> bool {
    eval(expr, props) == Some(true)
}

fn eval(expr: &Expr, props: &dyn Properties) -> Option<bool> {
    match expr {
        Expr::Or(any) => fold3(any, props, true),
        Expr::And(all) => fold3(all, props, false),
        Expr::Not(inner) => eval(inner, props).map(|b| !b),
        Expr::Cmp(left, op, right) => compare(value(left, props), *op, value(right, props)),
        Expr::Between {
            value: v,
            low,
            high,
            negated,
        } => {
            let v = value(v, props);
            let above = compare(v, CmpOp::Ge, value(low, props));
            let below = compare(v, CmpOp::Le, value(high, props));
            and3(above, below).map(|b| b != *negated)
        }
        Expr::In {
            value: v,
            list,
            negated,
        } => in_list(value(v, props), list).map(|b| b != *negated),
        Expr::IsNull { value: v, negated } => {
            Some(matches!(value(v, props), Val::Null) != *negated)
        }
        Expr::Str {
            value: v,
            op,
            pattern,
            negated,
        } => {
            let (Val::Text(s) | Val::Str(s)) = value(v, props) else {
                return None;
            };
            let hit = match op {
                StrOp::Contains => s.contains(pattern.as_str()),
                StrOp::StartsWith => s.starts_with(pattern.as_str()),
                StrOp::EndsWith => s.ends_with(pattern.as_str()),
            };
            Some(hit != *negated)
        }
        Expr::Truth(v) => match value(v, props) {
            Val::Bool(b) => Some(b),
            Val::Text(s) => text_bool(s),
            _ => None,
        },
    }
}

/// `OR` (`decisive` = true) or `AND` (`decisive` = false) of a list in three-valued logic:
/// the decisive value wins at once, else any unknown makes the result unknown.
fn fold3(items: &[Expr], props: &dyn Properties, decisive: bool) -> Option<bool> {
    let mut result = Some(!decisive);
    for e in items {
        match eval(e, props) {
            Some(b) if b == decisive => return Some(decisive),
            None => result = None,
            Some(_) => {}
        }
    }
    result
}

fn in_list(v: Val<'_>, list: &[Literal]) -> Option<bool> {
    if matches!(v, Val::Null) {
        return None;
    }
    let mut found = Some(false);
    for item in list {
        match compare(v, CmpOp::Eq, literal(item)) {
            Some(true) => return Some(true),
            None => found = None,
            Some(false) => {}
        }
    }
    found
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn value<'a>(operand: &'a Operand, props: &'a dyn Properties) -> Val<'a> {
    match operand {
        Operand::Literal(l) => literal(l),
        Operand::Property(name) => props.property(name).map_or(Val::Null, Val::Text),
    }
}

fn literal(l: &Literal) -> Val<'_> {
    match l {
        Literal::Int(v) => Val::Int(*v),
        Literal::Float(v) => Val::Float(*v),
        Literal::Str(s) => Val::Str(s),
        Literal::Bool(b) => Val::Bool(*b),
        Literal::Null => Val::Null,
    }
}

fn compare(left: Val<'_>, op: CmpOp, right: Val<'_>) -> Option<bool> {
    let ordering = order(left, right)?;
    Some(match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
    })
}

/// How two values order, or `None` when they cannot be compared (NULL, or mixed types).
fn order(left: Val<'_>, right: Val<'_>) -> Option<Ordering> {
    use Val::{Bool, Float, Int, Null, Str, Text};
    match (left, right) {
        (Null, _) | (_, Null) => None,
        (Text(a), Text(b)) => match (number(a), number(b)) {
            (Some(x), Some(y)) => order(x, y),
            _ => Some(a.cmp(b)),
        },
        (Text(a) | Str(a), Str(b)) | (Str(a), Text(b)) => Some(a.cmp(b)),
        (Text(t), n @ (Int(_) | Float(_))) => order(number(t)?, n),
        (n @ (Int(_) | Float(_)), Text(t)) => order(n, number(t)?),
        (Int(a), Int(b)) => Some(a.cmp(&b)),
        (Int(a), Float(b)) => (a as f64).partial_cmp(&b),
        (Float(a), Int(b)) => a.partial_cmp(&(b as f64)),
        (Float(a), Float(b)) => a.partial_cmp(&b),
        (Bool(a), Bool(b)) => Some(a.cmp(&b)),
        (Text(t), Bool(b)) => Some(text_bool(t)?.cmp(&b)),
        (Bool(b), Text(t)) => Some(b.cmp(&text_bool(t)?)),
        _ => None,
    }
}

/// A property value read as a number: an integer, else a finite decimal.
fn number(text: &str) -> Option<Val<'static>> {
    let text = text.trim();
    if let Ok(v) = text.parse::<i64>() {
        return Some(Val::Int(v));
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Val::Float)
}

fn text_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::broker::filter::sql::parse;

    struct Map(HashMap<&'static str, &'static str>);

    impl Properties for Map {
        fn property(&self, name: &str) -> Option<&str> {
            self.0.get(name).copied()
        }
    }

    fn check(expr: &str, props: &[(&'static str, &'static str)]) -> bool {
        let expr = parse(expr).unwrap();
        matches(&expr, &Map(props.iter().copied().collect()))
    }

    /// Comparisons read property strings as numbers against numbers, strings against strings.
    #[test]
    fn comparisons() {
        let p = [
            ("a", "7"),
            ("region", "eu"),
            ("price", "9.5"),
            ("TAGS", "TagA"),
        ];
        assert!(check("a > 5 AND region IN ('eu','us')", &p));
        assert!(!check("a > 7", &p));
        assert!(check("a >= 7 AND a <= 7 AND a = 7 AND a <> 8", &p));
        assert!(check("price BETWEEN 9 AND 10", &p));
        assert!(check("price NOT BETWEEN 1 AND 2", &p));
        assert!(check(
            "region = 'eu' AND region <> 'us' AND region < 'zz'",
            &p
        ));
        assert!(check("TAGS = 'TagA'", &p));
        assert!(check("region STARTSWITH 'e' AND region ENDSWITH 'u'", &p));
        assert!(check("region CONTAINS 'u' AND region NOT CONTAINS 'x'", &p));
        assert!(check("TRUE", &[]) && !check("FALSE", &[]));
        assert!(!check("region = 'eu'", &[]));
    }

    /// Missing properties are NULL: comparisons are unknown, `NOT unknown` is unknown, and
    /// `IS NULL` is true.
    #[test]
    fn three_valued_logic() {
        let p = [("a", "x")];
        assert!(!check("b = 1", &p));
        assert!(!check("NOT (b = 1)", &p));
        assert!(check("b IS NULL AND a IS NOT NULL", &p));
        assert!(
            !check("a > 1", &p),
            "a non-number against a number is unknown"
        );
        assert!(!check("NOT (a > 1)", &p));
        assert!(check("b = 1 OR a = 'x'", &p));
        assert!(!check("b NOT IN ('y')", &p));
    }
}
