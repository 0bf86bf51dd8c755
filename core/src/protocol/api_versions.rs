//! `ApiVersions` (api key 0): the first request on every connection; each side learns which
//! api keys and versions the other speaks.
//!
//! ```text
//! request  v0: client_software:string(≤ SOFTWARE_NAME_LEN_MAX)
//!              versions: u32 count(≤ API_VERSIONS_COUNT_MAX) × (api_key:u16 min:u16 max:u16)
//! response v0: versions: u32 count(≤ API_VERSIONS_COUNT_MAX) × (api_key:u16 min:u16 max:u16)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{API_VERSIONS_COUNT_MAX, SOFTWARE_NAME_LEN_MAX};
use crate::protocol::api::{ApiKey, ApiVersionRange, Body, Request};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::wire::{self, PResult};

/// Request body of `ApiVersions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersionsRequest {
    /// Name and version of the client software, for the broker's logs.
    pub client_software: String,
    /// Versions the requester speaks.
    pub versions: Vec<ApiVersionRange>,
}

/// Response body of `ApiVersions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersionsResponse {
    /// Versions the responder speaks.
    pub versions: Vec<ApiVersionRange>,
}

const RANGE_LEN: usize = 6;

fn put_ranges(out: &mut BytesMut, versions: &[ApiVersionRange]) -> Result<(), EncodeError> {
    wire::put_list(
        out,
        "versions",
        versions,
        API_VERSIONS_COUNT_MAX,
        |out, r| {
            if r.min_version > r.max_version {
                return Err(EncodeError::Invalid {
                    field: "min_version",
                    reason: "above max_version",
                });
            }
            out.put_u16(r.api_key);
            out.put_u16(r.min_version);
            out.put_u16(r.max_version);
            Ok(())
        },
    )
}

fn parse_ranges(i: &[u8]) -> PResult<'_, Vec<ApiVersionRange>> {
    wire::list(i, "versions", API_VERSIONS_COUNT_MAX, RANGE_LEN, |i| {
        let (i, api_key) = wire::u16(i, "api_key")?;
        let (i, min_version) = wire::u16(i, "min_version")?;
        let (i, max_version) = wire::u16(i, "max_version")?;
        if min_version > max_version {
            return Err(DecodeError::InvalidValue {
                field: "min_version",
                value: min_version.into(),
            });
        }
        Ok((
            i,
            ApiVersionRange {
                api_key,
                min_version,
                max_version,
            },
        ))
    })
}

impl Body for ApiVersionsRequest {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(
            out,
            "client_software",
            &self.client_software,
            SOFTWARE_NAME_LEN_MAX,
        )?;
        put_ranges(out, &self.versions)
    }

    fn decode(body: &Bytes) -> Result<ApiVersionsRequest, DecodeError> {
        let (i, client_software) = wire::string(body, "client_software", SOFTWARE_NAME_LEN_MAX)?;
        let (i, versions) = parse_ranges(i)?;
        wire::finish(i)?;
        Ok(ApiVersionsRequest {
            client_software: client_software.into(),
            versions,
        })
    }
}

impl Request for ApiVersionsRequest {
    const API_KEY: ApiKey = ApiKey::ApiVersions;
    type Response = ApiVersionsResponse;
}

impl Body for ApiVersionsResponse {
    fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        put_ranges(out, &self.versions)
    }

    fn decode(body: &Bytes) -> Result<ApiVersionsResponse, DecodeError> {
        let (i, versions) = parse_ranges(body)?;
        wire::finish(i)?;
        Ok(ApiVersionsResponse { versions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testkit::{self, Case, Cut, Wire, samples};

    fn request() -> Case<ApiVersionsRequest> {
        Case::request(samples::api_versions_request())
    }

    fn response() -> Case<ApiVersionsResponse> {
        Case::response::<ApiVersionsRequest>(samples::api_versions_response())
    }

    /// An `ApiVersions` request frame decodes to the request it was encoded from.
    #[test]
    fn request_roundtrip() {
        request().roundtrip();
    }

    /// The request matches `spec/vectors/api_versions_request.json`.
    #[test]
    fn request_golden() {
        testkit::golden("api_versions_request");
    }

    /// Every truncation of the request is incomplete or an error, never another value.
    #[test]
    fn request_truncations() {
        request().truncations();
    }

    /// Over-limit lengths and counts in the request are refused before their data arrives.
    #[test]
    fn request_over_limit() {
        let named = Wire::new().str("x").done();
        request().over_limit(&[
            Cut::string(&[], "client_software", SOFTWARE_NAME_LEN_MAX),
            Cut::u32_len(&named, "versions", API_VERSIONS_COUNT_MAX),
            Cut::count_past_end(&named, "versions", 2),
            Cut::value(
                &Wire::new().str("x").u32(1).u16(12).done(),
                &Wire::new().u16(3).u16(2).done(),
                DecodeError::InvalidValue {
                    field: "min_version",
                    value: 3,
                },
            ),
        ]);
        let mut bad = samples::api_versions_request();
        bad.client_software = testkit::long(SOFTWARE_NAME_LEN_MAX + 1);
        testkit::assert_request_refused(&bad, "client_software");
        let mut bad = samples::api_versions_request();
        bad.versions[1].min_version = 5;
        testkit::assert_request_refused(&bad, "min_version");
    }

    /// The request fed one byte at a time comes out once, whole.
    #[test]
    fn request_byte_at_a_time() {
        request().byte_at_a_time();
    }

    /// An `ApiVersions` response frame decodes to the response it was encoded from.
    #[test]
    fn response_roundtrip() {
        response().roundtrip();
    }

    /// The response matches `spec/vectors/api_versions_response.json`.
    #[test]
    fn response_golden() {
        testkit::golden("api_versions_response");
    }

    /// Every truncation of the response is incomplete or an error, never another value.
    #[test]
    fn response_truncations() {
        response().truncations();
    }

    /// Over-limit counts in the response are refused before their data arrives.
    #[test]
    fn response_over_limit() {
        response().over_limit(&[
            Cut::u32_len(&[], "versions", API_VERSIONS_COUNT_MAX),
            Cut::count_past_end(&[], "versions", 1),
        ]);
        let range = ApiVersionRange {
            api_key: 0,
            min_version: 0,
            max_version: 0,
        };
        let bad = ApiVersionsResponse {
            versions: vec![range; API_VERSIONS_COUNT_MAX + 1],
        };
        testkit::assert_response_refused::<ApiVersionsRequest>(&bad, "versions");
    }

    /// The response fed one byte at a time comes out once, whole.
    #[test]
    fn response_byte_at_a_time() {
        response().byte_at_a_time();
    }
}
