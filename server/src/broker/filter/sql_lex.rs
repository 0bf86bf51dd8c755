//! The tokens of a SQL92 filter expression, cut with nom.
//!
//! Tokens: identifiers (`[A-Za-z_$][A-Za-z0-9_$.]*`, keywords among them case-insensitively),
//! integers and decimals (with an optional leading `-` and exponent), `'strings'` (`''` is a
//! quote), the operators `= <> > >= < <=`, parentheses and commas. Every token keeps the byte
//! offset where it starts, so errors name a position. The token count is bounded by the
//! expression's length, which the caller bounds by `EXPRESSION_LEN_MAX`.

use nom::IResult;
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;

use crate::broker::filter::sql::SqlError;

/// A keyword of the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `NOT`
    Not,
    /// `BETWEEN`
    Between,
    /// `IN`
    In,
    /// `IS`
    Is,
    /// `NULL`
    Null,
    /// `TRUE`
    True,
    /// `FALSE`
    False,
    /// `CONTAINS`
    Contains,
    /// `STARTSWITH`
    StartsWith,
    /// `ENDSWITH`
    EndsWith,
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A property name (`TAGS` is the message's tag).
    Ident(String),
    /// A keyword.
    Kw(Keyword),
    /// An integer literal.
    Int(i64),
    /// A decimal literal.
    Float(f64),
    /// A string literal, unquoted.
    Str(String),
    /// `=`, `<>`, `>`, `>=`, `<` or `<=`.
    Op(&'static str),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Byte offset in the expression.
    pub at: usize,
}

type LexResult<'a, T> = IResult<&'a str, T, nom::error::Error<&'a str>>;

/// Cuts `text` into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Token>, SqlError> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(out);
        }
        let at = text.len() - rest.len();
        let (next, tok) = token(rest).map_err(|_| SqlError::at(text, at, unexpected(rest)))?;
        assert!(next.len() < rest.len(), "a token consumes input");
        let name_char = |c: char| c.is_ascii_alphabetic() || c == '_' || c == '$';
        if matches!(tok, Tok::Int(_) | Tok::Float(_)) && next.starts_with(name_char) {
            return Err(SqlError::at(text, at, "a number runs into a name"));
        }
        out.push(Token { tok, at });
        rest = next;
    }
}

fn unexpected(rest: &str) -> String {
    match rest.chars().next() {
        Some('\'') => "a string literal is not closed".into(),
        Some(c) => format!("unexpected character {c:?}"),
        None => "unexpected end".into(),
    }
}

fn token(i: &str) -> LexResult<'_, Tok> {
    alt((string_literal, number, operator, punctuation, word)).parse(i)
}

fn word(i: &str) -> LexResult<'_, Tok> {
    let start = take_while1(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$');
    let tail = take_while(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.');
    let (i, name) = recognize(pair(start, tail)).parse(i)?;
    Ok((
        i,
        keyword(name).map_or_else(|| Tok::Ident(name.to_owned()), Tok::Kw),
    ))
}

fn keyword(name: &str) -> Option<Keyword> {
    let k = match name.to_ascii_uppercase().as_str() {
        "AND" => Keyword::And,
        "OR" => Keyword::Or,
        "NOT" => Keyword::Not,
        "BETWEEN" => Keyword::Between,
        "IN" => Keyword::In,
        "IS" => Keyword::Is,
        "NULL" => Keyword::Null,
        "TRUE" => Keyword::True,
        "FALSE" => Keyword::False,
        "CONTAINS" => Keyword::Contains,
        "STARTSWITH" => Keyword::StartsWith,
        "ENDSWITH" => Keyword::EndsWith,
        _ => return None,
    };
    Some(k)
}

fn number(i: &str) -> LexResult<'_, Tok> {
    let fraction = pair(char('.'), digit1);
    let exponent = (one_of("eE"), opt(one_of("+-")), digit1);
    let (rest, text) =
        recognize((opt(char('-')), digit1, opt(fraction), opt(exponent))).parse(i)?;
    let fail = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Digit));
    let is_int = !text.contains(['.', 'e', 'E']);
    let tok = if is_int {
        Tok::Int(text.parse().map_err(|_| fail())?)
    } else {
        let value: f64 = text.parse().map_err(|_| fail())?;
        if !value.is_finite() {
            return Err(fail());
        }
        Tok::Float(value)
    };
    Ok((rest, tok))
}

fn string_literal(i: &str) -> LexResult<'_, Tok> {
    let (mut rest, _) = char('\'').parse(i)?;
    let mut value = String::new();
    loop {
        let (after, chunk) = take_while(|c| c != '\'').parse(rest)?;
        value.push_str(chunk);
        let (after, _) = char('\'').parse(after)?;
        match after.strip_prefix('\'') {
            Some(more) => {
                value.push('\'');
                rest = more;
            }
            None => return Ok((after, Tok::Str(value))),
        }
    }
}

fn operator(i: &str) -> LexResult<'_, Tok> {
    let (rest, op) = alt((
        tag("<>"),
        tag(">="),
        tag("<="),
        tag("="),
        tag(">"),
        tag("<"),
    ))
    .parse(i)?;
    let op = match op {
        "<>" => "<>",
        ">=" => ">=",
        "<=" => "<=",
        "=" => "=",
        ">" => ">",
        _ => "<",
    };
    Ok((rest, Tok::Op(op)))
}

fn punctuation(i: &str) -> LexResult<'_, Tok> {
    let (rest, c) = one_of("(),").parse(i)?;
    let tok = match c {
        '(' => Tok::LParen,
        ')' => Tok::RParen,
        _ => Tok::Comma,
    };
    Ok((rest, tok))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    /// Keywords are case-insensitive, strings unescape `''`, numbers keep their kind.
    #[test]
    fn tokens() {
        assert_eq!(
            toks("a >= -5 and b IN ('x''y', 2.5e1)"),
            vec![
                Tok::Ident("a".into()),
                Tok::Op(">="),
                Tok::Int(-5),
                Tok::Kw(Keyword::And),
                Tok::Ident("b".into()),
                Tok::Kw(Keyword::In),
                Tok::LParen,
                Tok::Str("x'y".into()),
                Tok::Comma,
                Tok::Float(25.0),
                Tok::RParen,
            ]
        );
    }

    /// A bad character and an unclosed string are errors naming their position.
    #[test]
    fn lexical_errors() {
        let err = tokenize("a = 'x").unwrap_err();
        assert_eq!(err.position, 5, "{err}");
        let err = tokenize("a # b").unwrap_err();
        assert_eq!(err.position, 3, "{err}");
        assert!(tokenize("a = 99999999999999999999").is_err());
    }
}
