//! Small helpers shared by the integration tests.

use std::sync::Arc;

use ferrocket::{ConsumeFrom, Producer, PullConsumer};
use ferrocket_tests::TestBroker;

/// A deterministic xorshift generator, so failures reproduce.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A started producer using `broker` as its name server.
pub async fn producer(broker: &TestBroker, group: &str) -> Arc<Producer> {
    let producer = Producer::builder()
        .group(group)
        .namesrv(&broker.addr().to_string())
        .build()
        .expect("build producer");
    producer.start().await.expect("start producer");
    Arc::new(producer)
}

/// A pull consumer (not started) using `broker` as its name server.
pub async fn consumer(broker: &TestBroker, group: &str, from: ConsumeFrom) -> PullConsumer {
    PullConsumer::builder()
        .group(group)
        .namesrv(&broker.addr().to_string())
        .consume_from(from)
        .build()
        .expect("build consumer")
}
