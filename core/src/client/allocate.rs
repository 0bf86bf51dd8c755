//! Queue allocation strategies for clustering consumers (RocketMQ's
//! `AllocateMessageQueueStrategy` and its implementations, same algorithms).
//!
//! Every member of a group calls `allocate` with the same sorted queue list (`mq_all`) and the
//! same sorted member list (`cid_all`, from `GetConsumerList`), so the members agree on who
//! owns what without talking to each other: each queue goes to exactly one member.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::client::route::MessageQueue;

/// Chooses the queues one member of a group consumes.
pub trait AllocateStrategy: Send + Sync + fmt::Debug {
    /// A short name for logs (RocketMQ's names: `AVG`, `AVG_BY_CIRCLE`, ...).
    fn name(&self) -> &str;

    /// The queues of `mq_all` that `current_cid` consumes. Both lists are sorted; a member not
    /// in `cid_all` gets nothing.
    fn allocate(
        &self,
        group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue>;
}

/// Contiguous blocks; the first `|mq| % |cid|` members get one queue more
/// (`AllocateMessageQueueAveragely`). 8 queues, 3 members: [0,1,2] [3,4,5] [6,7].
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocateAveragely;

impl AllocateStrategy for AllocateAveragely {
    fn name(&self) -> &str {
        "AVG"
    }

    fn allocate(
        &self,
        _: &str,
        cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = cid_all.iter().position(|c| c == cid) else {
            return Vec::new();
        };
        let (mqs, cids) = (mq_all.len(), cid_all.len());
        let rem = mqs % cids;
        let average = if mqs <= cids {
            1
        } else if rem > 0 && index < rem {
            mqs / cids + 1
        } else {
            mqs / cids
        };
        let start = if rem > 0 && index < rem {
            index * average
        } else {
            index * average + rem
        };
        let range = average.min(mqs.saturating_sub(start));
        mq_all.iter().skip(start).take(range).cloned().collect()
    }
}

/// Round robin: queue `i` goes to member `i % |cid|`
/// (`AllocateMessageQueueAveragelyByCircle`). 8 queues, 3 members: [0,3,6] [1,4,7] [2,5].
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocateAveragelyByCircle;

impl AllocateStrategy for AllocateAveragelyByCircle {
    fn name(&self) -> &str {
        "AVG_BY_CIRCLE"
    }

    fn allocate(
        &self,
        _: &str,
        cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = cid_all.iter().position(|c| c == cid) else {
            return Vec::new();
        };
        let n = cid_all.len();
        mq_all
            .iter()
            .enumerate()
            .filter(|(i, _)| i % n == index)
            .map(|(_, mq)| mq.clone())
            .collect()
    }
}

/// A hash ring of members with `virtual_nodes` points each (named `{cid}-{i}`); a queue goes
/// to the first point at or after the hash of its name (`AllocateMessageQueueConsistentHash`).
/// RocketMQ hashes with MD5; ferrocket uses 64-bit FNV-1a with a finalizer (no MD5 dependency), so the ring is
/// the same shape but places points elsewhere: do not mix with Java consumers in one group.
#[derive(Debug, Clone, Copy)]
pub struct AllocateConsistentHash {
    /// Points per member on the ring (RocketMQ's default: 10).
    pub virtual_nodes: usize,
}

impl Default for AllocateConsistentHash {
    fn default() -> Self {
        AllocateConsistentHash { virtual_nodes: 10 }
    }
}

/// 64-bit FNV-1a followed by MurmurHash3's `fmix64` finalizer: FNV-1a alone barely moves
/// the high bits when only the last characters differ (`t@b#1`, `t@b#2`, …), which bunched
/// every queue between two ring points; the finalizer spreads each input bit over all 64.
fn ring_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

impl AllocateStrategy for AllocateConsistentHash {
    fn name(&self) -> &str {
        "CONSISTENT_HASH"
    }

