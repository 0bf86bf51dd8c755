/*
 * test_features.c — the message feature scenarios of spec/scenarios.md through the C API:
 * sql92_filter (pull and push SQL92 subscriptions receive exactly the matching messages; a
 * condition the broker cannot parse is refused naming its position) and delay_level (a
 * message with delay level 1 arrives no earlier than level 1's delay of the suite's broker,
 * FERROCKET_DELAY_LEVEL_1_MS, and does arrive).
 */
#include "harness.h"
#include "push.h"
#include "receive.h"

#define SQL_COUNT 12
#define SQL_CONDITION "a > 5 AND region = 'eu'"

/* Whether message i of the SQL scenario (a = i, region eu for even i) matches SQL_CONDITION. */
static bool sql_matches(int i) {
    return i > 5 && i % 2 == 0;
}

/* Sends the SQL scenario's messages to one queue, then a matching "end" marker after them. */
static int seed_sql(const char *topic) {
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, NULL, &producer));
    for (int i = 0; i <= SQL_COUNT; i++) {
        char body[32], a[16];
        snprintf(body, sizeof body, i < SQL_COUNT ? "s%d" : "end", i);
        snprintf(a, sizeof a, "%d", i < SQL_COUNT ? i : 100);
        ferrocket_message_t *msg = ferrocket_message_new(topic, body, strlen(body));
        CHECK(msg != NULL, "message_new");
        CHECK_OK(ferrocket_message_set_property(msg, "a", a));
        CHECK_OK(ferrocket_message_set_property(msg, "region", i % 2 == 0 ? "eu" : "us"));
        ferrocket_send_result_t r;
        CHECK_OK(ferrocket_producer_send_orderly(producer, msg, "one-queue", &r));
        ferrocket_message_destroy(msg);
    }
    ferrocket_producer_destroy(producer);
    return 0;
}

/* The bodies received, in order, are exactly the matching ones and then "end". */
static int check_sql_bodies(const char *const *bodies, size_t count) {
    size_t at = 0;
    for (int i = 0; i < SQL_COUNT; i++) {
        if (!sql_matches(i)) {
            continue;
        }
        char want[32];
        snprintf(want, sizeof want, "s%d", i);
        CHECK(at < count && strcmp(bodies[at], want) == 0, "message %zu is `%s`, expected %s",
              at, at < count ? bodies[at] : "(none)", want);
        at++;
    }
    CHECK(at < count && strcmp(bodies[at], "end") == 0, "the marker comes last");
    CHECK(at + 1 == count, "%zu messages, %zu expected", count, at + 1);
    return 0;
}

