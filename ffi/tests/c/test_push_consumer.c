/*
 * test_push_consumer.c — the push consumer scenarios of spec/scenarios.md through the C API:
 * push_concurrent (every message exactly once, on several consume threads), push_orderly
 * (each key's messages in send order, one call at a time per queue), push_broadcasting (two
 * members of one group each get every message) and reconsume_later (a message returned with
 * FERROCKET_RECONSUME_LATER comes back with a growing reconsume_times).
 */
#include "harness.h"
#include "push.h"

#include <dirent.h>
#include <stdatomic.h>
#include <sys/stat.h>

#define CONCURRENT_COUNT 40
#define ORDERLY_KEYS 4
#define ORDERLY_PER_KEY 10
#define BROADCAST_COUNT 10
#define RECONSUME_ROUNDS 3
#define QUEUES_MAX 64

/* How many distinct threads recorded deliveries. */
static size_t distinct_threads(const recorder_t *r) {
    size_t distinct = 0;
    for (size_t i = 0; i < r->count; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = pthread_equal(r->items[i].thread, r->items[j].thread) != 0;
        }
        distinct += !seen;
    }
    return distinct;
}

/* A concurrent listener that records each message and takes a moment over it, so the batch is
 * spread over several consume threads. */
static int32_t record_slowly(const ferrocket_message_ext_t *const *msgs, size_t count,
                             ferrocket_consume_concurrently_context_t *ctx, void *user_data) {
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        recorder_add(user_data, msgs[i]);
    }
    pause_ms(10);
    return FERROCKET_CONSUME_SUCCESS;
}

static int scenario_push_concurrent(void) {
    char topic[128], group[160];
    unique_name(topic, sizeof topic, "c", "push_concurrent");
    snprintf(group, sizeof group, "%s_group", topic);
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, NULL, &producer));
    for (int i = 0; i < CONCURRENT_COUNT; i++) {
        char body[32];
        snprintf(body, sizeof body, "m%d", i);
        ferrocket_send_result_t r;
        CHECK_PASS(send_text(producer, topic, body, NULL, NULL, &r));
    }
    ferrocket_producer_destroy(producer);

    recorder_t rec;
    recorder_init(&rec);
    const char *keys[] = { "consume_thread_min", "4", NULL };
    ferrocket_push_consumer_t *consumer = NULL;
    CHECK_PASS(new_push_consumer(group, keys, &consumer));
    CHECK_OK(ferrocket_push_consumer_subscribe(consumer, topic, "*"));
    CHECK_OK(ferrocket_push_consumer_set_listener_concurrently(consumer, record_slowly, &rec));
    CHECK_OK(ferrocket_push_consumer_start(consumer));
    int rc = wait_count(&rec, CONCURRENT_COUNT, 30000);
    CHECK_OK(ferrocket_push_consumer_shutdown(consumer)); /* no listener call after this */
    ferrocket_push_consumer_destroy(consumer);
    CHECK(rc == 0, "every message arrives");

    CHECK(rec.count == CONCURRENT_COUNT && !rec.overflow, "%zu deliveries of %d messages",
          rec.count, CONCURRENT_COUNT);
    for (int i = 0; i < CONCURRENT_COUNT; i++) {
        char body[32];
        snprintf(body, sizeof body, "m%d", i);
        CHECK(count_body(&rec, body) == 1, "%s delivered %zu times", body, count_body(&rec, body));
    }
    size_t threads = distinct_threads(&rec);
    CHECK(threads >= 2, "the listener ran on %zu thread(s)", threads);
    recorder_destroy(&rec);
    return 0;
}

/* The orderly scenario's state: the recorder and, per queue, listener calls running now. */
typedef struct orderly_state_t {
    recorder_t rec;
    const char *topic;
    atomic_int running[QUEUES_MAX];
    atomic_int overlaps;
    atomic_int foreign_queues;
} orderly_state_t;

static int32_t record_orderly(const ferrocket_message_ext_t *const *msgs, size_t count,
                              ferrocket_consume_orderly_context_t *ctx, void *user_data) {
    orderly_state_t *state = user_data;
    uint32_t q = ctx->queue.queue_id % QUEUES_MAX;
    if (strcmp(ctx->queue.topic, state->topic) != 0 || count == 0 ||
        ferrocket_message_ext_queue_id(msgs[0]) != ctx->queue.queue_id) {
        atomic_fetch_add(&state->foreign_queues, 1);
    }
    if (atomic_fetch_add(&state->running[q], 1) != 0) {
        atomic_fetch_add(&state->overlaps, 1);
    }
    for (size_t i = 0; i < count; i++) {
        recorder_add(&state->rec, msgs[i]);
    }
    pause_ms(2);
    atomic_fetch_sub(&state->running[q], 1);
    return FERROCKET_CONSUME_ORDERLY_SUCCESS;
}

