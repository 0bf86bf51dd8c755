//! SQL92 filter expressions: RocketMQ's subset (`MessageSelector.bySql`), parsed into an
//! `Expr` tree by recursive descent over the tokens of `sql_lex`.
//!
//! ```text
//! expr      := and ( OR and )*
//! and       := not ( AND not )*
//! not       := NOT not | predicate
//! predicate := '(' expr ')'
//!            | operand ( op operand | [NOT] BETWEEN operand AND operand
//!                      | [NOT] IN '(' literal (',' literal)* ')' | IS [NOT] NULL
//!                      | [NOT] (CONTAINS | STARTSWITH | ENDSWITH) 'string' )
//!            | TRUE | FALSE | identifier
//! operand   := identifier | number | 'string' | TRUE | FALSE | NULL
//! op        := = | <> | > | >= | < | <=
//! ```
//!
//! Identifiers name message properties; `TAGS` is the message's tag. Each `(` and each `NOT`
//! is one level of nesting, and no expression may nest deeper than `SQL_EXPRESSION_DEPTH_MAX`:
//! the parser (and the evaluator, which recurses along the same tree) therefore uses a bounded
//! stack whatever the input. `AND` and `OR` chains are flat lists, not nested nodes. Errors
//! name the 1-based character position where the problem starts.

use ferrocket::limits::SQL_EXPRESSION_DEPTH_MAX;