/* A pull consumer with a SQL92 subscription reads exactly the matches; a bad one is refused. */
static int sql_pull(const char *topic) {
    char group[160];
    snprintf(group, sizeof group, "%s_pull", topic);
    const char *keys[] = { "consume_from", "first_offset", "long_poll_ms", "1000", NULL };
    ferrocket_config_t *conf = test_config(keys);
    ferrocket_pull_consumer_t *consumer = NULL;
    ferrocket_status_t s = ferrocket_pull_consumer_new(&consumer, group, namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_STATUS(ferrocket_pull_consumer_subscribe_sql(consumer, topic, "a > > 5"),
                 FERROCKET_ERR_BROKER);
    CHECK(strstr(ferrocket_last_error(), "position") != NULL, "names the position: %s",
          ferrocket_last_error());
    CHECK_STATUS(ferrocket_pull_consumer_subscribe_sql(consumer, topic, NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_OK(ferrocket_pull_consumer_subscribe_sql(consumer, topic, SQL_CONDITION));
    CHECK_OK(ferrocket_pull_consumer_start(consumer));
    received_t got = { 0 };
    const char *bodies[SQL_COUNT + 1];
    uint64_t deadline = deadline_after(20000);
    bool ended = false;
    while (!ended && got.count <= SQL_COUNT) {
        CHECK(now_ms() < deadline, "the marker did not arrive");
        CHECK_PASS(poll_until(consumer, got.count + 1, 20000, &got));
        ended = body_is(got.msgs[got.count - 1], "end");
    }
    ferrocket_pull_consumer_destroy(consumer);
    char text[SQL_COUNT + 1][32];
    for (size_t i = 0; i < got.count && i <= SQL_COUNT; i++) {
        size_t len = ferrocket_message_ext_body_len(got.msgs[i]);
        snprintf(text[i], sizeof text[i], "%.*s", (int)len,
                 (const char *)ferrocket_message_ext_body(got.msgs[i]));
        bodies[i] = text[i];
    }
    int rc = check_sql_bodies(bodies, got.count < SQL_COUNT + 1 ? got.count : SQL_COUNT + 1);
    CHECK(got.count <= SQL_COUNT + 1, "%zu messages", got.count);
    received_free(&got);
    return rc;
}

/* A push consumer with a SQL92 subscription gets exactly the matches. */
static int sql_push(const char *topic) {
    char group[160];
    snprintf(group, sizeof group, "%s_push", topic);
    static recorder_t rec;
    recorder_init(&rec);
    const char *keys[] = { "consume_thread_min", "1", NULL }; /* one thread: arrival order */
    ferrocket_push_consumer_t *consumer = NULL;
    CHECK_PASS(new_push_consumer(group, keys, &consumer));
    CHECK_STATUS(ferrocket_push_consumer_subscribe_sql(consumer, "bad topic", SQL_CONDITION),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_OK(ferrocket_push_consumer_subscribe_sql(consumer, topic, SQL_CONDITION));
    CHECK_OK(ferrocket_push_consumer_set_listener_concurrently(consumer, record_all, &rec));
    CHECK_OK(ferrocket_push_consumer_start(consumer));
    uint64_t deadline = deadline_after(20000);
    int rc = 0;
    while (rc == 0 && (recorder_count(&rec) == 0 || count_body_locked(&rec, "end") == 0)) {
        if (now_ms() >= deadline) {
            fprintf(stderr, "    the marker did not arrive at the push consumer\n");
            rc = 1;
        }
        pause_ms(20);
    }
    ferrocket_push_consumer_destroy(consumer);
    CHECK(rc == 0, "push consumer receives the marker");
    const char *bodies[RECORD_MAX];
    for (size_t i = 0; i < rec.count; i++) {
        bodies[i] = rec.items[i].body;
    }
    rc = check_sql_bodies(bodies, rec.count);
    recorder_destroy(&rec);
    return rc;
}

static int scenario_sql92_filter(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "sql92_filter");
    CHECK_PASS(seed_sql(topic));
    CHECK_PASS(sql_pull(topic));
    CHECK_PASS(sql_push(topic));
    return 0;
}

static int scenario_delay_level(void) {
    const char *level_ms = getenv("FERROCKET_DELAY_LEVEL_1_MS");
    CHECK(level_ms != NULL, "FERROCKET_DELAY_LEVEL_1_MS is not set: run through cargo xtask");
    uint64_t delay_ms = (uint64_t)strtoull(level_ms, NULL, 10);
    char topic[128], group[160];
    unique_name(topic, sizeof topic, "c", "delay_level");
    snprintf(group, sizeof group, "%s_group", topic);
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, NULL, &producer));
    ferrocket_send_result_t r;
    CHECK_PASS(send_text(producer, topic, "warm-up", NULL, NULL, &r)); /* creates the topic */

    static recorder_t rec;
    recorder_init(&rec);
    ferrocket_push_consumer_t *consumer = NULL;
    CHECK_PASS(new_push_consumer(group, NULL, &consumer));
    CHECK_OK(ferrocket_push_consumer_subscribe(consumer, topic, "*"));
    CHECK_OK(ferrocket_push_consumer_set_listener_concurrently(consumer, record_all, &rec));
    CHECK_OK(ferrocket_push_consumer_start(consumer));
    CHECK_PASS(wait_count(&rec, 1, 20000)); /* consuming: the queues are owned */

    ferrocket_message_t *msg = ferrocket_message_new(topic, "delayed", 7);
    CHECK_OK(ferrocket_message_set_delay_level(msg, 1));
    uint64_t sent_at = now_ms();
    CHECK_OK(ferrocket_producer_send(producer, msg, &r));
    ferrocket_message_destroy(msg);
    int rc = wait_count(&rec, 2, 20000 + delay_ms);
    ferrocket_push_consumer_destroy(consumer);
    ferrocket_producer_destroy(producer);
    CHECK(rc == 0, "the delayed message arrives");
    const delivery_t *d = &rec.items[1];
    CHECK(strcmp(d->body, "delayed") == 0, "second delivery is `%s`", d->body);
    CHECK(d->at_ms - sent_at >= delay_ms, "arrived after %" PRIu64 " ms, the delay is %" PRIu64,
          d->at_ms - sent_at, delay_ms);
    recorder_destroy(&rec);
    return 0;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = {
        SCENARIO(sql92_filter),
        SCENARIO(delay_level),
    };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
