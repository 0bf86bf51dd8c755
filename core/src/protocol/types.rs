//! Wire types shared by several bodies: topic configs, routes, subscriptions, small enums and
//! socket addresses.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{
    ADDR_LEN_MAX, BROKER_NAME_LEN_MAX, EXPRESSION_LEN_MAX, QUEUE_COUNT_MAX, TOPIC_LEN_MAX,
};
use crate::protocol::api::Body;
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::wire::{self, PResult};

/// Permission bit: queues may be read (RocketMQ `PermName.PERM_READ`).
pub const PERM_READ: u8 = 4;
/// Permission bit: queues may be written (RocketMQ `PermName.PERM_WRITE`).
pub const PERM_WRITE: u8 = 2;
/// Permission mask of every defined bit.
pub const PERM_MASK: u8 = 0xF;

/// The empty body: requests with no fields and responses that only carry a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Empty;

impl Body for Empty {
    fn encode(&self, _out: &mut BytesMut) -> Result<(), EncodeError> {
        Ok(())
    }

    fn decode(body: &Bytes) -> Result<Empty, DecodeError> {
        wire::finish(body)?;
        Ok(Empty)
    }
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($(#[$vdoc:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// The wire byte.
            pub fn code(self) -> u8 {
                match self { $($name::$variant => $code,)* }
            }

            /// Parses the wire byte.
            pub fn parse(i: &[u8]) -> PResult<'_, $name> {
                let (i, code) = wire::u8(i, $field)?;
                match code {
                    $($code => Ok((i, $name::$variant)),)*
                    other => Err(DecodeError::InvalidValue { field: $field, value: u64::from(other) }),
                }
            }
        }
    };
}

/// The macro for the one-byte enums of other request kinds.
pub(crate) use wire_enum;

wire_enum! {
    /// How a subscription expression is read.
    ExpressionType, "expression_type" {
        /// `*` or tags joined by `||`.
        Tag = 0,
        /// A SQL92 condition over properties.
        Sql92 = 1,
    }
}

wire_enum! {
    /// How a consumer group shares messages.
    MessageModel, "message_model" {
        /// Each message to one consumer of the group; offsets kept on the broker.
        Clustering = 0,
        /// Every consumer gets every message; offsets kept by each client.
        Broadcasting = 1,
    }
}

wire_enum! {
    /// Who drives fetching.
    ConsumeType, "consume_type" {
        /// The application polls (RocketMQ `CONSUME_ACTIVELY`).
        Pull = 0,
        /// The client pushes to a listener (RocketMQ `CONSUME_PASSIVELY`).
        Push = 1,
    }
}

wire_enum! {
    /// Where a group with no committed offset starts.
    ConsumeFrom, "consume_from" {
        /// At the end of the queue.
        LastOffset = 0,
        /// At the beginning of the queue.
        FirstOffset = 1,
        /// At the first message stored at or after a timestamp.
        Timestamp = 2,
    }
}

wire_enum! {
    /// What a pull found.
    PullStatus, "pull_status" {
        /// Messages are in `records`.
        Found = 0,
        /// Nothing at or after the offset (after any long-poll hold).
        NoNewMessage = 1,
        /// Messages existed but none matched the subscription; continue at `next_begin_offset`.
        NoMatchedMessage = 2,
        /// The offset is outside `[min_offset, max_offset]`; continue at `next_begin_offset`.
        OffsetMoved = 3,
    }
}

/// A topic's config on one broker.
///
/// Wire format: `topic:string  read_queue_count:u16  write_queue_count:u16  perm:u8  order:bool`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    /// Topic name.
    pub topic: String,
    /// Queues consumers read.
    pub read_queue_count: u16,
    /// Queues producers write.
    pub write_queue_count: u16,
    /// `PERM_READ | PERM_WRITE` bits.
    pub perm: u8,
    /// Whether the topic is meant for ordered messages.
    pub order: bool,
}

impl TopicConfig {
    /// A read-write topic with `queues` read and write queues.
    pub fn new(topic: impl Into<String>, queues: u16) -> TopicConfig {
        TopicConfig {
            topic: topic.into(),
            read_queue_count: queues,
            write_queue_count: queues,
            perm: PERM_READ | PERM_WRITE,
            order: false,
        }
    }

