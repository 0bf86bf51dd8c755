/*
 * bench_produce.c — producer throughput and send latency through the C SDK, the C twin of
 * `ferrocket bench produce` (same message size, count, concurrency and mode).
 *
 *   cargo build --release -p ferrocket-ffi
 *   cc -O2 -std=c11 -pthread examples/c/bench_produce.c -Iinclude -Ltarget/release -lferrocket \
 *      -Wl,-rpath,target/release -o bench_produce
 *   ./bench_produce <namesrv> <topic> <count> <size> <concurrency> <sync|async>
 *
 * sync: `concurrency` threads each send their share with ferrocket_producer_send; latency is
 * each call's duration. async: one thread issues every ferrocket_producer_send_async (the
 * library applies back-pressure) and latency runs from the call to its callback. Prints one
 * JSON object with the keys of `ferrocket bench produce --json` (msgs_per_sec,
 * latency_p50_us, …). BENCH_CLIENT_THREADS sets the config key client_threads.
 * `cargo xtask bench-c` runs it next to `ferrocket bench produce` against one broker.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ferrocket.h"

typedef struct bench_t {
    ferrocket_producer_t *producer;
    const char *topic;
    char *body;
    size_t size;
    size_t count;
    uint32_t *latency_us; /* one per message */
    atomic_size_t next;   /* sync: next message index to claim */
    atomic_size_t done;   /* async: callbacks received */
    atomic_size_t errors;
    uint64_t *started_ns; /* async: when each send was issued */
} bench_t;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *sync_sender(void *arg) {
    bench_t *b = arg;
    ferrocket_message_t *msg = ferrocket_message_new(b->topic, b->body, b->size);
    for (;;) {
        size_t i = atomic_fetch_add(&b->next, 1);
        if (i >= b->count) {
            break;
        }
        ferrocket_send_result_t r;
        uint64_t t = now_ns();
        if (ferrocket_producer_send(b->producer, msg, &r) != FERROCKET_OK) {
            atomic_fetch_add(&b->errors, 1);
        }
        b->latency_us[i] = (uint32_t)((now_ns() - t) / 1000u);
    }
    ferrocket_message_destroy(msg);
    return NULL;
}

/* The async callback's user data: the bench and the message index, packed in one slot. */
typedef struct slot_t {
    bench_t *bench;
    size_t index;
} slot_t;

static void on_sent(ferrocket_status_t status, const ferrocket_send_result_t *result,
                    const char *error, void *user_data) {
    (void)result, (void)error;
    slot_t *slot = user_data;
    bench_t *b = slot->bench;
    b->latency_us[slot->index] = (uint32_t)((now_ns() - b->started_ns[slot->index]) / 1000u);
    if (status != FERROCKET_OK) {
        atomic_fetch_add(&b->errors, 1);
    }
    atomic_fetch_add(&b->done, 1);
}

static int run_async(bench_t *b) {
    slot_t *slots = calloc(b->count, sizeof *slots);
    b->started_ns = calloc(b->count, sizeof *b->started_ns);
    if (slots == NULL || b->started_ns == NULL) {
        return 1;
    }
    ferrocket_message_t *msg = ferrocket_message_new(b->topic, b->body, b->size);
    for (size_t i = 0; i < b->count; i++) {
        slots[i] = (slot_t){ b, i };
        b->started_ns[i] = now_ns();
        if (ferrocket_producer_send_async(b->producer, msg, on_sent, &slots[i]) != FERROCKET_OK) {
            atomic_fetch_add(&b->errors, 1);
            atomic_fetch_add(&b->done, 1);
        }
    }
    /* Waits for the last callbacks; shutdown would wait for them too. */
    while (atomic_load(&b->done) < b->count) {
        struct timespec ts = { 0, 1000000L };
        nanosleep(&ts, NULL);
    }
    ferrocket_message_destroy(msg);
    free(slots);
    free(b->started_ns);
    return 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t percentile(const uint32_t *sorted, size_t n, double p) {
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

/* Prints one JSON object with the keys of `ferrocket bench produce --json`. */
static int report(bench_t *b, const char *mode, size_t concurrency, double secs) {
    qsort(b->latency_us, b->count, sizeof *b->latency_us, cmp_u32);
    double rate = (double)b->count / secs;
    size_t errors = atomic_load(&b->errors);
    printf("{\"bench\":\"produce\",\"client\":\"c\",\"topic\":\"%s\",\"mode\":\"%s\","
           "\"size\":%zu,\"concurrency\":%zu,\"count\":%zu,\"errors\":%zu,"
           "\"elapsed_ms\":%.1f,\"msgs_per_sec\":%.1f,\"mib_per_sec\":%.3f,"
           "\"latency_p50_us\":%" PRIu32 ",\"latency_p90_us\":%" PRIu32
           ",\"latency_p99_us\":%" PRIu32 ",\"latency_p999_us\":%" PRIu32
           ",\"latency_max_us\":%" PRIu32 "}\n",
           b->topic, mode, b->size, concurrency, b->count, errors, secs * 1000.0, rate,
           rate * (double)b->size / (1024.0 * 1024.0), percentile(b->latency_us, b->count, 50),
           percentile(b->latency_us, b->count, 90), percentile(b->latency_us, b->count, 99),
           percentile(b->latency_us, b->count, 99.9), b->latency_us[b->count - 1]);
    return errors == b->count ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s <namesrv> <topic> <count> <size> <concurrency> <sync|async>\n",
                argv[0]);
        return 2;
    }
    bench_t b = { .topic = argv[2], .count = strtoul(argv[3], NULL, 10),
                  .size = strtoul(argv[4], NULL, 10) };
    size_t concurrency = strtoul(argv[5], NULL, 10);
    const char *mode = argv[6];
    if (b.count == 0 || b.size == 0 || concurrency == 0 || concurrency > 256) {
        fprintf(stderr, "count, size and concurrency (1..256) must be > 0\n");
        return 2;
    }
    b.body = malloc(b.size);
    b.latency_us = calloc(b.count, sizeof *b.latency_us);
    if (b.body == NULL || b.latency_us == NULL) {
        return 1;
    }
    memset(b.body, 'x', b.size);
    /* BENCH_CLIENT_THREADS sizes the producer's runtime (config key client_threads). */
    ferrocket_config_t *conf = ferrocket_config_new();
    const char *threads = getenv("BENCH_CLIENT_THREADS");
    if (threads != NULL && ferrocket_config_set(conf, "client_threads", threads) != FERROCKET_OK) {
        fprintf(stderr, "client_threads: %s\n", ferrocket_last_error());
        return 2;
    }
    ferrocket_status_t made = ferrocket_producer_new(&b.producer, "c_bench_producer", argv[1], conf);
    ferrocket_config_destroy(conf);
    if (made != FERROCKET_OK ||
        ferrocket_producer_start(b.producer) != FERROCKET_OK) {
        fprintf(stderr, "producer: %s\n", ferrocket_last_error());
        return 1;
    }
    uint64_t started = now_ns();
    int rc = 0;
    if (strcmp(mode, "async") == 0) {
        rc = run_async(&b);
    } else {
        pthread_t threads[256];
        for (size_t t = 0; t < concurrency; t++) {
            pthread_create(&threads[t], NULL, sync_sender, &b);
        }
        for (size_t t = 0; t < concurrency; t++) {
            pthread_join(threads[t], NULL);
        }
    }
    double secs = (double)(now_ns() - started) / 1e9;
    ferrocket_producer_destroy(b.producer);
    rc = rc || report(&b, mode, concurrency, secs);
    free(b.body);
    free(b.latency_us);
    return rc;
}
