//! Tag and SQL92 filters through a real broker: consumers get exactly the messages a reference
//! evaluation in the test selects; bad expressions get `SUBSCRIPTION_PARSE_FAILED` naming a
//! position, and deep nesting is refused without harming the broker.

use std::collections::BTreeSet;
use std::time::Duration;

use ferrocket::client::Admin;
use ferrocket::protocol::{ExpressionType, PullRequest, Status, TopicConfig};
use ferrocket::{ConsumeFrom, Message, PullConsumer, Selector};
use ferrocket_tests::{RawConn, TestBroker};

use crate::util::{Rng, consumer, producer};

const REGIONS: [&str; 4] = ["eu", "us", "asia", "eu-west"];
const TAGS: [Option<&str>; 4] = [Some("TagA"), Some("TagB"), Some("TagC"), None];

/// The properties of message `i`: `a` = i % 10 (missing every 7th), `region`, a tag.
#[derive(Debug, Clone)]
struct Sample {
    body: String,
    a: Option<i64>,
    region: &'static str,
    price: f64,
    tag: Option<&'static str>,
}

fn samples(count: usize) -> Vec<Sample> {
    let mut rng = Rng::new(77);
    (0..count)
        .map(|i| Sample {
            body: format!("m{i}"),
            a: (i % 7 != 0).then_some((i % 10) as i64),
            region: REGIONS[rng.below(REGIONS.len())],
            price: rng.below(2000) as f64 / 100.0,
            tag: TAGS[rng.below(TAGS.len())],
        })
        .collect()
}

fn message(topic: &str, s: &Sample) -> Message {
    let mut m = Message::new(topic, s.body.clone())
        .with_property("region", s.region)
        .with_property("price", format!("{:.2}", s.price));
    if let Some(a) = s.a {
        m = m.with_property("a", a.to_string());
    }
    if let Some(t) = s.tag {
        m = m.with_tags(t);
    }
    m
}

async fn setup(broker: &TestBroker, topic: &str, all: &[Sample]) {
    let addr = broker.addr().to_string();
    let admin = Admin::with_namesrv(&addr).expect("admin");
    admin
        .create_topic(&addr, TopicConfig::new(topic, 2))
        .await
        .expect("create topic");
    admin.close().await;
    let producer = producer(broker, "filter-producer").await;
    for s in all {
        producer.send(message(topic, s)).await.expect("send");
    }
    producer.shutdown().await;
}

/// Consumes until `want` bodies arrived (or nothing more comes for a while); returns them.
async fn consume(
    broker: &TestBroker,
    topic: &str,
    group: &str,
    selector: Selector,
    want: usize,
) -> BTreeSet<String> {
    let consumer: PullConsumer = consumer(broker, group, ConsumeFrom::FirstOffset).await;
    consumer
        .subscribe(topic, selector)
        .await
        .expect("subscribe");
    consumer.start().await.expect("start");
    let mut got = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while got.len() < want && tokio::time::Instant::now() < deadline {
        for m in consumer
            .poll_timeout(Duration::from_millis(500))
            .await
            .expect("poll")
        {
            let body = String::from_utf8(m.body().to_vec()).expect("utf8");
            assert!(got.insert(body), "a message was delivered twice");
        }
    }
    // Anything beyond the expected set would arrive now.
    for m in consumer
        .poll_timeout(Duration::from_millis(300))
        .await
        .expect("poll")
    {
        got.insert(String::from_utf8(m.body().to_vec()).expect("utf8"));
    }
    consumer.shutdown().await;
    got
}

fn expected(all: &[Sample], keep: impl Fn(&Sample) -> bool) -> BTreeSet<String> {
    all.iter()
        .filter(|s| keep(s))
        .map(|s| s.body.clone())
        .collect()
}

/// A tag subscription delivers exactly the messages with one of its tags.
#[tokio::test]
async fn tag_filter_delivers_exactly_the_matching_messages() {
    let broker = TestBroker::start().await;
    let all = samples(200);
    setup(&broker, "TagFiltered", &all).await;
    let want = expected(&all, |s| matches!(s.tag, Some("TagA" | "TagC")));
    let got = consume(
        &broker,
        "TagFiltered",
        "tag-group",
        "TagA || TagC".into(),
        want.len(),
    )
    .await;
    assert_eq!(got, want);
    broker.shutdown().await;
}

