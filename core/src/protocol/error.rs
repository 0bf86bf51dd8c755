//! Errors of the sans-IO codec.
//!
//! Decoding never panics: every way a peer's bytes can be wrong maps to one `DecodeError`
//! variant that names the field. Encoding checks the same limits, so our own clients cannot
//! produce frames our server would reject.

/// Why bytes from a peer could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The length prefix announces more than `FRAME_LEN_MAX` bytes.
    #[error("frame of {len} bytes is over the limit of {max}")]
    FrameTooLong {
        /// Announced frame length.
        len: u32,
        /// The limit it broke.
        max: u32,
    },
    /// The frame ended before `field` was complete.
    #[error("frame truncated in field `{field}`")]
    Truncated {
        /// Field being read.
        field: &'static str,
    },
    /// A length or count in `field` is over its maximum.
    #[error("field `{field}` has length {len}, over the limit of {max}")]
    TooLong {
        /// Field being read.
        field: &'static str,
        /// Announced length or count.
        len: usize,
        /// The limit it broke.
        max: usize,
    },
    /// `field` holds bytes that are not UTF-8.
    #[error("field `{field}` is not valid UTF-8")]
    InvalidUtf8 {
        /// Field being read.
        field: &'static str,
    },
    /// `field` holds a value outside its documented range.
    #[error("field `{field}` has invalid value {value}")]
    InvalidValue {
        /// Field being read.
        field: &'static str,
        /// The offending value.
        value: u64,
    },
    /// Bytes were left after the last field of a body.
    #[error("{count} unexpected bytes after the last field")]
    TrailingBytes {
        /// Number of bytes left over.
        count: usize,
    },
    /// The frame kind byte is not request, response or oneway.
    #[error("unknown frame kind {0}")]
    UnknownFrameKind(u8),
    /// The api key is not one this side knows.
    #[error("unsupported api key {0}")]
    UnsupportedApi(u16),
    /// The api key is known but not at this version.
    #[error("unsupported version {version} of api key {api_key}")]
    UnsupportedVersion {
        /// Api key of the frame.
        api_key: u16,
        /// Version asked for.
        version: u16,
    },
    /// A message record failed its magic, size or CRC check.
    #[error("corrupt record: {0}")]
    CorruptRecord(&'static str),
}

/// Why a value could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A string, byte array or list in `field` is longer than its maximum.
    #[error("field `{field}` has length {len}, over the limit of {max}")]
    TooLong {
        /// Field being written.
        field: &'static str,
        /// Its length or count.
        len: usize,
        /// The limit it broke.
        max: usize,
    },
    /// `field` holds a value the wire format cannot carry.
    #[error("field `{field}` is invalid: {reason}")]
    Invalid {
        /// Field being written.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}
