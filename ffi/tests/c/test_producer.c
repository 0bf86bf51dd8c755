/*
 * test_producer.c — the producer scenarios of spec/scenarios.md through the C API:
 * send_sync, send_async, send_oneway, send_orderly, send_batch, each against the real broker
 * the suite started, each on a fresh topic named after the scenario.
 */
#include "harness.h"
#include "receive.h"

#include <stdatomic.h>

/* A started producer whose group is named after the topic. */
static int open_producer(const char *topic, ferrocket_producer_t **out) {
    char group[128];
    snprintf(group, sizeof group, "%s_producer", topic);
    ferrocket_config_t *conf = test_config(NULL);
    ferrocket_status_t s = ferrocket_producer_new(out, group, namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_OK(ferrocket_producer_start(*out));
    return 0;
}

/* A message with a body of `text`. */
static ferrocket_message_t *text_message(const char *topic, const char *text) {
    return ferrocket_message_new(topic, text, strlen(text));
}

static int check_result(const ferrocket_send_result_t *r) {
    CHECK(r->status == FERROCKET_SEND_OK, "send status %d", (int)r->status);
    CHECK(is_hex(r->msg_id, 32), "msg id `%s` is not 32 hex characters", r->msg_id);
    CHECK(r->broker_name[0] != '\0', "no broker name");
    CHECK(r->queue_id < 64, "queue id %u", r->queue_id);
    return 0;
}

static int scenario_send_sync(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "send_sync");
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(open_producer(topic, &producer));
    ferrocket_message_t *msg = text_message(topic, "hello, send_sync");
    CHECK(msg != NULL, "message_new");
    CHECK_OK(ferrocket_message_set_tags(msg, "TagA"));
    CHECK_OK(ferrocket_message_set_keys(msg, "order-1 user-42"));
    CHECK_OK(ferrocket_message_set_property(msg, "region", "eu-west"));
    ferrocket_send_result_t result;
    CHECK_OK(ferrocket_producer_send(producer, msg, &result));
    CHECK_PASS(check_result(&result));
    ferrocket_message_destroy(msg);
    CHECK_OK(ferrocket_producer_shutdown(producer));
    ferrocket_producer_destroy(producer);

    received_t got = { 0 };
    CHECK_PASS(receive(topic, 1, &got));
    const ferrocket_message_ext_t *m = find_msg(&got, result.msg_id);
    CHECK(m != NULL, "message %s not read back", result.msg_id);
    CHECK(body_is(m, "hello, send_sync"), "body differs");
    CHECK(strcmp(ferrocket_message_ext_topic(m), topic) == 0, "topic differs");
    CHECK(strcmp(ferrocket_message_ext_tags(m), "TagA") == 0, "tags differ");
    CHECK(strcmp(ferrocket_message_ext_keys(m), "order-1 user-42") == 0, "keys differ");
    const char *region = ferrocket_message_ext_property(m, "region");
    CHECK(region != NULL && strcmp(region, "eu-west") == 0, "property differs");
    CHECK(ferrocket_message_ext_queue_id(m) == result.queue_id, "queue differs");
    CHECK(ferrocket_message_ext_queue_offset(m) == result.queue_offset, "offset differs");
    CHECK(ferrocket_message_ext_store_timestamp_ms(m) >= ferrocket_message_ext_born_timestamp_ms(m) - 5000,
          "store time before born time");
    received_free(&got);
    return 0;
}

#define ASYNC_COUNT 10

/* One async send's outcome, filled by the callback on a producer thread. */
typedef struct async_slot_t {
    atomic_int done;
    ferrocket_status_t status;
    ferrocket_send_result_t result;
} async_slot_t;

static void on_sent(ferrocket_status_t status, const ferrocket_send_result_t *result,
                    const char *error, void *user_data) {
    async_slot_t *slot = user_data;
    slot->status = status;
    if (result != NULL) {
        slot->result = *result;
    } else {
        fprintf(stderr, "    async send failed: %s\n", error);
    }
    atomic_store(&slot->done, 1);
}

static int wait_async(async_slot_t *slots, size_t n) {
    uint64_t deadline = deadline_after(20000);
    for (size_t i = 0; i < n; i++) {
        while (!atomic_load(&slots[i].done)) {
            CHECK(now_ms() < deadline, "async send %zu never called back", i);
            pause_ms(5);
        }
    }
    return 0;
}