/* Each key's deliveries are <key>:0, <key>:1, … in order, each once, all from one queue. */
static int check_key_order(const recorder_t *r, int key) {
    char name[16];
    snprintf(name, sizeof name, "K%d", key);
    int next = 0;
    uint32_t queue = UINT32_MAX;
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(r->items[i].key, name) != 0) {
            continue;
        }
        char want[32];
        snprintf(want, sizeof want, "%s:%d", name, next);
        CHECK(strcmp(r->items[i].body, want) == 0, "%s: got %s, expected %s", name,
              r->items[i].body, want);
        CHECK(queue == UINT32_MAX || queue == r->items[i].queue_id, "%s moved queue", name);
        queue = r->items[i].queue_id;
        next++;
    }
    CHECK(next == ORDERLY_PER_KEY, "%s: %d of %d messages", name, next, ORDERLY_PER_KEY);
    return 0;
}

static int scenario_push_orderly(void) {
    char topic[128], group[160];
    unique_name(topic, sizeof topic, "c", "push_orderly");
    snprintf(group, sizeof group, "%s_group", topic);
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, NULL, &producer));
    for (int seq = 0; seq < ORDERLY_PER_KEY; seq++) {
        for (int k = 0; k < ORDERLY_KEYS; k++) {
            char key[16], body[32];
            snprintf(key, sizeof key, "K%d", k);
            snprintf(body, sizeof body, "K%d:%d", k, seq);
            ferrocket_send_result_t r;
            CHECK_PASS(send_text(producer, topic, body, key, key, &r));
        }
    }
    ferrocket_producer_destroy(producer);

    static orderly_state_t state; /* large: not on the stack */
    memset(&state, 0, sizeof state);
    recorder_init(&state.rec);
    state.topic = topic;
    const char *keys[] = { "consume_thread_min", "4", "consume_batch_max", "3", NULL };
    ferrocket_push_consumer_t *consumer = NULL;
    CHECK_PASS(new_push_consumer(group, keys, &consumer));
    CHECK_OK(ferrocket_push_consumer_subscribe(consumer, topic, "*"));
    CHECK_OK(ferrocket_push_consumer_set_listener_orderly(consumer, record_orderly, &state));
    CHECK_OK(ferrocket_push_consumer_start(consumer));
    int rc = wait_count(&state.rec, ORDERLY_KEYS * ORDERLY_PER_KEY, 30000);
    CHECK_OK(ferrocket_push_consumer_shutdown(consumer));
    ferrocket_push_consumer_destroy(consumer);
    CHECK(rc == 0, "every message arrives");
    for (int k = 0; k < ORDERLY_KEYS; k++) {
        CHECK_PASS(check_key_order(&state.rec, k));
    }
    CHECK(atomic_load(&state.overlaps) == 0, "%d calls overlapped another of their queue",
          atomic_load(&state.overlaps));
    CHECK(atomic_load(&state.foreign_queues) == 0, "a context named another queue");
    recorder_destroy(&state.rec);
    return 0;
}

/* Removes a folder and the files in it (the broadcasting offset files). */
static void remove_dir(const char *path) {
    DIR *dir = opendir(path);
    if (dir != NULL) {
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                char file[512];
                snprintf(file, sizeof file, "%s/%s", path, e->d_name);
                unlink(file);
            }
        }
        closedir(dir);
    }
    rmdir(path);
}

/* A started broadcasting member of `group` whose offsets live in `dir`. */
static int broadcasting_member(const char *topic, const char *group, const char *dir,
                               recorder_t *rec, ferrocket_push_consumer_t **out) {
    const char *keys[] = { "message_model", "broadcasting", "broadcast_offset_dir", dir, NULL };
    CHECK_PASS(new_push_consumer(group, keys, out));
    CHECK_OK(ferrocket_push_consumer_subscribe(*out, topic, "*"));
    CHECK_OK(ferrocket_push_consumer_set_listener_concurrently(*out, record_all, rec));
    CHECK_OK(ferrocket_push_consumer_start(*out));
    return 0;
}

