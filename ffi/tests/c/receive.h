/*
 * receive.h — reading a topic back with a pull consumer, for the producer scenarios.
 *
 * receive() subscribes a fresh group to a topic from its first offset and polls until it has
 * at least `want` messages or its deadline passes. The messages it keeps are owned by the
 * received_t and freed by received_free().
 */
#ifndef FERROCKET_TEST_RECEIVE_H
#define FERROCKET_TEST_RECEIVE_H

#include "harness.h"

typedef struct received_t {
    ferrocket_message_ext_t **msgs;
    size_t count;
} received_t;

static inline void received_free(received_t *r) {
    for (size_t i = 0; i < r->count; i++) {
        ferrocket_message_ext_destroy(r->msgs[i]);
    }
    free(r->msgs);
    r->msgs = NULL;
    r->count = 0;
}

/* Moves every message of a poll array into `r` (taking them out of the array first). */
static inline int received_take(received_t *r, ferrocket_message_ext_t **polled, size_t n) {
    ferrocket_message_ext_t **grown = realloc(r->msgs, (r->count + n + 1) * sizeof *grown);
    if (grown == NULL) {
        return 1;
    }
    r->msgs = grown;
    for (size_t i = 0; i < n; i++) {
        r->msgs[r->count++] = polled[i];
        polled[i] = NULL; /* taken: the array destroy below leaves it alone */
    }
    ferrocket_message_ext_array_destroy(polled, n);
    return 0;
}

/* Polls `consumer` until `r` holds at least `want` messages or `ms` (scaled) pass. */
static inline int poll_until(ferrocket_pull_consumer_t *consumer, size_t want, uint64_t ms,
                             received_t *r) {
    uint64_t deadline = deadline_after(ms);
    while (r->count < want) {
        CHECK(now_ms() < deadline, "received %zu of %zu messages before the deadline", r->count,
              want);
        ferrocket_message_ext_t **polled = NULL;
        size_t n = 0;
        CHECK_OK(ferrocket_pull_consumer_poll(consumer, 200, &polled, &n));
        CHECK(received_take(r, polled, n) == 0, "out of memory");
    }
    return 0;
}

/* A started pull consumer of `group` subscribed to `topic` from its first offset. */
static inline int open_consumer(const char *topic, const char *group,
                                ferrocket_pull_consumer_t **out) {
    const char *keys[] = { "consume_from", "first_offset", "auto_commit", "false",
                           "long_poll_ms", "1000",         NULL };
    ferrocket_config_t *conf = test_config(keys);
    ferrocket_status_t s = ferrocket_pull_consumer_new(out, group, namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_OK(ferrocket_pull_consumer_subscribe(*out, topic, "*"));
    CHECK_OK(ferrocket_pull_consumer_start(*out));
    return 0;
}

/* Reads at least `want` messages of `topic` with a fresh group named after the topic. */
static inline int receive(const char *topic, size_t want, received_t *out) {
    char group[128];
    snprintf(group, sizeof group, "%s_reader", topic);
    ferrocket_pull_consumer_t *consumer = NULL;
    int rc = open_consumer(topic, group, &consumer);
    if (rc == 0) {
        rc = poll_until(consumer, want, 20000, out);
    }
    ferrocket_pull_consumer_destroy(consumer);
    return rc;
}

/* The received message whose msg id is `msg_id`, or NULL. */
static inline ferrocket_message_ext_t *find_msg(const received_t *r, const char *msg_id) {
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(ferrocket_message_ext_msg_id(r->msgs[i]), msg_id) == 0) {
            return r->msgs[i];
        }
    }
    return NULL;
}

/* Whether a received message's body is exactly `text`. */
static inline bool body_is(const ferrocket_message_ext_t *m, const char *text) {
    size_t len = ferrocket_message_ext_body_len(m);
    return len == strlen(text) && memcmp(ferrocket_message_ext_body(m), text, len) == 0;
}

#endif /* FERROCKET_TEST_RECEIVE_H */
