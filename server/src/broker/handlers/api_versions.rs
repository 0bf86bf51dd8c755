//! `ApiVersions`: answers with every api key and version this broker serves.

use ferrocket::protocol::api::supported_versions;
use ferrocket::protocol::{ApiVersionsRequest, ApiVersionsResponse};

use crate::broker::reply::Reply;

/// Handles `ApiVersions`.
pub fn handle(request: ApiVersionsRequest) -> Reply {
    tracing::debug!(client = %request.client_software, "api versions");
    Reply::ok(ApiVersionsResponse {
        versions: supported_versions(),
    })
}
