//! Received messages packed for the JavaScript thread: a listener hop hands over a few typed
//! arrays and string arrays instead of one napi object per message, and a JavaScript builder
//! (`BUILD_SOURCE`, part of the listener's dispatcher) makes the same plain objects `MessageExt`
//! describes with object literals, which V8 makes far faster than 22 napi property sets.
//!
//! Layout per message, in call order: `small` holds 14 u32 values (see `Packer::push`),
//! `big` six u64 values (deliverAt, queueOffset, commitLogOffset, bornTimestamp,
//! storeTimestamp, preparedTransactionOffset), `bodies` the payload bytes back to back (each
//! message's `body` is a `subarray` of it, as Node's own small Buffers share a pool), `shared`
//! the topic and host strings once per hop, and `strs` in order: the tags when present, the
//! msgId, the offsetMsgId, the keys, then each property's key and value.

use ferrocket::message::MessageExt as CoreMessageExt;
use napi::bindgen_prelude::{BigUint64Array, Buffer, FnArgs, Uint32Array};

/// Dedupes `shared` strings only while the table is this short (a linear search).
const SHARED_SEARCH_MAX: usize = 64;

/// The dispatcher's arguments: call ids, messages per call, then the packed messages.
pub(crate) type PackedArgs = FnArgs<(
    Vec<u32>,
    Vec<u32>,
    Uint32Array,
    BigUint64Array,
    Buffer,
    Vec<String>,
    Vec<String>,
)>;

/// One hop's messages being packed.
#[derive(Default)]
pub(crate) struct Packer {
    ids: Vec<u32>,
    counts: Vec<u32>,
    small: Vec<u32>,
    big: Vec<u64>,
    bodies: Vec<u8>,
    shared: Vec<String>,
    strs: Vec<String>,
}

impl Packer {
    /// Adds call `id` with its messages.
    pub(crate) fn push_call(&mut self, id: u32, msgs: Vec<CoreMessageExt>) {
        self.ids.push(id);
        self.counts
            .push(u32::try_from(msgs.len()).unwrap_or(u32::MAX));
        for msg in msgs {
            self.push(msg);
        }
    }

    fn push(&mut self, ext: CoreMessageExt) {
        let offset_msg_id = ext.offset_msg_id();
        let topic = self.shared_index(&ext.message.topic);
        let born_host = self.shared_index(&ext.born_host.to_string());
        let store_host = self.shared_index(&ext.store_host.to_string());
        let m = ext.message;
        let bits = u32::from(m.deliver_at_ms.is_some()) | (u32::from(m.tags.is_some()) << 1);
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        // flag, delayLevel, queueId, storeSize, sysFlag, reconsumeTimes, payloadCrc, body
        // length, presence bits (1: deliverAt, 2: tags), key count, property count, and the
        // `shared` indexes of topic, bornHost and storeHost.
        self.small.extend_from_slice(&[
            m.flag,
            u32::from(m.delay_level),
            ext.queue_id,
            ext.store_size,
            ext.sys_flag,
            ext.reconsume_times,
            ext.payload_crc,
            count(m.body.len()),
            bits,
            count(m.keys.len()),
            count(m.properties.len()),
            topic,
            born_host,
            store_host,
        ]);
        self.big.extend_from_slice(&[
            m.deliver_at_ms.unwrap_or(0),
            ext.queue_offset,
            ext.commit_log_offset,
            ext.born_timestamp_ms,
            ext.store_timestamp_ms,
            ext.prepared_transaction_offset,
        ]);
        self.bodies.extend_from_slice(&m.body);
        self.strs.extend(m.tags);
        self.strs.push(ext.msg_id.to_string());
        self.strs.push(offset_msg_id);
        self.strs.extend(m.keys);
        for (key, value) in m.properties {
            self.strs.push(key);
            self.strs.push(value);
        }
    }

    fn shared_index(&mut self, s: &str) -> u32 {
        let found = (self.shared.len() <= SHARED_SEARCH_MAX)
            .then(|| self.shared.iter().position(|x| x == s))
            .flatten();
        let index = found.unwrap_or_else(|| {
            self.shared.push(s.to_owned());
            self.shared.len() - 1
        });
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    /// The dispatcher's arguments, and the call ids (for the answer).
    pub(crate) fn finish(self) -> (PackedArgs, Vec<u32>) {
        let ids = self.ids.clone();
        let args = (
            self.ids,
            self.counts,
            Uint32Array::new(self.small),
            BigUint64Array::new(self.big),
            Buffer::from(self.bodies),
            self.shared,
            self.strs,
        );
        (args.into(), ids)
    }
}

/// `unpack(n, small, big, bodies, shared, strs, at)`: the JavaScript builder of `n` message
/// objects from the packed arrays, `at` the read positions (`[small, big, body, strs]`),
/// advanced. Keys come in the order napi gives `MessageExt` (required fields in declaration
/// order, then `tags` and `deliverAt` when present), and properties are assigned as napi
/// assigns them.
pub(crate) const BUILD_SOURCE: &str = r"function unpack(n, small, big, bodies, shared, strs, at) {
  const out = new Array(n)
  let [s, b, p, t] = at
  for (let i = 0; i < n; i++) {
    const bits = small[s + 8]
    const len = small[s + 7]
    const body = bodies.subarray(p, p + len)
    p += len
    const tags = bits & 2 ? strs[t++] : undefined
    const msgId = strs[t++]
    const offsetMsgId = strs[t++]
    const keys = new Array(small[s + 9])
    for (let k = 0; k < keys.length; k++) keys[k] = strs[t++]
    const properties = {}
    for (let k = small[s + 10]; k > 0; k--) {
      properties[strs[t]] = strs[t + 1]
      t += 2
    }
    const m = {
      topic: shared[small[s + 11]],
      body,
      keys,
      flag: small[s],
      properties,
      delayLevel: small[s + 1],
      msgId,
      offsetMsgId,
      queueId: small[s + 2],
      queueOffset: big[b + 1],
      commitLogOffset: big[b + 2],
      storeSize: small[s + 3],
      sysFlag: small[s + 4],
      bornTimestamp: big[b + 3],
      storeTimestamp: big[b + 4],
      bornHost: shared[small[s + 12]],
      storeHost: shared[small[s + 13]],
      reconsumeTimes: small[s + 5],
      preparedTransactionOffset: big[b + 5],
      payloadCrc: small[s + 6],
    }
    if (bits & 2) m.tags = tags
    if (bits & 1) m.deliverAt = big[b]
    out[i] = m
    s += 14
    b += 6
  }
  at[0] = s; at[1] = b; at[2] = p; at[3] = t
  return out
}";