    /// Appends the wire form.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)?;
        check_queue_count("read_queue_count", self.read_queue_count)?;
        check_queue_count("write_queue_count", self.write_queue_count)?;
        if self.perm & !PERM_MASK != 0 {
            return Err(EncodeError::Invalid {
                field: "perm",
                reason: "undefined bits set",
            });
        }
        out.put_u16(self.read_queue_count);
        out.put_u16(self.write_queue_count);
        out.put_u8(self.perm);
        out.put_u8(u8::from(self.order));
        Ok(())
    }

    /// Parses the wire form.
    pub fn parse(i: &[u8]) -> PResult<'_, TopicConfig> {
        let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
        let (i, read_queue_count) = parse_queue_count(i, "read_queue_count")?;
        let (i, write_queue_count) = parse_queue_count(i, "write_queue_count")?;
        let (i, perm) = wire::u8(i, "perm")?;
        if perm & !PERM_MASK != 0 {
            return Err(DecodeError::InvalidValue {
                field: "perm",
                value: u64::from(perm),
            });
        }
        let (i, order) = wire::bool(i, "order")?;
        let config = TopicConfig {
            topic: topic.into(),
            read_queue_count,
            write_queue_count,
            perm,
            order,
        };
        Ok((i, config))
    }
}

pub(crate) fn check_queue_count(field: &'static str, count: u16) -> Result<(), EncodeError> {
    wire::check_len(field, usize::from(count), QUEUE_COUNT_MAX)
}

pub(crate) fn parse_queue_count<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u16> {
    let (i, count) = wire::u16(i, field)?;
    if usize::from(count) > QUEUE_COUNT_MAX {
        return Err(DecodeError::TooLong {
            field,
            len: usize::from(count),
            max: QUEUE_COUNT_MAX,
        });
    }
    Ok((i, count))
}

/// A subscription: a topic and an expression that selects its messages.
///
/// Wire format: `topic:string  expression_type:u8  expression:string`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Topic subscribed to.
    pub topic: String,
    /// How `expression` is read.
    pub expression_type: ExpressionType,
    /// `*`, `TagA || TagB`, or SQL92.
    pub expression: String,
}

impl Subscription {
    /// Appends the wire form.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        wire::put_string(out, "topic", &self.topic, TOPIC_LEN_MAX)?;
        out.put_u8(self.expression_type.code());
        wire::put_string(out, "expression", &self.expression, EXPRESSION_LEN_MAX)
    }

    /// Parses the wire form.
    pub fn parse(i: &[u8]) -> PResult<'_, Subscription> {
        let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
        let (i, expression_type) = ExpressionType::parse(i)?;
        let (i, expression) = wire::string(i, "expression", EXPRESSION_LEN_MAX)?;
        Ok((
            i,
            Subscription {
                topic: topic.into(),
                expression_type,
                expression: expression.into(),
            },
        ))
    }
}

/// Bytes of a socket address on the wire: a 16-byte IPv6 (IPv4-mapped for IPv4) and a port.
pub const SOCKET_ADDR_LEN: usize = 18;

/// Appends a socket address as 16 address bytes and a `u16` port.
pub fn put_socket_addr(out: &mut BytesMut, addr: SocketAddr) {
    let ip = match addr.ip() {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    out.put_slice(&ip.octets());
    out.put_u16(addr.port());
}

/// Parses a socket address written by `put_socket_addr`.
pub fn parse_socket_addr<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, SocketAddr> {
    let (i, ip) = wire::fixed::<16>(i, field)?;
    let (i, port) = wire::u16(i, field)?;
    let ip = Ipv6Addr::from(ip);
    let ip = match ip.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(ip),
    };
    Ok((i, SocketAddr::new(ip, port)))
}

/// Appends a broker or cluster name.
pub fn put_name(out: &mut BytesMut, field: &'static str, name: &str) -> Result<(), EncodeError> {
    wire::put_string(out, field, name, BROKER_NAME_LEN_MAX)
}

/// Parses a broker or cluster name.
pub fn parse_name<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, String> {
    let (i, name) = wire::string(i, field, BROKER_NAME_LEN_MAX)?;
    Ok((i, name.to_owned()))
}

/// Appends a `host:port` address string.
pub fn put_addr(out: &mut BytesMut, field: &'static str, addr: &str) -> Result<(), EncodeError> {
    wire::put_string(out, field, addr, ADDR_LEN_MAX)
}

/// Parses a `host:port` address string.
pub fn parse_addr<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, String> {
    let (i, addr) = wire::string(i, field, ADDR_LEN_MAX)?;
    Ok((i, addr.to_owned()))
}
