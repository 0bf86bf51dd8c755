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