    fn allocate(
        &self,
        _: &str,
        cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        if !cid_all.iter().any(|c| c == cid) {
            return Vec::new();
        }
        let mut ring: BTreeMap<u64, &str> = BTreeMap::new();
        for member in cid_all {
            for i in 0..self.virtual_nodes.max(1) {
                ring.entry(ring_hash(&format!("{member}-{i}")))
                    .or_insert(member);
            }
        }
        mq_all
            .iter()
            .filter(|mq| {
                let key = ring_hash(&mq.to_string());
                let owner = ring
                    .range(key..)
                    .next()
                    .or_else(|| ring.iter().next())
                    .map(|(_, m)| *m);
                owner == Some(cid)
            })
            .cloned()
            .collect()
    }
}

/// Exactly the queues configured, whatever the membership (`AllocateMessageQueueByConfig`).
#[derive(Debug, Clone, Default)]
pub struct AllocateByConfig {
    /// The queues this member consumes.
    pub queues: Vec<MessageQueue>,
}

impl AllocateStrategy for AllocateByConfig {
    fn name(&self) -> &str {
        "CONFIG"
    }

    fn allocate(&self, _: &str, _: &str, _: &[MessageQueue], _: &[String]) -> Vec<MessageQueue> {
        self.queues.clone()
    }
}

/// Says which machine room a broker and a consumer are in.
pub trait MachineRoomResolver: Send + Sync + fmt::Debug {
    /// The room of a queue's broker.
    fn broker_deploy_in(&self, mq: &MessageQueue) -> String;
    /// The room of a consumer.
    fn consumer_deploy_in(&self, client_id: &str) -> String;
}

/// Members consume the queues of their own machine room with `inner`; queues of rooms with no
/// member are shared by every member with `inner` (`AllocateMachineRoomNearby`).
#[derive(Debug, Clone)]
pub struct AllocateMachineRoomNearby {
    /// Strategy within a room.
    pub inner: Arc<dyn AllocateStrategy>,
    /// Where brokers and consumers are.
    pub resolver: Arc<dyn MachineRoomResolver>,
}

impl AllocateStrategy for AllocateMachineRoomNearby {
    fn name(&self) -> &str {
        "MACHINE_ROOM_NEARBY"
    }

