/*
 * test_pull_consumer.c — the pull consumer scenario of spec/scenarios.md through the C API:
 * pull_poll_commit_seek (poll, commit, the committed offset, seek, seek to beginning, and a
 * second consumer of the group starting where the first committed).
 */
#include "harness.h"
#include "receive.h"

#define SEEDED 10

/* Sends `count` messages "m<first>".. with one sharding key, so they share one queue. */
static int seed(const char *topic, int first, int count, ferrocket_send_result_t *last) {
    char group[160];
    snprintf(group, sizeof group, "%s_seeder", topic);
    ferrocket_config_t *conf = test_config(NULL);
    ferrocket_producer_t *producer = NULL;
    ferrocket_status_t s = ferrocket_producer_new(&producer, group, namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_OK(ferrocket_producer_start(producer));
    for (int i = first; i < first + count; i++) {
        char body[16];
        snprintf(body, sizeof body, "m%d", i);
        ferrocket_message_t *msg = ferrocket_message_new(topic, body, strlen(body));
        CHECK_OK(ferrocket_producer_send_orderly(producer, msg, "one-queue", last));
        ferrocket_message_destroy(msg);
    }
    ferrocket_producer_destroy(producer);
    return 0;
}

/* Whether the bodies of `r`'s messages, from index `from`, are m<first>, m<first+1>, …. */
static int bodies_from(const received_t *r, size_t from, int first, size_t n) {
    CHECK(r->count >= from + n, "have %zu messages, want %zu", r->count, from + n);
    for (size_t i = 0; i < n; i++) {
        char body[16];
        snprintf(body, sizeof body, "m%d", first + (int)i);
        CHECK(body_is(r->msgs[from + i], body), "message %zu is not %s", from + i, body);
    }
    return 0;
}

/* The assigned queue holding the seeded messages (its strings belong to `queues`). */
static int find_queue(ferrocket_pull_consumer_t *consumer, const ferrocket_send_result_t *sent,
                      ferrocket_message_queue_t **queues, size_t *count,
                      const ferrocket_message_queue_t **mq) {
    CHECK_OK(ferrocket_pull_consumer_assignment(consumer, queues, count));
    for (size_t i = 0; i < *count; i++) {
        if ((*queues)[i].queue_id == sent->queue_id &&
            strcmp((*queues)[i].broker_name, sent->broker_name) == 0) {
            *mq = &(*queues)[i];
            return 0;
        }
    }
    fprintf(stderr, "    queue %u of %s is not assigned\n", sent->queue_id, sent->broker_name);
    return 1;
}

/* Reads the seeded queue, commits, checks the committed offset, then seeks twice. */
static int poll_commit_seek(ferrocket_pull_consumer_t *consumer, const char *topic,
                            const ferrocket_send_result_t *last) {
    received_t got = { 0 };
    CHECK_PASS(poll_until(consumer, SEEDED, 20000, &got));
    CHECK_PASS(bodies_from(&got, 0, 0, SEEDED));
    CHECK_OK(ferrocket_pull_consumer_commit(consumer));

    ferrocket_message_queue_t *queues = NULL;
    size_t count = 0;
    const ferrocket_message_queue_t *mq = NULL;
    CHECK_PASS(find_queue(consumer, last, &queues, &count, &mq));
    CHECK(strcmp(mq->topic, topic) == 0, "assigned queue of another topic");
    int64_t committed = -2;
    CHECK_OK(ferrocket_pull_consumer_committed(consumer, mq, &committed));
    CHECK(committed == (int64_t)last->queue_offset + 1, "committed %" PRId64 ", want %" PRIu64,
          committed, last->queue_offset + 1);

    CHECK_OK(ferrocket_pull_consumer_seek(consumer, mq, last->queue_offset - 2));
    CHECK_PASS(poll_until(consumer, SEEDED + 3, 20000, &got));
    CHECK_PASS(bodies_from(&got, SEEDED, SEEDED - 3, 3));
    CHECK_OK(ferrocket_pull_consumer_seek_to_beginning(consumer, mq));
    CHECK_PASS(poll_until(consumer, 2 * SEEDED + 3, 20000, &got));
    CHECK_PASS(bodies_from(&got, SEEDED + 3, 0, SEEDED));
    CHECK_STATUS(ferrocket_pull_consumer_seek(consumer, NULL, 0), FERROCKET_ERR_INVALID_ARGUMENT);
    ferrocket_message_queue_array_destroy(queues, count);
    received_free(&got);
    return 0;
}

static int scenario_pull_poll_commit_seek(void) {
    char topic[128], group[160];
    unique_name(topic, sizeof topic, "c", "pull_poll_commit_seek");
    snprintf(group, sizeof group, "%s_group", topic);
    ferrocket_send_result_t last;
    CHECK_PASS(seed(topic, 0, SEEDED, &last));

    ferrocket_pull_consumer_t *consumer = NULL;
    CHECK_PASS(open_consumer(topic, group, &consumer));
    int rc = poll_commit_seek(consumer, topic, &last);
    CHECK_OK(ferrocket_pull_consumer_shutdown(consumer)); /* auto-commit is off: no commit */
    ferrocket_pull_consumer_destroy(consumer);
    CHECK(rc == 0, "poll, commit and seek");

    /* The group's next consumer starts at the committed offset, not the first one. */
    CHECK_PASS(seed(topic, SEEDED, 1, &last));
    CHECK_PASS(open_consumer(topic, group, &consumer));
    received_t got = { 0 };
    rc = poll_until(consumer, 1, 20000, &got);
    ferrocket_pull_consumer_destroy(consumer);
    CHECK(rc == 0, "the second consumer polls");
    CHECK(body_is(got.msgs[0], "m10"), "the second consumer starts at the committed offset");
    received_free(&got);
    return 0;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = { SCENARIO(pull_poll_commit_seek) };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
