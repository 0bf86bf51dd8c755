/*
 * push.h — helpers of the push consumer and message feature scenarios: a recorder that
 * listeners fill from the consume threads (behind a mutex), a seeding producer, and a push
 * consumer opened with the suite's settings.
 *
 * A recorded delivery keeps the body (as text), the first key, the queue, the reconsume times,
 * the msg id, when it arrived and on which thread. wait_count() waits with a deadline for the
 * recorder to hold at least a number of deliveries.
 */
#ifndef FERROCKET_TEST_PUSH_H
#define FERROCKET_TEST_PUSH_H

#include "harness.h"

#include <pthread.h>

#define RECORD_MAX 256

typedef struct delivery_t {
    char body[64];
    char key[64];
    char msg_id[FERROCKET_MSG_ID_LEN];
    uint32_t queue_id;
    uint64_t queue_offset;
    uint32_t reconsume_times;
    uint64_t at_ms;
    pthread_t thread;
} delivery_t;

typedef struct recorder_t {
    pthread_mutex_t lock;
    delivery_t items[RECORD_MAX];
    size_t count;
    bool overflow;
} recorder_t;

static inline void recorder_init(recorder_t *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
}

static inline void recorder_destroy(recorder_t *r) {
    pthread_mutex_destroy(&r->lock);
}

/* Records one lent message (copying what the scenarios check: the message is lent). */
static inline void recorder_add(recorder_t *r, const ferrocket_message_ext_t *m) {
    delivery_t d;
    memset(&d, 0, sizeof d);
    size_t len = ferrocket_message_ext_body_len(m);
    if (len >= sizeof d.body) {
        len = sizeof d.body - 1;
    }
    memcpy(d.body, ferrocket_message_ext_body(m), len);
    const char *key = ferrocket_message_ext_key(m, 0);
    snprintf(d.key, sizeof d.key, "%s", key != NULL ? key : "");
    snprintf(d.msg_id, sizeof d.msg_id, "%s", ferrocket_message_ext_msg_id(m));
    d.queue_id = ferrocket_message_ext_queue_id(m);
    d.queue_offset = ferrocket_message_ext_queue_offset(m);
    d.reconsume_times = ferrocket_message_ext_reconsume_times(m);
    d.at_ms = now_ms();
    d.thread = pthread_self();
    pthread_mutex_lock(&r->lock);
    if (r->count < RECORD_MAX) {
        r->items[r->count++] = d;
    } else {
        r->overflow = true;
    }
    pthread_mutex_unlock(&r->lock);
}

static inline size_t recorder_count(recorder_t *r) {
    pthread_mutex_lock(&r->lock);
    size_t n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* Waits up to `ms` (scaled) until `r` holds at least `want` deliveries. */
static inline int wait_count(recorder_t *r, size_t want, uint64_t ms) {
    uint64_t deadline = deadline_after(ms);
    size_t n;
    while ((n = recorder_count(r)) < want) {
        CHECK(now_ms() < deadline, "recorded %zu of %zu deliveries before the deadline", n, want);
        pause_ms(20);
    }
    return 0;
}

/* How many deliveries have body `body` (call once no listener runs, or under the lock). */
static inline size_t count_body(const recorder_t *r, const char *body) {
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++) {
        n += strcmp(r->items[i].body, body) == 0;
    }
    return n;
}

/* count_body() while listeners may still be recording. */
static inline size_t count_body_locked(recorder_t *r, const char *body) {
    pthread_mutex_lock(&r->lock);
    size_t n = count_body(r, body);
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* A concurrent listener that records every message and consumes it. */
static inline int32_t record_all(const ferrocket_message_ext_t *const *msgs, size_t count,
                                 ferrocket_consume_concurrently_context_t *ctx, void *user_data) {
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        recorder_add(user_data, msgs[i]);
    }
    return FERROCKET_CONSUME_SUCCESS;
}

/* A started producer of group <topic>_producer with `extra` config pairs (NULL-terminated). */
static inline int seed_producer(const char *topic, const char *const *extra,
                                ferrocket_producer_t **out) {
    char group[160];
    snprintf(group, sizeof group, "%s_producer", topic);
    ferrocket_config_t *conf = test_config(extra);
    ferrocket_status_t s = ferrocket_producer_new(out, group, namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_OK(ferrocket_producer_start(*out));
    return 0;
}

/* Sends a message with body `body`, key `key` (may be NULL) and `sharding` (NULL: any queue). */
static inline int send_text(ferrocket_producer_t *producer, const char *topic, const char *body,
                            const char *key, const char *sharding,
                            ferrocket_send_result_t *result) {
    ferrocket_message_t *msg = ferrocket_message_new(topic, body, strlen(body));
    CHECK(msg != NULL, "message_new");
    if (key != NULL) {
        CHECK_OK(ferrocket_message_set_keys(msg, key));
    }
    ferrocket_status_t s = sharding != NULL
                               ? ferrocket_producer_send_orderly(producer, msg, sharding, result)
                               : ferrocket_producer_send(producer, msg, result);
    ferrocket_message_destroy(msg);
    CHECK_OK(s);
    return 0;
}

/* A new (not started) push consumer of `group` reading from the first offset, with short
 * intervals and `extra` config pairs (NULL-terminated). */
static inline int new_push_consumer(const char *group, const char *const *extra,
                                    ferrocket_push_consumer_t **out) {
    const char *keys[] = { "consume_from", "first_offset", "persist_offset_interval_ms", "200",
                           "long_poll_ms", "1000", "await_termination_ms", "10000", NULL };
    ferrocket_config_t *conf = test_config(keys);
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2) {
        CHECK_OK(ferrocket_config_set(conf, extra[i], extra[i + 1]));
    }
    ferrocket_status_t s = ferrocket_push_consumer_new(out, group, namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    return 0;
}

#endif /* FERROCKET_TEST_PUSH_H */
