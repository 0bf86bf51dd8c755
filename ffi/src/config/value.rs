//! Parsing one config value for its key, with errors that name both.

use crate::error::FfiError;
use crate::runtime::FERROCKET_CLIENT_THREADS_MAX;

use super::ConsumeFromSetting;

/// A value being parsed for a key, for errors that name both.
pub(crate) struct Value<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: &'a str,
}

impl Value<'_> {
    pub(crate) fn bad(&self, expected: &str) -> FfiError {
        FfiError::invalid(format!(
            "config key `{}`: `{}` is not {expected}",
            self.key,
            self.value.escape_debug()
        ))
    }

    pub(crate) fn text(&self) -> Result<String, FfiError> {
        let v = self.value.trim();
        if v.is_empty() {
            return Err(self.bad("a non-empty value"));
        }
        Ok(v.to_owned())
    }

    pub(crate) fn number<N: std::str::FromStr>(&self) -> Result<N, FfiError> {
        self.value
            .trim()
            .parse()
            .map_err(|_| self.bad("a whole number in range"))
    }

    /// A whole number of at least 1.
    pub(crate) fn positive<N: std::str::FromStr + Default + PartialEq>(
        &self,
    ) -> Result<N, FfiError> {
        match self.number::<N>() {
            Ok(n) if n != N::default() => Ok(n),
            _ => Err(self.bad("a whole number of at least 1")),
        }
    }

    /// A byte count, or `off` (also `none`, `never`) for `usize::MAX`: never reached.
    pub(crate) fn bytes_or_off(&self) -> Result<usize, FfiError> {
        match self.value.trim().to_ascii_lowercase().as_str() {
            "off" | "none" | "never" => Ok(usize::MAX),
            _ => self.number().map_err(|_| self.bad("a byte count or `off`")),
        }
    }

    pub(crate) fn threads(&self) -> Result<usize, FfiError> {
        match self.number::<usize>()? {
            n @ 1..=FERROCKET_CLIENT_THREADS_MAX => Ok(n),
            _ => Err(self.bad("1..=64")),
        }
    }

    pub(crate) fn boolean(&self) -> Result<bool, FfiError> {
        match self.value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(self.bad("true or false")),
        }
    }

    /// `last_offset`, `first_offset`, `timestamp`, or RocketMQ's `CONSUME_FROM_…` spellings.
    pub(crate) fn consume_from(&self) -> Result<ConsumeFromSetting, FfiError> {
        let v = self.value.trim().to_ascii_lowercase();
        match v.strip_prefix("consume_from_").unwrap_or(&v) {
            "last_offset" => Ok(ConsumeFromSetting::LastOffset),
            "first_offset" => Ok(ConsumeFromSetting::FirstOffset),
            "timestamp" => Ok(ConsumeFromSetting::Timestamp),
            _ => Err(self.bad("last_offset, first_offset or timestamp")),
        }
    }
}