use crate::broker::filter::sql_lex::{Keyword, Tok, Token, tokenize};

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SQL92 expression at position {position}: {message}")]
#[non_exhaustive]
pub struct SqlError {
    /// 1-based character position in the expression.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

impl SqlError {
    /// An error at byte offset `at` of `text`.
    pub fn at(text: &str, at: usize, message: impl Into<String>) -> SqlError {
        let at = at.min(text.len());
        let chars_before = text.char_indices().take_while(|(i, _)| *i < at).count();
        SqlError {
            position: chars_before + 1,
            message: message.into(),
        }
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// An integer.
    Int(i64),
    /// A decimal.
    Float(f64),
    /// A string.
    Str(String),
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// `NULL`.
    Null,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A literal.
    Literal(Literal),
    /// A property (or `TAGS`).
    Property(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

/// A string test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOp {
    /// `CONTAINS`
    Contains,
    /// `STARTSWITH`
    StartsWith,
    /// `ENDSWITH`
    EndsWith,
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Any of the conditions.
    Or(Vec<Expr>),
    /// All of the conditions.
    And(Vec<Expr>),
    /// The negation.
    Not(Box<Expr>),
    /// `left op right`.
    Cmp(Operand, CmpOp, Operand),
    /// `value [NOT] BETWEEN low AND high`.
    Between {
        /// The tested value.
        value: Operand,
        /// Lower bound, inclusive.
        low: Operand,
        /// Upper bound, inclusive.
        high: Operand,
        /// `NOT BETWEEN`.
        negated: bool,
    },
    /// `value [NOT] IN (list)`.
    In {
        /// The tested value.
        value: Operand,
        /// The candidates.
        list: Vec<Literal>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `value IS [NOT] NULL`.
    IsNull {
        /// The tested value.
        value: Operand,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `value [NOT] CONTAINS|STARTSWITH|ENDSWITH 'pattern'`.
    Str {
        /// The tested value.
        value: Operand,
        /// Which test.
        op: StrOp,
        /// The string searched for.
        pattern: String,
        /// The negated form.
        negated: bool,
    },
    /// A boolean on its own: `TRUE`, `FALSE`, or a property holding `true`/`false`.
    Truth(Operand),
}

/// Parses a SQL92 filter expression.
pub fn parse(text: &str) -> Result<Expr, SqlError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(SqlError::at(text, 0, "the expression is empty"));
    }
    let mut parser = Parser {
        text,
        tokens,
        next: 0,
    };
    let expr = parser.expr(0)?;
    match parser.peek() {
        None => Ok(expr),
        Some(t) => Err(parser.error_at(t.at, format!("unexpected {}", describe(&t.tok)))),
    }
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    next: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn peek_kw(&self, kw: Keyword) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Kw(k), .. }) if *k == kw)
    }

    fn eat_kw(&mut self, kw: Keyword) -> bool {
        let found = self.peek_kw(kw);
        if found {
            self.next += 1;
        }
        found
    }

    fn take(&mut self, wanted: &str) -> Result<Token, SqlError> {
        match self.tokens.get(self.next) {
            Some(t) => {
                self.next += 1;
                Ok(t.clone())
            }
            None => {
                Err(self.error_at(self.text.len(), format!("expected {wanted}, found the end")))
            }
        }
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> SqlError {
        SqlError::at(self.text, at, message)
    }

    fn here(&self) -> usize {
        self.peek().map_or(self.text.len(), |t| t.at)
    }

    fn deeper(&self, depth: usize) -> Result<usize, SqlError> {
        if depth >= SQL_EXPRESSION_DEPTH_MAX {
            return Err(self.error_at(
                self.here(),
                format!("the expression nests deeper than {SQL_EXPRESSION_DEPTH_MAX} levels"),
            ));
        }
        Ok(depth + 1)
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, SqlError> {
        let mut any = vec![self.and(depth)?];
        while self.eat_kw(Keyword::Or) {
            any.push(self.and(depth)?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Expr::Or(any)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, SqlError> {
        let mut all = vec![self.not(depth)?];
        while self.eat_kw(Keyword::And) {
            all.push(self.not(depth)?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Expr::And(all)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Expr, SqlError> {
        if self.eat_kw(Keyword::Not) {
            let depth = self.deeper(depth)?;
            return Ok(Expr::Not(Box::new(self.not(depth)?)));
        }
        self.predicate(depth)
    }

    fn predicate(&mut self, depth: usize) -> Result<Expr, SqlError> {
        if matches!(
            self.peek(),
            Some(Token {
                tok: Tok::LParen,
                ..
            })
        ) {
            let depth = self.deeper(depth)?;
            self.next += 1;
            let inner = self.expr(depth)?;
            let close = self.take("`)`")?;
            if close.tok != Tok::RParen {
                return Err(self.error_at(
                    close.at,
                    format!("expected `)`, found {}", describe(&close.tok)),
                ));
            }
            return Ok(inner);
        }
        let start = self.here();
        let value = self.operand()?;
        self.after_operand(value, start)
    }

    fn after_operand(&mut self, value: Operand, start: usize) -> Result<Expr, SqlError> {
        let Some(token) = self.peek().cloned() else {
            return self.truth(value, start);
        };
        match token.tok {
            Tok::Op(op) => {
                self.next += 1;
                let right = self.operand()?;
                Ok(Expr::Cmp(value, cmp_op(op), right))
            }
            Tok::Kw(Keyword::Is) => {
                self.next += 1;
                let negated = self.eat_kw(Keyword::Not);
                if !self.eat_kw(Keyword::Null) {
                    return Err(self.error_at(self.here(), "expected NULL after IS"));
                }
                Ok(Expr::IsNull { value, negated })
            }
            Tok::Kw(Keyword::Not) => {
                self.next += 1;
                self.negatable(value, true)
            }
            Tok::Kw(Keyword::Between | Keyword::In)
            | Tok::Kw(Keyword::Contains | Keyword::StartsWith | Keyword::EndsWith) => {
                self.negatable(value, false)
            }
            _ => self.truth(value, start),
        }
    }

    fn truth(&self, value: Operand, start: usize) -> Result<Expr, SqlError> {
        match value {
            Operand::Literal(Literal::Bool(_)) | Operand::Property(_) => Ok(Expr::Truth(value)),
            Operand::Literal(_) => Err(self.error_at(start, "a literal is not a condition")),
        }
    }

    fn negatable(&mut self, value: Operand, negated: bool) -> Result<Expr, SqlError> {
        let token = self.take("BETWEEN, IN, CONTAINS, STARTSWITH or ENDSWITH")?;
        match token.tok {
            Tok::Kw(Keyword::Between) => {
                let low = self.operand()?;
                if !self.eat_kw(Keyword::And) {
                    return Err(self.error_at(self.here(), "expected AND in BETWEEN"));
                }
                let high = self.operand()?;
                Ok(Expr::Between {
                    value,
                    low,
                    high,
                    negated,
                })
            }
            Tok::Kw(Keyword::In) => Ok(Expr::In {
                value,
                list: self.in_list()?,
                negated,
            }),
            Tok::Kw(k @ (Keyword::Contains | Keyword::StartsWith | Keyword::EndsWith)) => {
                let pattern = self.take("a string")?;
                let Tok::Str(pattern) = pattern.tok else {
                    return Err(self.error_at(pattern.at, "expected a string literal"));
                };
                let op = match k {
                    Keyword::Contains => StrOp::Contains,
                    Keyword::StartsWith => StrOp::StartsWith,
                    _ => StrOp::EndsWith,
                };
                Ok(Expr::Str {
                    value,
                    op,
                    pattern,
                    negated,
                })
            }
            other => Err(self.error_at(
                token.at,
                format!(
                    "expected BETWEEN, IN, CONTAINS, STARTSWITH or ENDSWITH, found {}",
                    describe(&other)
                ),
            )),
        }
    }

    fn in_list(&mut self) -> Result<Vec<Literal>, SqlError> {
        let open = self.take("`(`")?;
        if open.tok != Tok::LParen {
            return Err(self.error_at(open.at, "expected `(` after IN"));
        }
        let mut list = Vec::new();
        loop {
            let token = self.take("a literal")?;
            match literal(&token.tok) {
                Some(Literal::Null) | None => {
                    return Err(self.error_at(
                        token.at,
                        format!(
                            "expected a literal in the IN list, found {}",
                            describe(&token.tok)
                        ),
                    ));
                }
                Some(value) => list.push(value),
            }
            let sep = self.take("`,` or `)`")?;
            match sep.tok {
                Tok::Comma => {}
                Tok::RParen => return Ok(list),
                other => {
                    return Err(self.error_at(
                        sep.at,
                        format!("expected `,` or `)`, found {}", describe(&other)),
                    ));
                }
            }
        }
    }

    fn operand(&mut self) -> Result<Operand, SqlError> {
        let token = self.take("a value")?;
        if let Tok::Ident(name) = &token.tok {
            return Ok(Operand::Property(name.clone()));
        }
        literal(&token.tok).map(Operand::Literal).ok_or_else(|| {
            self.error_at(
                token.at,
                format!("expected a value, found {}", describe(&token.tok)),
            )
        })
    }
}

fn literal(tok: &Tok) -> Option<Literal> {
    Some(match tok {
        Tok::Int(v) => Literal::Int(*v),
        Tok::Float(v) => Literal::Float(*v),
        Tok::Str(v) => Literal::Str(v.clone()),
        Tok::Kw(Keyword::True) => Literal::Bool(true),
        Tok::Kw(Keyword::False) => Literal::Bool(false),
        Tok::Kw(Keyword::Null) => Literal::Null,
        _ => return None,
    })
}

fn cmp_op(op: &str) -> CmpOp {
    match op {
        "=" => CmpOp::Eq,
        "<>" => CmpOp::Ne,
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        "<" => CmpOp::Lt,
        _ => CmpOp::Le,
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(name) => format!("name `{name}`"),
        Tok::Kw(k) => format!("keyword {}", format!("{k:?}").to_ascii_uppercase()),
        Tok::Int(v) => format!("number {v}"),
        Tok::Float(v) => format!("number {v}"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Op(op) => format!("`{op}`"),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The brief's example parses into the expected tree.
    #[test]
    fn parses_the_example() {
        let expr = parse("a > 5 AND region IN ('eu','us')").unwrap();
        let want = Expr::And(vec![
            Expr::Cmp(
                Operand::Property("a".into()),
                CmpOp::Gt,
                Operand::Literal(Literal::Int(5)),
            ),
            Expr::In {
                value: Operand::Property("region".into()),
                list: vec![Literal::Str("eu".into()), Literal::Str("us".into())],
                negated: false,
            },
        ]);
        assert_eq!(expr, want);
    }

    /// Deep nesting is refused at the first level past the limit, and long flat chains are
    /// fine (they are lists, not nested nodes).
    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}a = 1{}", "(".repeat(10_000), ")".repeat(10_000));
        let err = parse(&deep).unwrap_err();
        assert_eq!(err.position, SQL_EXPRESSION_DEPTH_MAX + 1, "{err}");
        let nots = format!("{}TRUE", "NOT ".repeat(10_000));
        assert!(parse(&nots).is_err());
        let ok = format!("{}a = 1{}", "(".repeat(60), ")".repeat(60));
        assert!(parse(&ok).is_ok());
        let chain = vec!["a = 1"; 500].join(" OR ");
        assert!(parse(&chain).is_ok());
    }
}
