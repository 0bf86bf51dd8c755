/*
 * producer.c — send a few messages with the ferrocket C SDK.
 *
 *   cargo build --release -p ferrocket-ffi
 *   cc examples/c/producer.c -Iinclude -Ltarget/release -lferrocket -o producer
 *   LD_LIBRARY_PATH=target/release ./producer [namesrv] [topic] [count]
 *
 * Defaults: $NAMESRV_ADDR or 127.0.0.1:9876, topic Orders, 10 messages. Run
 * `ferrocket standalone` first; the topic is created by the first send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferrocket.h"

static int fail(const char *what, ferrocket_status_t status) {
    fprintf(stderr, "%s: %s: %s\n", what, ferrocket_status_str(status), ferrocket_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *env = getenv("NAMESRV_ADDR");
    const char *namesrv = argc > 1 ? argv[1] : (env != NULL ? env : "127.0.0.1:9876");
    const char *topic = argc > 2 ? argv[2] : "Orders";
    int count = argc > 3 ? atoi(argv[3]) : 10;

    /* Settings are string keys; the producer copies the config, so it can go right away. */
    ferrocket_config_t *conf = ferrocket_config_new();
    ferrocket_status_t s = ferrocket_config_set(conf, "send_timeout_ms", "3000");
    if (s != FERROCKET_OK) {
        return fail("config", s);
    }
    ferrocket_producer_t *producer = NULL;
    s = ferrocket_producer_new(&producer, "example-producer", namesrv, conf);
    ferrocket_config_destroy(conf);
    if (s != FERROCKET_OK) {
        return fail("producer_new", s);
    }
    if ((s = ferrocket_producer_start(producer)) != FERROCKET_OK) {
        ferrocket_producer_destroy(producer);
        return fail("producer_start", s);
    }

    int failures = 0;
    for (int i = 0; i < count; i++) {
        char body[64], key[32];
        snprintf(body, sizeof body, "hello from C #%d", i);
        snprintf(key, sizeof key, "order-%d", i);
        ferrocket_message_t *msg = ferrocket_message_new(topic, body, strlen(body));
        ferrocket_message_set_tags(msg, "TagA");
        ferrocket_message_set_keys(msg, key);
        ferrocket_message_set_property(msg, "lang", "c");

        ferrocket_send_result_t result; /* filled by the send; nothing in it to free */
        s = ferrocket_producer_send(producer, msg, &result);
        ferrocket_message_destroy(msg); /* sends never consume the message */
        if (s != FERROCKET_OK) {
            fail("send", s);
            failures++;
            continue;
        }
        printf("SEND_OK %s %s queue %u offset %llu\n", result.msg_id, result.broker_name,
               result.queue_id, (unsigned long long)result.queue_offset);
    }

    ferrocket_producer_destroy(producer); /* shuts down first */
    return failures == 0 ? 0 : 1;
}