static int scenario_push_broadcasting(void) {
    char topic[128], group[160];
    unique_name(topic, sizeof topic, "c", "push_broadcasting");
    snprintf(group, sizeof group, "%s_group", topic);
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, NULL, &producer));
    for (int i = 0; i < BROADCAST_COUNT; i++) {
        char body[32];
        snprintf(body, sizeof body, "b%d", i);
        ferrocket_send_result_t r;
        CHECK_PASS(send_text(producer, topic, body, NULL, NULL, &r));
    }
    ferrocket_producer_destroy(producer);

    /* Two members on one machine need their own offset folders (ARCHITECTURE.md). */
    char dirs[2][64];
    recorder_t recs[2];
    ferrocket_push_consumer_t *members[2] = { NULL, NULL };
    int rc = 0;
    for (int m = 0; m < 2; m++) {
        snprintf(dirs[m], sizeof dirs[m], "/tmp/ferrocket_c_bcast_%ld_%d", (long)getpid(), m);
        CHECK(mkdir(dirs[m], 0700) == 0, "mkdir %s", dirs[m]);
        recorder_init(&recs[m]);
        rc |= broadcasting_member(topic, group, dirs[m], &recs[m], &members[m]);
    }
    for (int m = 0; m < 2 && rc == 0; m++) {
        rc |= wait_count(&recs[m], BROADCAST_COUNT, 30000);
    }
    for (int m = 0; m < 2; m++) {
        ferrocket_push_consumer_destroy(members[m]);
        remove_dir(dirs[m]);
    }
    CHECK(rc == 0, "both members start and receive");
    for (int m = 0; m < 2; m++) {
        for (int i = 0; i < BROADCAST_COUNT; i++) {
            char body[32];
            snprintf(body, sizeof body, "b%d", i);
            CHECK(count_body(&recs[m], body) >= 1, "member %d did not get %s", m, body);
        }
        recorder_destroy(&recs[m]);
    }
    return 0;
}

/* Asks for the message again until it was delivered RECONSUME_ROUNDS times. */
static int32_t reconsume_until_round(const ferrocket_message_ext_t *const *msgs, size_t count,
                                     ferrocket_consume_concurrently_context_t *ctx,
                                     void *user_data) {
    (void)ctx;
    recorder_t *rec = user_data;
    for (size_t i = 0; i < count; i++) {
        recorder_add(rec, msgs[i]);
    }
    return recorder_count(rec) < RECONSUME_ROUNDS ? FERROCKET_RECONSUME_LATER
                                                   : FERROCKET_CONSUME_SUCCESS;
}

static int scenario_reconsume_later(void) {
    char topic[128], group[160];
    unique_name(topic, sizeof topic, "c", "reconsume_later");
    snprintf(group, sizeof group, "%s_group", topic);
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(seed_producer(topic, NULL, &producer));
    ferrocket_send_result_t sent;
    CHECK_PASS(send_text(producer, topic, "again", NULL, NULL, &sent));
    ferrocket_producer_destroy(producer);

    recorder_t rec;
    recorder_init(&rec);
    ferrocket_push_consumer_t *consumer = NULL;
    CHECK_PASS(new_push_consumer(group, NULL, &consumer));
    CHECK_OK(ferrocket_push_consumer_subscribe(consumer, topic, "*"));
    CHECK_OK(ferrocket_push_consumer_set_listener_concurrently(consumer, reconsume_until_round,
                                                               &rec));
    CHECK_OK(ferrocket_push_consumer_start(consumer));
    int rc = wait_count(&rec, RECONSUME_ROUNDS, 30000);
    ferrocket_push_consumer_destroy(consumer);
    CHECK(rc == 0, "the message comes back");
    for (size_t i = 0; i < RECONSUME_ROUNDS; i++) {
        const delivery_t *d = &rec.items[i];
        CHECK(strcmp(d->body, "again") == 0, "delivery %zu is `%s`", i, d->body);
        CHECK(strcmp(d->msg_id, sent.msg_id) == 0, "delivery %zu has msg id %s, sent %s", i,
              d->msg_id, sent.msg_id);
        CHECK(d->reconsume_times == i, "delivery %zu has reconsume_times %u", i,
              d->reconsume_times);
    }
    recorder_destroy(&rec);
    return 0;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = {
        SCENARIO(push_concurrent),
        SCENARIO(push_orderly),
        SCENARIO(push_broadcasting),
        SCENARIO(reconsume_later),
    };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
