/*
 * test_config.c — the C-only config scenarios of spec/scenarios.md, against the suite's broker:
 * compressed_body (compress_body_over set low: a compressible body is stored compressed and
 * read back intact; `off` stores it as it is), timer_max_delay (a delivery time past
 * timer_max_delay_ms is refused before sending), allocate_config (a pull consumer with
 * allocate_strategy=config reads only its configured queue) and config_values_checked (bad
 * values of these keys, and strategies missing their companion keys, give
 * FERROCKET_ERR_INVALID_ARGUMENT naming the key).
 */
#include "harness.h"
#include "push.h"
#include "receive.h"

#define BIG_BODY_LEN (64 * 1024)

/* Sends `len` bytes of `body` with a producer configured by `extra`; fills `msg_id`. */
static int send_body(const char *topic, const char *const *extra, const uint8_t *body,
                     size_t len, char *msg_id) {
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, extra, &producer));
    ferrocket_message_t *msg = ferrocket_message_new(topic, body, len);
    CHECK(msg != NULL, "message_new");
    ferrocket_send_result_t r;
    ferrocket_status_t s = ferrocket_producer_send(producer, msg, &r);
    ferrocket_message_destroy(msg);
    ferrocket_producer_destroy(producer);
    CHECK_OK(s);
    memcpy(msg_id, r.msg_id, FERROCKET_MSG_ID_LEN);
    return 0;
}

static int scenario_compressed_body(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "compressed_body");
    uint8_t *body = malloc(BIG_BODY_LEN);
    CHECK(body != NULL, "out of memory");
    for (size_t i = 0; i < BIG_BODY_LEN; i++) {
        body[i] = (uint8_t)("compressible "[i % 13]);
    }
    const char *low[] = { "compress_body_over", "1024", NULL };
    const char *off[] = { "compress_body_over", "off", NULL };
    char packed_id[FERROCKET_MSG_ID_LEN], plain_id[FERROCKET_MSG_ID_LEN];
    int rc = send_body(topic, low, body, BIG_BODY_LEN, packed_id) ||
             send_body(topic, off, body, BIG_BODY_LEN, plain_id);
    received_t got = { 0 };
    rc = rc || receive(topic, 2, &got);
    const ferrocket_message_ext_t *packed = rc ? NULL : find_msg(&got, packed_id);
    const ferrocket_message_ext_t *plain = rc ? NULL : find_msg(&got, plain_id);
    bool found = packed != NULL && plain != NULL;
    bool intact = found && ferrocket_message_ext_body_len(packed) == BIG_BODY_LEN &&
                  memcmp(ferrocket_message_ext_body(packed), body, BIG_BODY_LEN) == 0 &&
                  ferrocket_message_ext_body_len(plain) == BIG_BODY_LEN &&
                  memcmp(ferrocket_message_ext_body(plain), body, BIG_BODY_LEN) == 0;
    uint32_t packed_size = found ? ferrocket_message_ext_store_size(packed) : 0;
    uint32_t plain_size = found ? ferrocket_message_ext_store_size(plain) : 0;
    received_free(&got);
    free(body);
    CHECK(rc == 0 && found, "both messages are read back");
    CHECK(intact, "both bodies come back exactly as sent");
    CHECK(packed_size < BIG_BODY_LEN / 4, "stored compressed: %" PRIu32 " bytes", packed_size);
    CHECK(plain_size > BIG_BODY_LEN, "stored as it is with `off`: %" PRIu32 " bytes",
          plain_size);
    return 0;
}

static uint64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int scenario_timer_max_delay(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "timer_max_delay");
    const char *keys[] = { "timer_max_delay_ms", "60000", NULL };
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, keys, &producer));
    ferrocket_message_t *msg = ferrocket_message_new(topic, "later", 5);
    CHECK(msg != NULL, "message_new");
    CHECK_OK(ferrocket_message_set_delivery_time_ms(msg, wall_ms() + 10u * 60u * 1000u));
    ferrocket_send_result_t r;
    ferrocket_status_t too_far = ferrocket_producer_send(producer, msg, &r);
    char error[512];
    snprintf(error, sizeof error, "%s", ferrocket_last_error());
    CHECK_OK(ferrocket_message_set_delivery_time_ms(msg, wall_ms() + 1000u));
    ferrocket_status_t near = ferrocket_producer_send(producer, msg, &r);
    ferrocket_message_destroy(msg);
    ferrocket_producer_destroy(producer);
    CHECK_STATUS(too_far, FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(strstr(error, "maximum delay of 60 s") != NULL, "names the maximum: %s", error);
    CHECK_OK(near);
    return 0;
}

