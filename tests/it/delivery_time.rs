//! The producer's side of delivery times: a time past the configured maximum delay is refused
//! with a clear error before anything is sent.

use std::time::Duration;

use ferrocket::{ClientError, Message, Producer};
use ferrocket_tests::TestBroker;

/// Four days ahead is over the default three; twenty seconds is over a ten-second maximum.
#[tokio::test]
async fn delivery_time_past_the_maximum_is_refused() {
    let broker = TestBroker::start().await;
    let build = |max: Option<Duration>| {
        let mut builder = Producer::builder()
            .group("timer-producer")
            .namesrv(&broker.addr().to_string());
        if let Some(max) = max {
            builder = builder.timer_max_delay(max);
        }
        builder.build().expect("build")
    };
    let default = build(None);
    default.start().await.expect("start");
    let far = Message::new("Timed", "x").with_deliver_after(Duration::from_secs(4 * 86_400));
    let err = default.send(far).await.expect_err("refused");
    assert!(matches!(err, ClientError::InvalidArgument(_)), "{err}");
    assert!(
        err.to_string().contains("maximum delay of 259200 s"),
        "{err}"
    );
    default.shutdown().await;
    let short = build(Some(Duration::from_secs(10)));
    short.start().await.expect("start");
    let later = Message::new("Timed", "x").with_deliver_after(Duration::from_secs(20));
    let err = short.send(later).await.expect_err("refused");
    assert!(err.to_string().contains("maximum delay of 10 s"), "{err}");
    short.shutdown().await;
    broker.shutdown().await;
}