static int scenario_send_async(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "send_async");
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(open_producer(topic, &producer));
    static async_slot_t slots[ASYNC_COUNT];
    for (int i = 0; i < ASYNC_COUNT; i++) {
        char body[32];
        snprintf(body, sizeof body, "async-%d", i);
        ferrocket_message_t *msg = text_message(topic, body);
        atomic_init(&slots[i].done, 0);
        CHECK_OK(ferrocket_producer_send_async(producer, msg, on_sent, &slots[i]));
        ferrocket_message_destroy(msg); /* not consumed by the send: the caller frees it */
    }
    CHECK_PASS(wait_async(slots, ASYNC_COUNT));
    CHECK_OK(ferrocket_producer_shutdown(producer));
    ferrocket_producer_destroy(producer);

    received_t got = { 0 };
    CHECK_PASS(receive(topic, ASYNC_COUNT, &got));
    for (int i = 0; i < ASYNC_COUNT; i++) {
        CHECK_STATUS(slots[i].status, FERROCKET_OK);
        CHECK_PASS(check_result(&slots[i].result));
        const ferrocket_message_ext_t *m = find_msg(&got, slots[i].result.msg_id);
        CHECK(m != NULL, "async message %d not read back", i);
        char body[32];
        snprintf(body, sizeof body, "async-%d", i);
        CHECK(body_is(m, body), "body of %d differs", i);
        CHECK(ferrocket_message_ext_queue_id(m) == slots[i].result.queue_id &&
                  ferrocket_message_ext_queue_offset(m) == slots[i].result.queue_offset,
              "the callback's queue and offset are where message %d is", i);
    }
    received_free(&got);
    return 0;
}

static int scenario_send_oneway(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "send_oneway");
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(open_producer(topic, &producer));
    /* A sync send first creates the topic, so the oneway sends find its route. */
    ferrocket_message_t *first = text_message(topic, "oneway-first");
    ferrocket_send_result_t r;
    CHECK_OK(ferrocket_producer_send(producer, first, &r));
    ferrocket_message_destroy(first);
    for (int i = 0; i < 3; i++) {
        char body[32];
        snprintf(body, sizeof body, "oneway-%d", i);
        ferrocket_message_t *msg = text_message(topic, body);
        CHECK_OK(ferrocket_producer_send_oneway(producer, msg));
        ferrocket_message_destroy(msg);
    }
    CHECK_OK(ferrocket_producer_shutdown(producer));
    ferrocket_producer_destroy(producer);

    received_t got = { 0 };
    CHECK_PASS(receive(topic, 4, &got));
    for (int i = 0; i < 3; i++) {
        char body[32];
        snprintf(body, sizeof body, "oneway-%d", i);
        bool found = false;
        for (size_t j = 0; j < got.count; j++) {
            found = found || body_is(got.msgs[j], body);
        }
        CHECK(found, "oneway message %d not consumed", i);
    }
    received_free(&got);
    return 0;
}

#define ORDER_KEYS 3
#define ORDER_PER_KEY 5

static int scenario_send_orderly(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "send_orderly");
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(open_producer(topic, &producer));
    ferrocket_send_result_t results[ORDER_KEYS][ORDER_PER_KEY];
    for (int i = 0; i < ORDER_PER_KEY; i++) {
        for (int k = 0; k < ORDER_KEYS; k++) {
            char key[16], body[32];
            snprintf(key, sizeof key, "order-%d", k);
            snprintf(body, sizeof body, "%s/%d", key, i);
            ferrocket_message_t *msg = text_message(topic, body);
            CHECK_OK(ferrocket_producer_send_orderly(producer, msg, key, &results[k][i]));
            ferrocket_message_destroy(msg);
        }
    }
    for (int k = 0; k < ORDER_KEYS; k++) {
        for (int i = 1; i < ORDER_PER_KEY; i++) {
            const ferrocket_send_result_t *prev = &results[k][i - 1], *cur = &results[k][i];
            CHECK(cur->queue_id == prev->queue_id &&
                      strcmp(cur->broker_name, prev->broker_name) == 0,
                  "key %d moved from queue %u to %u", k, prev->queue_id, cur->queue_id);
            CHECK(cur->queue_offset > prev->queue_offset, "key %d offsets do not increase", k);
        }
    }
    CHECK_OK(ferrocket_producer_shutdown(producer));
    ferrocket_producer_destroy(producer);
    return 0;
}