/* Sends `body` to queue `queue_id` of `topic` on `broker`. */
static int send_to(ferrocket_producer_t *producer, const char *topic, const char *broker,
                   uint32_t queue_id, const char *body) {
    ferrocket_message_queue_t mq = { topic, broker, queue_id };
    ferrocket_message_t *msg = ferrocket_message_new(topic, body, strlen(body));
    CHECK(msg != NULL, "message_new");
    ferrocket_send_result_t r;
    ferrocket_status_t s = ferrocket_producer_send_to_queue(producer, msg, &mq, &r);
    ferrocket_message_destroy(msg);
    CHECK_OK(s);
    CHECK(r.queue_id == queue_id, "sent to queue %" PRIu32, r.queue_id);
    return 0;
}

static int scenario_allocate_config(void) {
    char topic[128], group[160], queues[320];
    unique_name(topic, sizeof topic, "c", "allocate_config");
    snprintf(group, sizeof group, "%s_reader", topic);
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, NULL, &producer));
    ferrocket_send_result_t seed;
    CHECK_PASS(send_text(producer, topic, "seed", NULL, NULL, &seed)); /* creates the topic */
    int rc = send_to(producer, topic, seed.broker_name, 0, "q0") ||
             send_to(producer, topic, seed.broker_name, 1, "end");
    ferrocket_producer_destroy(producer);
    CHECK(rc == 0, "sends to queues 0 and 1");
    snprintf(queues, sizeof queues, "%s@%s#1", topic, seed.broker_name);
    const char *keys[] = { "consume_from", "first_offset", "long_poll_ms", "500",
                           "allocate_strategy", "config", "allocate_queues", queues, NULL };
    ferrocket_config_t *conf = test_config(keys);
    ferrocket_pull_consumer_t *consumer = NULL;
    ferrocket_status_t s = ferrocket_pull_consumer_new(&consumer, group, namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_OK(ferrocket_pull_consumer_subscribe(consumer, topic, "*"));
    CHECK_OK(ferrocket_pull_consumer_start(consumer));
    received_t got = { 0 };
    uint64_t deadline = deadline_after(20000);
    bool ended = false;
    while (rc == 0 && !ended && now_ms() < deadline) {
        rc = poll_until(consumer, got.count + 1, 20000, &got);
        ended = rc == 0 && body_is(got.msgs[got.count - 1], "end");
    }
    /* One more poll: a queue-0 message pulled in parallel would show up by now. */
    if (rc == 0) {
        ferrocket_message_ext_t **polled = NULL;
        size_t n = 0;
        rc = ferrocket_pull_consumer_poll(consumer, 500, &polled, &n) != FERROCKET_OK ||
             received_take(&got, polled, n) != 0;
    }
    ferrocket_pull_consumer_destroy(consumer);
    size_t other = 0;
    for (size_t i = 0; i < got.count; i++) {
        other += ferrocket_message_ext_queue_id(got.msgs[i]) != 1;
    }
    received_free(&got);
    CHECK(rc == 0 && ended, "the queue-1 message arrives");
    CHECK(other == 0, "%zu messages came from queues not configured", other);
    return 0;
}

/* `key`=`value` is refused with FERROCKET_ERR_INVALID_ARGUMENT naming the key. */
static int refused(const char *key, const char *value) {
    ferrocket_config_t *conf = ferrocket_config_new();
    CHECK(conf != NULL, "config_new");
    ferrocket_status_t s = ferrocket_config_set(conf, key, value);
    ferrocket_config_destroy(conf);
    CHECK_STATUS(s, FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ferrocket_last_error(), key) != NULL, "%s=%s: the error names the key", key,
          value);
    return 0;
}

static int scenario_config_values_checked(void) {
    static const char *const bad[][2] = {
        { "compress_body_over", "-1" },    { "compress_body_over", "lots" },
        { "timer_max_delay_ms", "0" },     { "timer_max_delay_ms", "1h" },
        { "allocate_strategy", "random" }, { "allocate_virtual_nodes", "0" },
        { "allocate_queues", "t#0" },      { "allocate_machine_room_inner", "config" },
        { "broker_machine_rooms", "b1" },  { "consumer_machine_rooms", "east=" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_PASS(refused(bad[i][0], bad[i][1]));
    }
    const char *config_only[] = { "allocate_strategy", "config", NULL };
    ferrocket_config_t *conf = test_config(config_only);
    ferrocket_pull_consumer_t *pull = NULL;
    ferrocket_status_t s = ferrocket_pull_consumer_new(&pull, "c_cfg_group", namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_STATUS(s, FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(pull == NULL && strstr(ferrocket_last_error(), "allocate_queues") != NULL,
          "names the missing key");
    const char *nearby[] = { "allocate_strategy", "machine_room_nearby", "broker_machine_rooms",
                             "east=b-0", NULL };
    conf = test_config(nearby);
    ferrocket_push_consumer_t *push = NULL;
    s = ferrocket_push_consumer_new(&push, "c_cfg_group", namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_STATUS(s, FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(push == NULL && strstr(ferrocket_last_error(), "consumer_machine_rooms") != NULL,
          "names the missing key");
    return 0;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = {
        SCENARIO(compressed_body),
        SCENARIO(timer_max_delay),
        SCENARIO(allocate_config),
        SCENARIO(config_values_checked),
    };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