/// SQL92 subscriptions deliver exactly the messages the reference evaluation selects, for
/// comparisons, IN, BETWEEN, IS NULL, string tests, NOT and TAGS.
#[tokio::test]
async fn sql_filter_delivers_exactly_the_matching_messages() {
    let broker = TestBroker::start().await;
    let all = samples(300);
    setup(&broker, "SqlFiltered", &all).await;
    type Case = (&'static str, fn(&Sample) -> bool);
    let cases: [Case; 6] = [
        ("a > 5 AND region IN ('eu','us')", |s| {
            s.a.is_some_and(|a| a > 5) && matches!(s.region, "eu" | "us")
        }),
        ("a IS NULL OR price BETWEEN 5 AND 7.5", |s| {
            s.a.is_none() || (5.0..=7.5).contains(&s.price)
        }),
        ("NOT (a = 3) AND region STARTSWITH 'eu'", |s| {
            s.a.is_some_and(|a| a != 3) && s.region.starts_with("eu")
        }),
        ("TAGS = 'TagB' OR (region ENDSWITH 'ia' AND a <= 2)", |s| {
            s.tag == Some("TagB") || (s.region.ends_with("ia") && s.a.is_some_and(|a| a <= 2))
        }),
        ("region NOT IN ('eu') AND region CONTAINS 'u'", |s| {
            s.region != "eu" && s.region.contains('u')
        }),
        ("a <> 4 AND TAGS IS NOT NULL AND FALSE", |_| false),
    ];
    for (i, (sql, keep)) in cases.iter().enumerate() {
        let want = expected(&all, keep);
        let group = format!("sql-group-{i}");
        let got = consume(
            &broker,
            "SqlFiltered",
            &group,
            Selector::Sql((*sql).into()),
            want.len(),
        )
        .await;
        assert_eq!(got, want, "{sql}");
    }
    broker.shutdown().await;
}

fn sql_pull(expression: &str) -> PullRequest {
    PullRequest {
        consumer_group: "raw-sql".into(),
        topic: "SqlErrors".into(),
        queue_id: 0,
        queue_offset: 0,
        max_messages: 32,
        max_bytes: 1 << 20,
        suspend_timeout_ms: 0,
        commit_offset: None,
        expression_type: ExpressionType::Sql92,
        expression: expression.into(),
    }
}

/// Thirty invalid expressions each get `SUBSCRIPTION_PARSE_FAILED` with a message naming a
/// position; the connection and the broker keep working; a valid one then succeeds.
#[tokio::test]
async fn invalid_sql_expressions_are_refused_with_a_position() {
    let broker = TestBroker::start().await;
    setup(&broker, "SqlErrors", &samples(5)).await;
    let invalid = [
        "",
        "   ",
        "a >",
        "> 5",
        "a = = 5",
        "a = 5 AND",
        "OR a = 5",
        "a IN ()",
        "a IN ('x',)",
        "a IN 'x'",
        "a BETWEEN 1",
        "a BETWEEN 1 OR 2",
        "a IS 5",
        "a IS NOT",
        "(a = 1",
        "a = 1)",
        "a = 'unclosed",
        "a # 1",
        "a == 1",
        "a != 1",
        "5",
        "'text'",
        "a = 1 b = 2",
        "NOT",
        "a CONTAINS 5",
        "a STARTSWITH",
        "a NOT = 1",
        "a = 99999999999999999999",
        "1abc = 2",
        "a IN (NULL)",
    ];
    assert_eq!(invalid.len(), 30);
    let mut conn = RawConn::connect(broker.addr()).await;
    for expression in invalid {
        let (head, _) = conn.call(&sql_pull(expression)).await;
        assert_eq!(
            head.status,
            Status::SubscriptionParseFailed,
            "`{expression}`: {}",
            head.error_message
        );
        assert!(
            head.error_message.contains("at position"),
            "`{expression}`: {}",
            head.error_message
        );
    }
    let (head, _) = conn.call(&sql_pull("a > 1 OR a IS NULL")).await;
    assert_eq!(head.status, Status::Ok, "{}", head.error_message);
    broker.shutdown().await;
}

/// 10,000 nested parentheses (and 2,000 NOTs) are refused as too deep, not a stack overflow;
/// the broker answers the next request; a consumer subscribing with it gets the error.
#[tokio::test]
async fn deeply_nested_expression_is_refused() {
    let broker = TestBroker::start().await;
    setup(&broker, "SqlErrors", &samples(3)).await;
    let deep = format!("{}a = 1{}", "(".repeat(10_000), ")".repeat(10_000));
    let deep = &deep[..deep.len().min(ferrocket::limits::EXPRESSION_LEN_MAX)];
    let nots = format!("{}a = 1", "NOT ".repeat(1000));
    let mut conn = RawConn::connect(broker.addr()).await;
    for expression in [deep, &nots] {
        let (head, _) = conn.call(&sql_pull(expression)).await;
        assert_eq!(head.status, Status::SubscriptionParseFailed);
        assert!(
            head.error_message.contains("deeper than"),
            "{}",
            head.error_message
        );
    }
    let (head, _) = conn.call(&sql_pull("a = 1")).await;
    assert_eq!(head.status, Status::Ok);
    let consumer = consumer(&broker, "deep-group", ConsumeFrom::FirstOffset).await;
    let err = consumer
        .subscribe("SqlErrors", Selector::Sql(nots.clone()))
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(Status::SubscriptionParseFailed), "{err}");
    consumer.shutdown().await;
    broker.shutdown().await;
}

/// A pull whose records all fail the SQL condition answers `NO_MATCHED_MESSAGE` with the next
/// offset past every record it scanned; one that matches some carries only those.
#[tokio::test]
async fn sql_pull_skips_non_matching_records() {
    let broker = TestBroker::start().await;
    let all = samples(40);
    setup(&broker, "SqlErrors", &all).await;
    let mut conn = RawConn::connect(broker.addr()).await;
    let none = conn.call_ok(&sql_pull("a > 100")).await;
    assert_eq!(
        none.pull_status,
        ferrocket::protocol::PullStatus::NoMatchedMessage
    );
    assert_eq!(none.next_begin_offset, none.max_offset);
    assert!(none.max_offset > 0);
    let mut matched = Vec::new();
    for queue_id in 0..2 {
        let mut pull = sql_pull("a = 4 OR a = 3");
        pull.queue_id = queue_id;
        let some = conn.call_ok(&pull).await;
        matched
            .extend(ferrocket::protocol::record::decode_records(&some.records).expect("records"));
    }
    let want = all.iter().filter(|s| matches!(s.a, Some(3 | 4))).count();
    assert_eq!(matched.len(), want);
    assert!(
        matched
            .iter()
            .all(|m| matches!(m.property("a"), Some("3" | "4")))
    );
    broker.shutdown().await;
}