#define BATCH_COUNT 8

static int scenario_send_batch(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "send_batch");
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(open_producer(topic, &producer));
    ferrocket_message_t *batch[BATCH_COUNT];
    for (int i = 0; i < BATCH_COUNT; i++) {
        char body[32];
        snprintf(body, sizeof body, "batch-%d", i);
        batch[i] = text_message(topic, body);
    }
    ferrocket_send_result_t results[BATCH_COUNT];
    CHECK_OK(ferrocket_producer_send_batch(producer, batch, BATCH_COUNT, results));
    for (int i = 0; i < BATCH_COUNT; i++) {
        ferrocket_message_destroy(batch[i]);
        CHECK_PASS(check_result(&results[i]));
        CHECK(results[i].queue_id == results[0].queue_id, "batch split across queues");
        CHECK(results[i].queue_offset == results[0].queue_offset + (uint64_t)i,
              "offset of %d is not consecutive", i);
        CHECK(i == 0 || strcmp(results[i].msg_id, results[i - 1].msg_id) != 0, "ids repeat");
    }
    CHECK_OK(ferrocket_producer_shutdown(producer));
    ferrocket_producer_destroy(producer);

    received_t got = { 0 };
    CHECK_PASS(receive(topic, BATCH_COUNT, &got));
    for (int i = 0; i < BATCH_COUNT; i++) {
        const ferrocket_message_ext_t *m = find_msg(&got, results[i].msg_id);
        CHECK(m != NULL, "batch message %d not read back", i);
        char body[32];
        snprintf(body, sizeof body, "batch-%d", i);
        CHECK(body_is(m, body), "batch message %d has another body", i);
        CHECK(ferrocket_message_ext_queue_offset(m) == results[i].queue_offset,
              "batch message %d is at another offset", i);
    }
    received_free(&got);
    return 0;
}

/* What the re-entering callback saw. */
typedef struct reentry_t {
    atomic_int done;
    ferrocket_producer_t *producer;
    ferrocket_message_t *msg;
    ferrocket_status_t async_status, nested_send, nested_shutdown;
    ferrocket_send_result_t nested_result;
} reentry_t;

static void on_sent_reenter(ferrocket_status_t status, const ferrocket_send_result_t *result,
                            const char *error, void *user_data) {
    (void)result, (void)error;
    reentry_t *r = user_data;
    r->async_status = status;
    /* A blocking call from a callback thread works; shutting down its own producer would wait
     * for this very callback, so it is refused. */
    r->nested_send = ferrocket_producer_send(r->producer, r->msg, &r->nested_result);
    r->nested_shutdown = ferrocket_producer_shutdown(r->producer);
    atomic_store(&r->done, 1);
}

static int scenario_callback_reentry(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "callback_reentry");
    static reentry_t r;
    atomic_init(&r.done, 0);
    CHECK_PASS(open_producer(topic, &r.producer));
    r.msg = text_message(topic, "reentry");
    CHECK_OK(ferrocket_producer_send_async(r.producer, r.msg, on_sent_reenter, &r));
    uint64_t deadline = deadline_after(20000);
    while (!atomic_load(&r.done)) {
        CHECK(now_ms() < deadline, "the callback never finished");
        pause_ms(5);
    }
    CHECK_STATUS(r.async_status, FERROCKET_OK);
    CHECK_STATUS(r.nested_send, FERROCKET_OK);
    CHECK_PASS(check_result(&r.nested_result));
    CHECK_STATUS(r.nested_shutdown, FERROCKET_ERR_ILLEGAL_STATE);
    CHECK_OK(ferrocket_producer_shutdown(r.producer));
    ferrocket_producer_destroy(r.producer);
    ferrocket_message_destroy(r.msg);
    return 0;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = {
        SCENARIO(send_sync),    SCENARIO(send_async), SCENARIO(send_oneway),
        SCENARIO(send_orderly), SCENARIO(send_batch), SCENARIO(callback_reentry),
    };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
