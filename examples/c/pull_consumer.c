/*
 * pull_consumer.c — read a topic with the ferrocket C SDK's pull consumer.
 *
 *   cargo build --release -p ferrocket-ffi
 *   cc examples/c/pull_consumer.c -Iinclude -Ltarget/release -lferrocket -o pull_consumer
 *   LD_LIBRARY_PATH=target/release ./pull_consumer [namesrv] [topic] [max] [idle_ms]
 *
 * Reads `topic` (default Orders) from its first message as group example-pull-consumer, prints
 * each message, commits, and stops after `max` messages (default: no limit) or after `idle_ms`
 * (default 5000) with nothing new. Exits 1 when a `max` was given and not reached.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ferrocket.h"

static int fail(const char *what, ferrocket_status_t status) {
    fprintf(stderr, "%s: %s: %s\n", what, ferrocket_status_str(status), ferrocket_last_error());
    return 1;
}

static void print_message(const ferrocket_message_ext_t *m) {
    printf("%s queue %u offset %llu tags=%s keys=%s body=%.*s\n", ferrocket_message_ext_msg_id(m),
           ferrocket_message_ext_queue_id(m),
           (unsigned long long)ferrocket_message_ext_queue_offset(m), ferrocket_message_ext_tags(m),
           ferrocket_message_ext_keys(m), (int)ferrocket_message_ext_body_len(m),
           (const char *)ferrocket_message_ext_body(m));
}

int main(int argc, char **argv) {
    const char *env = getenv("NAMESRV_ADDR");
    const char *namesrv = argc > 1 ? argv[1] : (env != NULL ? env : "127.0.0.1:9876");
    const char *topic = argc > 2 ? argv[2] : "Orders";
    long max = argc > 3 ? atol(argv[3]) : 0;
    long idle_ms = argc > 4 ? atol(argv[4]) : 5000;

    ferrocket_config_t *conf = ferrocket_config_new();
    ferrocket_config_set(conf, "consume_from", "first_offset"); /* a new group reads it all */
    ferrocket_config_set(conf, "auto_commit", "false");         /* commit explicitly below */
    ferrocket_pull_consumer_t *consumer = NULL;
    ferrocket_status_t s =
        ferrocket_pull_consumer_new(&consumer, "example-pull-consumer", namesrv, conf);
    ferrocket_config_destroy(conf);
    if (s != FERROCKET_OK) {
        return fail("pull_consumer_new", s);
    }
    if ((s = ferrocket_pull_consumer_subscribe(consumer, topic, "*")) != FERROCKET_OK ||
        (s = ferrocket_pull_consumer_start(consumer)) != FERROCKET_OK) {
        ferrocket_pull_consumer_destroy(consumer);
        return fail("subscribe/start", s);
    }

    long received = 0;
    while (max == 0 || received < max) {
        ferrocket_message_ext_t **msgs = NULL;
        size_t count = 0;
        /* Waits up to idle_ms; an empty poll means the topic is drained for now. */
        if ((s = ferrocket_pull_consumer_poll(consumer, idle_ms, &msgs, &count)) != FERROCKET_OK) {
            fail("poll", s);
            break;
        }
        if (count == 0) {
            break;
        }
        for (size_t i = 0; i < count; i++) {
            print_message(msgs[i]);
        }
        received += (long)count;
        ferrocket_message_ext_array_destroy(msgs, count); /* the messages and the array */
        if ((s = ferrocket_pull_consumer_commit(consumer)) != FERROCKET_OK) {
            fail("commit", s);
        }
    }
    printf("received %ld messages\n", received);
    ferrocket_pull_consumer_destroy(consumer);
    return max > 0 && received < max ? 1 : 0;
}
