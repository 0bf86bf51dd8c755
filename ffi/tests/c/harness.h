/*
 * harness.h — the tiny test runner of the C SDK suite (ffi/tests/c/).
 *
 * Each test program lists its scenarios in a table of { "name", scenario_name } and calls
 * run_scenarios(); a scenario returns 0 when it passes. The runner prints one line per
 * scenario and closes with "N passed, M failed". `cargo xtask test-c` builds the programs,
 * starts `ferrocket standalone` and passes its address in FERROCKET_NAMESRV; it sets
 * FERROCKET_TEST_TIME_SCALE (for example 10 under valgrind) to stretch every deadline.
 *
 * Waiting is always "check a condition until a deadline", never a bare sleep.
 */
#ifndef FERROCKET_TEST_HARNESS_H
#define FERROCKET_TEST_HARNESS_H

#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferrocket.h"

typedef struct scenario_t {
    const char *name;
    int (*run)(void);
} scenario_t;

/* A scenario table entry: SCENARIO(send_sync) runs scenario_send_sync as "send_sync". */
#define SCENARIO(name) { #name, scenario_##name }

/* Fails the scenario with a message when `cond` is false. */
#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "    %s:%d: check failed: %s\n      ", __FILE__, __LINE__,     \
                    #cond);                                                               \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fprintf(stderr, "\n      last error: %s\n", ferrocket_last_error());         \
            return 1;                                                                     \
        }                                                                                 \
    } while (0)

/* Fails the scenario unless `expr` returns `want`. */
#define CHECK_STATUS(expr, want)                                                          \
    do {                                                                                  \
        ferrocket_status_t got_ = (expr);                                                 \
        CHECK(got_ == (want), "%s returned %s, expected %s", #expr,                      \
              ferrocket_status_str((int32_t)got_), ferrocket_status_str((int32_t)(want))); \
    } while (0)

/* Fails the scenario unless `expr` returns FERROCKET_OK. */
#define CHECK_OK(expr) CHECK_STATUS(expr, FERROCKET_OK)

/* Runs `call` (a scenario helper returning 0 on success) and fails the scenario if it fails. */
#define CHECK_PASS(call)                                                                  \
    do {                                                                                  \
        if ((call) != 0) {                                                                \
            fprintf(stderr, "    %s:%d: from %s\n", __FILE__, __LINE__, #call);           \
            return 1;                                                                     \
        }                                                                                 \
    } while (0)

/* Milliseconds on a monotonic clock. */
static inline uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* How much to stretch deadlines (FERROCKET_TEST_TIME_SCALE, default 1). */
static inline uint64_t time_scale(void) {
    const char *v = getenv("FERROCKET_TEST_TIME_SCALE");
    long n = v ? strtol(v, NULL, 10) : 1;
    return n > 0 ? (uint64_t)n : 1u;
}

/* A deadline `ms` (scaled) from now. */
static inline uint64_t deadline_after(uint64_t ms) {
    return now_ms() + ms * time_scale();
}

/* Pauses between two checks of a condition. */
static inline void pause_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* The broker's address, from FERROCKET_NAMESRV. */
static inline const char *namesrv(void) {
    const char *addr = getenv("FERROCKET_NAMESRV");
    if (addr == NULL || addr[0] == '\0') {
        fprintf(stderr, "FERROCKET_NAMESRV is not set: run through `cargo xtask test-c`\n");
        exit(2);
    }
    return addr;
}

/* A topic or group name unique to this run: <prefix>_<scenario>_<pid>. */
static inline void unique_name(char *out, size_t size, const char *prefix, const char *scenario) {
    snprintf(out, size, "%s_%s_%ld", prefix, scenario, (long)getpid());
}

/* Whether `s` is exactly `n` upper-case hex characters. */
static inline bool is_hex(const char *s, size_t n) {
    if (strlen(s) != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'))) {
            return false;
        }
    }
    return true;
}

/* A config with the suite's timeouts (scaled) and `extra` key/value pairs (NULL-terminated). */
static inline ferrocket_config_t *test_config(const char *const *extra) {
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%" PRIu64, 5000u * time_scale());
    ferrocket_config_t *conf = ferrocket_config_new();
    if (conf == NULL || ferrocket_config_set(conf, "send_timeout_ms", timeout) != FERROCKET_OK ||
        ferrocket_config_set(conf, "request_timeout_ms", timeout) != FERROCKET_OK ||
        ferrocket_config_set(conf, "connect_timeout_ms", timeout) != FERROCKET_OK) {
        fprintf(stderr, "test_config: %s\n", ferrocket_last_error());
        exit(2);
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2) {
        if (ferrocket_config_set(conf, extra[i], extra[i + 1]) != FERROCKET_OK) {
            fprintf(stderr, "test_config: %s\n", ferrocket_last_error());
            exit(2);
        }
    }
    return conf;
}

/* Runs every scenario (or only those named on the command line) and prints the summary. */
static inline int run_scenarios(const scenario_t *table, size_t count, int argc, char **argv) {
    int passed = 0, failed = 0;
    for (size_t i = 0; i < count; i++) {
        bool wanted = argc < 2;
        for (int a = 1; a < argc; a++) {
            wanted = wanted || strcmp(argv[a], table[i].name) == 0;
        }
        if (!wanted) {
            continue;
        }
        uint64_t started = now_ms();
        int rc = table[i].run();
        uint64_t took = now_ms() - started;
        printf("%s scenario_%s (%" PRIu64 " ms)\n", rc == 0 ? "ok    " : "FAILED", table[i].name,
               took);
        fflush(stdout);
        if (rc == 0) {
            passed++;
        } else {
            failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

#endif /* FERROCKET_TEST_HARNESS_H */
