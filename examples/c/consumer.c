/*
 * consumer.c — consume a topic with the ferrocket C SDK's push consumer.
 *
 *   cargo build --release -p ferrocket-ffi
 *   cc examples/c/consumer.c -Iinclude -Ltarget/release -lferrocket -o consumer
 *   LD_LIBRARY_PATH=target/release ./consumer [namesrv] [topic] [max] [idle_ms]
 *
 * Joins consumer group example-consumer on `topic` (default Orders), reading from its first
 * message, and prints each message from the listener, which the consumer calls on its own
 * consume threads. Stops after `max` messages (default: no limit) or after `idle_ms` (default
 * 5000) with nothing new, then shuts down (offsets are committed). Exits 1 when a `max` was
 * given and not reached. examples/c/pull_consumer.c does the same with the pull consumer.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ferrocket.h"

static int fail(const char *what, ferrocket_status_t status) {
    fprintf(stderr, "%s: %s: %s\n", what, ferrocket_status_str(status), ferrocket_last_error());
    return 1;
}

/* Runs on a consume thread (several at once): the messages are lent for this call only. */
static int32_t on_messages(const ferrocket_message_ext_t *const *msgs, size_t count,
                           ferrocket_consume_concurrently_context_t *ctx, void *user_data) {
    atomic_long *received = user_data;
    for (size_t i = 0; i < count; i++) {
        const ferrocket_message_ext_t *m = msgs[i];
        printf("%s queue %u offset %llu tags=%s keys=%s body=%.*s\n",
               ferrocket_message_ext_msg_id(m), ctx->queue.queue_id,
               (unsigned long long)ferrocket_message_ext_queue_offset(m),
               ferrocket_message_ext_tags(m), ferrocket_message_ext_keys(m),
               (int)ferrocket_message_ext_body_len(m), (const char *)ferrocket_message_ext_body(m));
    }
    fflush(stdout);
    atomic_fetch_add(received, (long)count);
    return FERROCKET_CONSUME_SUCCESS; /* FERROCKET_RECONSUME_LATER: delivered again later */
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    const char *env = getenv("NAMESRV_ADDR");
    const char *namesrv = argc > 1 ? argv[1] : (env != NULL ? env : "127.0.0.1:9876");
    const char *topic = argc > 2 ? argv[2] : "Orders";
    long max = argc > 3 ? atol(argv[3]) : 0;
    long idle_ms = argc > 4 ? atol(argv[4]) : 5000;

    ferrocket_config_t *conf = ferrocket_config_new();
    ferrocket_config_set(conf, "consume_from", "first_offset"); /* a new group reads it all */
    ferrocket_config_set(conf, "consume_thread_min", "4");
    ferrocket_push_consumer_t *consumer = NULL;
    ferrocket_status_t s = ferrocket_push_consumer_new(&consumer, "example-consumer", namesrv, conf);
    ferrocket_config_destroy(conf);
    if (s != FERROCKET_OK) {
        return fail("push_consumer_new", s);
    }
    atomic_long received = 0;
    if ((s = ferrocket_push_consumer_subscribe(consumer, topic, "*")) != FERROCKET_OK ||
        (s = ferrocket_push_consumer_set_listener_concurrently(consumer, on_messages,
                                                               &received)) != FERROCKET_OK ||
        (s = ferrocket_push_consumer_start(consumer)) != FERROCKET_OK) {
        ferrocket_push_consumer_destroy(consumer);
        return fail("subscribe/listener/start", s);
    }

    /* The listener works on the consumer's threads; this thread only watches the count. */
    long seen = 0, idle = 0;
    while ((max == 0 || seen < max) && idle < idle_ms) {
        sleep_ms(50);
        long now = atomic_load(&received);
        idle = now == seen ? idle + 50 : 0;
        seen = now;
    }
    /* Waits for running listener calls and commits offsets; none runs after it returns. */
    ferrocket_push_consumer_destroy(consumer);
    seen = atomic_load(&received);
    printf("received %ld messages\n", seen);
    return max > 0 && seen < max ? 1 : 0;
}
