//! SQL92 filter cost per message: evaluations per second of a typical expression against
//! stored records (properties read from the record bytes, as the broker does on a pull).
//!
//! Run with `cargo bench -p ferrocket-server --bench sql_filter`.

use std::time::Instant;

use bytes::BytesMut;
use ferrocket::message::{Message, MessageId, unspecified_addr};
use ferrocket::protocol::ExpressionType;
use ferrocket::protocol::record::{RecordStamp, encode_record, parse_record};
use ferrocket_server::broker::filter::Filter;

const RECORDS: usize = 1024;
const ROUNDS: usize = 2000;

fn records() -> Vec<bytes::Bytes> {
    (0..RECORDS)
        .map(|i| {
            let msg = Message::new("Bench", vec![b'x'; 1024])
                .with_tags(["TagA", "TagB", "TagC"][i % 3])
                .with_property("a", (i % 10).to_string())
                .with_property("region", ["eu", "us", "asia"][i % 3])
                .with_property("price", format!("{}.5", i % 100))
                .with_property("user", format!("user-{i}"));
            let stamp = RecordStamp {
                msg_id: MessageId([1; 16]),
                sys_flag: 0,
                queue_id: 0,
                reconsume_times: 0,
                born_timestamp_ms: 1,
                born_host: unspecified_addr(),
                prepared_transaction_offset: 0,
            };
            let mut out = BytesMut::new();
            encode_record(&msg, &stamp, &mut out).expect("encode");
            out.freeze()
        })
        .collect()
}

fn main() {
    let records = records();
    let views: Vec<_> = records
        .iter()
        .map(|r| parse_record(r).expect("valid"))
        .collect();
    for expression in [
        "a > 5 AND region IN ('eu','us')",
        "(a BETWEEN 2 AND 7 OR price > 50) AND TAGS <> 'TagC' AND user STARTSWITH 'user-1'",
    ] {
        let filter = Filter::parse(ExpressionType::Sql92, expression).expect("parses");
        let started = Instant::now();
        let mut matched = 0u64;
        for _ in 0..ROUNDS {
            for view in &views {
                matched += u64::from(filter.matches_record(view));
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let evaluations = (ROUNDS * RECORDS) as f64;
        println!(
            "{expression}: {:.0} evaluations/s, {:.0} ns each ({matched} matched)",
            evaluations / secs,
            secs * 1e9 / evaluations
        );
    }
}
