//! What the client commands print: aligned text tables, flat JSON written by hand (the
//! binary carries no JSON library; every object it prints is flat or an array of flat
//! objects), UTC timestamps, and line output that stops cleanly when stdout is closed
//! (`ferrocket consume … | head`).

use std::fmt::Write as _;
use std::io::Write as _;

/// Writes one line to stdout; an error means stdout is gone (a closed pipe) and the caller
/// should stop producing output.
pub fn line(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| format!("cannot write to stdout: {e}"))
}

/// Writes a block of text (already ending in a newline, or not) to stdout.
pub fn block(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}

/// A flat JSON object built field by field.
#[derive(Debug)]
pub struct JsonObject {
    out: String,
}

impl Default for JsonObject {
    fn default() -> JsonObject {
        JsonObject::new()
    }
}

impl JsonObject {
    /// An empty object.
    pub fn new() -> JsonObject {
        JsonObject {
            out: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        push_string(&mut self.out, key);
        self.out.push(':');
    }

    /// A string field.
    pub fn str(mut self, key: &str, value: &str) -> JsonObject {
        self.key(key);
        push_string(&mut self.out, value);
        self
    }

    /// An unsigned integer field.
    pub fn uint(mut self, key: &str, value: u64) -> JsonObject {
        self.key(key);
        let _ = write!(self.out, "{value}");
        self
    }

    /// A number field with `decimals` digits after the point (`null` when not finite).
    pub fn float(mut self, key: &str, value: f64, decimals: usize) -> JsonObject {
        self.key(key);
        if value.is_finite() {
            let _ = write!(self.out, "{value:.decimals$}");
        } else {
            self.out.push_str("null");
        }
        self
    }

    /// A boolean field.
    pub fn bool(mut self, key: &str, value: bool) -> JsonObject {
        self.key(key);
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    /// A field whose value is already JSON (an array of flat objects).
    pub fn raw(mut self, key: &str, json: &str) -> JsonObject {
        self.key(key);
        self.out.push_str(json);
        self
    }

    /// The object's text.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A JSON array of already-rendered values.
pub fn json_array(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("[{}]", items.join(","))
}

/// Appends `s` as a JSON string literal.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A text table: a header row and left-aligned columns separated by two spaces.
#[derive(Debug)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            rows: vec![headers.iter().map(|h| (*h).to_owned()).collect()],
        }
    }

    /// Adds a row (missing cells print empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table's text, one line per row, each ending in a newline.
    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0usize; columns];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &self.rows {
            let mut text = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    text.push_str(cell);
                } else {
                    let _ = write!(text, "{cell:<width$}  ", width = widths[i]);
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`; `-` for 0 (never).
pub fn utc_ms(ms: u64) -> String {
    if ms == 0 {
        return "-".to_owned();
    }
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let (year, month, day) = civil_from_days(days);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Objects are flat, comma-separated, with escaped strings and `null` for non-finite numbers.
    #[test]
    fn json_object_shape() {
        let text = JsonObject::new()
            .str("topic", "a\"b\\c\n")
            .uint("count", 3)
            .float("rate", 1.26, 1)
            .float("bad", f64::NAN, 1)
            .bool("order", false)
            .finish();
        assert_eq!(
            text,
            r#"{"topic":"a\"b\\c\n","count":3,"rate":1.3,"bad":null,"order":false}"#
        );
        assert_eq!(JsonObject::new().finish(), "{}");
        assert_eq!(
            json_array(vec!["{}".to_owned(), "{}".to_owned()]),
            "[{},{}]"
        );
    }

    /// Columns are padded to the widest cell and trailing blanks are trimmed.
    #[test]
    fn table_aligns_columns() {
        let mut table = Table::new(&["TOPIC", "QUEUES"]);
        table.row(vec!["Orders".into(), "8".into()]);
        assert_eq!(table.render(), "TOPIC   QUEUES\nOrders  8\n");
    }

    /// Known instants format exactly; 0 means never.
    #[test]
    fn utc_formatting() {
        assert_eq!(utc_ms(0), "-");
        assert_eq!(utc_ms(1), "1970-01-01T00:00:00.001Z");
        assert_eq!(utc_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(utc_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