    fn allocate(
        &self,
        group: &str,
        cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        if !cid_all.iter().any(|c| c == cid) {
            return Vec::new();
        }
        let mut room_queues: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
        for mq in mq_all {
            let room = self.resolver.broker_deploy_in(mq);
            room_queues.entry(room).or_default().push(mq.clone());
        }
        let mut room_members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in cid_all {
            let room = self.resolver.consumer_deploy_in(c);
            room_members.entry(room).or_default().push(c.clone());
        }
        let mine = self.resolver.consumer_deploy_in(cid);
        let mut out = Vec::new();
        if let Some(queues) = room_queues.remove(&mine) {
            let members = room_members.get(&mine).map_or(&[][..], Vec::as_slice);
            out.extend(self.inner.allocate(group, cid, &queues, members));
        }
        for (room, queues) in &room_queues {
            if !room_members.contains_key(room) {
                out.extend(self.inner.allocate(group, cid, queues, cid_all));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn queues(n: usize) -> Vec<MessageQueue> {
        let mut v: Vec<MessageQueue> = (0..n)
            .map(|i| MessageQueue::new("t", format!("room{}@b{}", i % 3, i % 2), i as u32))
            .collect();
        v.sort();
        v
    }

    fn members(n: usize) -> Vec<String> {
        let mut v: Vec<String> = (0..n).map(|i| format!("10.0.0.{i}@{i}#x")).collect();
        v.sort();
        v
    }

    #[derive(Debug)]
    struct ByPrefix;

    impl MachineRoomResolver for ByPrefix {
        fn broker_deploy_in(&self, mq: &MessageQueue) -> String {
            mq.broker_name.split('@').next().unwrap_or("").to_owned()
        }
        fn consumer_deploy_in(&self, client_id: &str) -> String {
            let last: usize = client_id
                .split('@')
                .nth(1)
                .and_then(|s| s.split('#').next())
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            format!("room{}", last % 4)
        }
    }

    fn strategies() -> Vec<Arc<dyn AllocateStrategy>> {
        vec![
            Arc::new(AllocateAveragely),
            Arc::new(AllocateAveragelyByCircle),
            Arc::new(AllocateConsistentHash::default()),
            Arc::new(AllocateMachineRoomNearby {
                inner: Arc::new(AllocateAveragely),
                resolver: Arc::new(ByPrefix),
            }),
        ]
    }

    /// RocketMQ's documented examples: 8 queues over 3 members.
    #[test]
    fn documented_examples() {
        let (mqs, cids) = (queues(8), members(3));
        let ids = |s: &dyn AllocateStrategy, c: &str| -> Vec<u32> {
            let mut v: Vec<u32> = s
                .allocate("g", c, &mqs, &cids)
                .iter()
                .map(|q| q.queue_id)
                .collect();
            v.sort_unstable();
            v
        };
        let order: Vec<u32> = mqs.iter().map(|q| q.queue_id).collect();
        let pick = |idx: &[usize]| -> Vec<u32> {
            let mut v: Vec<u32> = idx.iter().map(|i| order[*i]).collect();
            v.sort_unstable();
            v
        };
        assert_eq!(ids(&AllocateAveragely, &cids[0]), pick(&[0, 1, 2]));
        assert_eq!(ids(&AllocateAveragely, &cids[2]), pick(&[6, 7]));
        assert_eq!(ids(&AllocateAveragelyByCircle, &cids[1]), pick(&[1, 4, 7]));
        assert!(ids(&AllocateAveragely, "stranger").is_empty());
    }

    /// The consistent hash spreads similar queue names: 16 queues of one broker over 4
    /// members with the default 10 virtual nodes give every member some queues and none more
    /// than half (FNV-1a without a finalizer gave all 16 to one member).
    #[test]
    fn consistent_hash_spreads_similar_names() {
        let mqs: Vec<MessageQueue> = (0..16).map(|i| MessageQueue::new("t", "b-0", i)).collect();
        let cids: Vec<String> = (0..4).map(|i| format!("10.0.0.1@100{i}#x")).collect();
        let strategy = AllocateConsistentHash::default();
        let shares: Vec<usize> = cids
            .iter()
            .map(|c| strategy.allocate("g", c, &mqs, &cids).len())
            .collect();
        assert_eq!(shares.iter().sum::<usize>(), 16);
        assert!(shares.iter().all(|n| (1..=8).contains(n)), "{shares:?}");
    }

    proptest! {
        /// For any membership, each strategy gives every queue to exactly one member.
        #[test]
        fn every_queue_has_exactly_one_owner(mq_count in 0usize..64, member_count in 1usize..12) {
            let (mqs, cids) = (queues(mq_count), members(member_count));
            for strategy in strategies() {
                let mut owners: BTreeMap<MessageQueue, usize> = BTreeMap::new();
                for cid in &cids {
                    for mq in strategy.allocate("g", cid, &mqs, &cids) {
                        *owners.entry(mq).or_default() += 1;
                    }
                }
                prop_assert_eq!(owners.len(), mqs.len(), "{} left a queue unowned", strategy.name());
                prop_assert!(owners.values().all(|n| *n == 1), "{} gave a queue twice", strategy.name());
            }
        }

        /// Explicit config: members configured with a partition of the queues own each once.
        #[test]
        fn config_partition_owns_each_queue_once(mq_count in 0usize..64, member_count in 1usize..12) {
            let (mqs, cids) = (queues(mq_count), members(member_count));
            let mut owners: BTreeMap<MessageQueue, usize> = BTreeMap::new();
            for (i, cid) in cids.iter().enumerate() {
                let mine: Vec<MessageQueue> = mqs.iter().skip(i).step_by(cids.len()).cloned().collect();
                let strategy = AllocateByConfig { queues: mine };
                for mq in strategy.allocate("g", cid, &mqs, &cids) {
                    *owners.entry(mq).or_default() += 1;
                }
            }
            prop_assert_eq!(owners.len(), mqs.len());
            prop_assert!(owners.values().all(|n| *n == 1));
        }
    }
}
