//! `ferrocket admin message`: find messages by key, by id (the broker's offset id or the
//! producer's unique id) or by queue and offset, and track which consumer groups consumed one;
//! and the duration and time parsers of `produce --deliver-after/--deliver-at`.

use std::time::Duration;

/// Parses a duration: a number with a unit `ms`, `s`, `m`, `h` or `d` (`1500ms`, `10s`, `2h`).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("duration `{raw}` needs a unit: ms, s, m, h or d"))?;
    let (number, unit) = raw.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("duration `{raw}` must start with a whole number"))?;
    let ms_per_unit = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "duration `{raw}` has unit `{unit}`; use ms, s, m, h or d"
            ));
        }
    };
    n.checked_mul(ms_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("duration `{raw}` is too long"))
}

/// Parses a point in time: milliseconds since the Unix epoch, or RFC 3339 in UTC
/// (`2030-01-02T03:04:05Z`, optionally with `.sss` milliseconds).
pub fn parse_time(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw
            .parse()
            .map_err(|_| format!("time `{raw}` is too large"));
    }
    let bad =
        || format!("time `{raw}` is neither epoch milliseconds nor YYYY-MM-DDTHH:MM:SS[.sss]Z");
    let body = raw
        .strip_suffix('Z')
        .or_else(|| raw.strip_suffix('z'))
        .ok_or_else(bad)?;
    let (date, time) = body.split_once(['T', 't', ' ']).ok_or_else(bad)?;
    let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
    let mut d = date.split('-');
    let (y, mo, da) = match (d.next(), d.next(), d.next(), d.next()) {
        (Some(y), Some(m), Some(d), None) => (num(y)?, num(m)?, num(d)?),
        _ => return Err(bad()),
    };
    let (hms, millis) = match time.split_once('.') {
        Some((hms, frac)) if (1..=3).contains(&frac.len()) => (
            hms,
            num(frac)? * 10u64.pow(3 - u32::try_from(frac.len()).unwrap_or(3)),
        ),
        Some(_) => return Err(bad()),
        None => (time, 0),
    };
    let mut t = hms.split(':');
    let (h, mi, s) = match (t.next(), t.next(), t.next(), t.next()) {
        (Some(h), Some(m), Some(s), None) => (num(h)?, num(m)?, num(s)?),
        _ => return Err(bad()),
    };
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return Err(bad());
    }
    if h > 23 || mi > 59 || s > 59 {
        return Err(bad());
    }
    let days = days_from_civil(y, mo, da);
    Ok(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + millis)
}

/// Days from 1970-01-01 to the given date (Howard Hinnant's algorithm, years ≥ 1970).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Durations take ms, s, m, h and d; anything else is a usage error naming the input.
    #[test]
    fn durations() {
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_duration("10").unwrap_err().contains("unit"));
        assert!(parse_duration("5y").unwrap_err().contains("`y`"));
    }

    /// Times are epoch milliseconds or RFC 3339 UTC.
    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z"), Ok(1_700_000_000_500));
        assert!(parse_time("2023-11-14T22:13:20").is_err());
        assert!(parse_time("tomorrow").is_err());
    }
}
