//! `MessageExt.fromRecord`: decodes one stored message record into the object a consumer
//! receives. The class holds only this static; received messages are plain objects (the
//! `MessageExt` interface, which TypeScript merges with this class).

use bytes::Bytes;
use napi::Env;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::invalid;
use crate::message::to_js_message;

/// Decodes stored message records (`MessageExt.fromRecord`); received messages are plain
/// objects of the `MessageExt` interface.
#[napi]
#[derive(Debug)]
pub struct MessageExt {}

#[napi]
impl MessageExt {
    /// Decodes one stored message record (both CRCs checked), as a consumer would receive it.
    #[napi]
    pub fn from_record(env: &Env, record: Buffer) -> napi::Result<crate::message::MessageExt> {
        let bytes = Bytes::copy_from_slice(&record);
        match ferrocket::protocol::record::decode_record(&bytes) {
            Ok(ext) => Ok(to_js_message(ext)),
            Err(e) => Err(invalid(env, format!("not a valid record: {e}"))),
        }
    }
}
