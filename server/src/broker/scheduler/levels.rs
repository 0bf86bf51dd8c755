//! Delay levels as configured (`message_delay_level = "1s 5s 10s ..."`), and the defaults of the
//! delivery scheduler's settings.

/// RocketMQ's `messageDelayLevel`.
pub const MESSAGE_DELAY_LEVEL_DEFAULT: &str =
    "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
/// RocketMQ's `timerMaxDelaySec`: 3 days.
pub const TIMER_MAX_DELAY_MS_DEFAULT: u64 = 3 * 24 * 3_600_000;
/// Most delay levels a broker may configure (the record's level is one byte).
const DELAY_LEVEL_COUNT_LIMIT: usize = 255;

/// Parses space-separated durations with units `ms`, `s`, `m`, `h` or `d` into milliseconds.
pub fn parse_delay_levels(text: &str) -> Result<Vec<u64>, String> {
    let levels = text
        .split_whitespace()
        .map(parse_duration_ms)
        .collect::<Result<Vec<u64>, String>>()?;
    if levels.is_empty() || levels.len() > DELAY_LEVEL_COUNT_LIMIT {
        return Err(format!(
            "needs 1..={DELAY_LEVEL_COUNT_LIMIT} levels, has {}",
            levels.len()
        ));
    }
    Ok(levels)
}

fn parse_duration_ms(token: &str) -> Result<u64, String> {
    let split = token
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{token}` has no unit (ms, s, m, h or d)"))?;
    let (number, unit) = token.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{token}` does not start with a number"))?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "`{token}`: unknown unit `{unit}` (ms, s, m, h or d)"
            ));
        }
    };
    number
        .checked_mul(unit_ms)
        .ok_or_else(|| format!("`{token}` is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default table parses to RocketMQ's 18 levels; units and errors are as documented.
    #[test]
    fn parses_levels() {
        let levels = parse_delay_levels(MESSAGE_DELAY_LEVEL_DEFAULT).unwrap();
        assert_eq!(levels.len(), 18);
        assert_eq!(levels[0], 1_000);
        assert_eq!(levels[17], 7_200_000);
        assert_eq!(
            parse_delay_levels("100ms 2s 1m 1h 1d").unwrap(),
            vec![100, 2_000, 60_000, 3_600_000, 86_400_000]
        );
        assert!(parse_delay_levels("").is_err());
        assert!(parse_delay_levels("5").is_err());
        assert!(parse_delay_levels("5y").is_err());
        assert!(parse_delay_levels("s").is_err());
    }
}
