/*
 * test_errors.c — the error scenarios of spec/scenarios.md through the C API:
 * error_unreachable_namesrv (a clear status and message within the send timeout) and
 * error_invalid_arguments (NULL pointers, unknown config keys and bad values, bad names,
 * out-of-range integers where C passes enumerations, calls in the wrong state, for every
 * client: producer, pull and push consumers, transaction producer).
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>

/* A name server address where nothing listens: port 1 on loopback refuses connections. */
#define NOWHERE "127.0.0.1:1"
#define UNREACHABLE_SEND_TIMEOUT_MS 1000

static bool contains(const char *text, const char *part) {
    return text != NULL && strstr(text, part) != NULL;
}

static bool is_transport_status(ferrocket_status_t s) {
    return s == FERROCKET_ERR_CONNECTION || s == FERROCKET_ERR_TIMEOUT ||
           s == FERROCKET_ERR_NO_ROUTE;
}

typedef struct failed_send_t {
    atomic_int done;
    ferrocket_status_t status;
    bool had_result;
    char error[512];
} failed_send_t;

static void on_failed(ferrocket_status_t status, const ferrocket_send_result_t *result,
                      const char *error, void *user_data) {
    failed_send_t *f = user_data;
    f->status = status;
    f->had_result = result != NULL;
    snprintf(f->error, sizeof f->error, "%s", error);
    atomic_store(&f->done, 1);
}

/* A started producer of `namesrv` whose sends give up after UNREACHABLE_SEND_TIMEOUT_MS. */
static int unreachable_producer(const char *addr, ferrocket_producer_t **out) {
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%d", UNREACHABLE_SEND_TIMEOUT_MS);
    const char *keys[] = { "send_timeout_ms", timeout, NULL };
    ferrocket_config_t *conf = test_config(keys);
    ferrocket_status_t s = ferrocket_producer_new(out, "c_unreachable", addr, conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_OK(ferrocket_producer_start(*out));
    return 0;
}

/* A sync send fails with a transport status whose message holds `says`, within the send
 * timeout. */
static int send_fails_in_time(ferrocket_producer_t *producer, ferrocket_message_t *msg,
                              const char *says) {
    uint64_t started = now_ms();
    ferrocket_send_result_t result;
    ferrocket_status_t s = ferrocket_producer_send(producer, msg, &result);
    uint64_t took = now_ms() - started;
    CHECK(is_transport_status(s), "status %s", ferrocket_status_str((int32_t)s));
    CHECK(contains(ferrocket_last_error(), says), "the message says `%s`", says);
    CHECK(took <= (UNREACHABLE_SEND_TIMEOUT_MS + 2000) * time_scale(),
          "took %" PRIu64 " ms, over the send timeout", took);
    return 0;
}

/* A listening socket on loopback that never accepts: connects succeed, nothing answers. */
static int silent_server(char *addr, size_t size, int *fd) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(*fd >= 0, "socket");
    CHECK(bind(*fd, (struct sockaddr *)&sa, len) == 0, "bind");
    CHECK(listen(*fd, 16) == 0, "listen");
    CHECK(getsockname(*fd, (struct sockaddr *)&sa, &len) == 0, "getsockname");
    snprintf(addr, size, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    return 0;
}

static int scenario_error_unreachable_namesrv(void) {
    ferrocket_producer_t *producer = NULL;
    CHECK_PASS(unreachable_producer(NOWHERE, &producer));
    ferrocket_message_t *msg = ferrocket_message_new("c_unreachable", "x", 1);
    CHECK_PASS(send_fails_in_time(producer, msg, NOWHERE));

    static failed_send_t failed;
    atomic_init(&failed.done, 0);
    CHECK_OK(ferrocket_producer_send_async(producer, msg, on_failed, &failed));
    uint64_t deadline = deadline_after(UNREACHABLE_SEND_TIMEOUT_MS + 5000);
    while (!atomic_load(&failed.done)) {
        CHECK(now_ms() < deadline, "the async send never called back");
        pause_ms(5);
    }
    CHECK(is_transport_status(failed.status) && !failed.had_result, "async outcome %s",
          ferrocket_status_str((int32_t)failed.status));
    CHECK(contains(failed.error, NOWHERE), "async error `%s` names the name server", failed.error);
    ferrocket_producer_destroy(producer);

    /* A name server that takes the connection but never answers: a timeout, not a hang. */
    char silent[64];
    int fd = -1;
    CHECK_PASS(silent_server(silent, sizeof silent, &fd));
    CHECK_PASS(unreachable_producer(silent, &producer));
    int rc = send_fails_in_time(producer, msg, "timed out");
    ferrocket_producer_destroy(producer);
    ferrocket_message_destroy(msg);
    close(fd);
    return rc;
}

/* NULL handles, strings and out-parameters are refused by name, never dereferenced. */
static int null_pointers(void) {
    ferrocket_producer_t *p = NULL;
    CHECK_STATUS(ferrocket_producer_new(NULL, "g", "a:1", NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_producer_new(&p, NULL, "a:1", NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "group"), "names the group");
    CHECK(p == NULL, "no producer on failure");
    CHECK_STATUS(ferrocket_producer_new(&p, "g", NULL, NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "namesrv"), "names the name server");
    CHECK(ferrocket_message_new(NULL, "x", 1) == NULL, "NULL topic");
    CHECK(contains(ferrocket_last_error(), "topic is NULL"), "names the topic");
    CHECK(ferrocket_message_new("t", NULL, 4) == NULL, "NULL body with a length");
    ferrocket_send_result_t r;
    CHECK_STATUS(ferrocket_producer_send(NULL, NULL, &r), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_producer_start(NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_message_set_tags(NULL, "a"), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_config_set(NULL, "retries", "1"), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_pull_consumer_poll(NULL, 0, NULL, NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_message_ext_decode(NULL, 10, NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(ferrocket_message_ext_topic(NULL) == NULL, "accessor of NULL");
    CHECK(ferrocket_message_ext_queue_offset(NULL) == 0, "numeric accessor of NULL");
    ferrocket_producer_destroy(NULL);
    ferrocket_pull_consumer_destroy(NULL);
    ferrocket_message_destroy(NULL);
    ferrocket_message_ext_destroy(NULL);
    ferrocket_message_ext_array_destroy(NULL, 5);
    ferrocket_message_queue_array_destroy(NULL, 5);
    ferrocket_config_destroy(NULL);
    return 0;
}

/* Unknown keys and unparsable values are refused, and the error names them. */
static int bad_config(void) {
    ferrocket_config_t *conf = ferrocket_config_new();
    CHECK_STATUS(ferrocket_config_set(conf, "send_timout_ms", "100"),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "send_timout_ms"), "names the unknown key");
    CHECK_STATUS(ferrocket_config_set(conf, "retries", "lots"), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "retries") && contains(ferrocket_last_error(), "lots"),
          "names the key and the value");
    CHECK_STATUS(ferrocket_config_set(conf, "consume_from", "middle"),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_config_set(conf, "send_timeout_ms", "0"), FERROCKET_OK);
    ferrocket_producer_t *p = NULL;
    CHECK_STATUS(ferrocket_producer_new(&p, "g", "127.0.0.1:9876", conf),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "send timeout"), "the builder names the setting");
    ferrocket_config_destroy(conf);
    return 0;
}

static void ignore_log(ferrocket_log_level_t level, const char *target, const char *message,
                       void *user_data) {
    (void)level, (void)target, (void)message, (void)user_data;
}

/* Integers where C passes enumerations are checked: statuses, log levels, delay levels. */
static int bad_enums(void) {
    CHECK(strcmp(ferrocket_status_str(FERROCKET_ERR_TIMEOUT), "FERROCKET_ERR_TIMEOUT") == 0,
          "status name");
    CHECK(strcmp(ferrocket_status_str(12345), "FERROCKET_ERR_UNKNOWN_STATUS") == 0, "12345");
    CHECK(strcmp(ferrocket_status_str(-1), "FERROCKET_ERR_UNKNOWN_STATUS") == 0, "-1");
    CHECK_STATUS(ferrocket_set_log_callback(0, ignore_log, NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_set_log_callback(42, ignore_log, NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "42"), "names the level");
    ferrocket_message_t *msg = ferrocket_message_new("t", "x", 1);
    CHECK_STATUS(ferrocket_message_set_delay_level(msg, -1), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_message_set_delay_level(msg, 256), FERROCKET_ERR_INVALID_ARGUMENT);
    ferrocket_message_destroy(msg);
    return 0;
}

/* Against the real broker: bad names, bad messages and calls in the wrong state. */
static int bad_calls(void) {
    ferrocket_producer_t *p = NULL;
    CHECK_STATUS(ferrocket_producer_new(&p, "bad group!", namesrv(), NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "bad group!"), "names the group");
    CHECK_OK(ferrocket_producer_new(&p, "c_invalid_arguments", namesrv(), NULL));
    ferrocket_message_t *bad_topic = ferrocket_message_new("bad topic!", "x", 1);
    ferrocket_send_result_t r;
    CHECK_STATUS(ferrocket_producer_send(p, bad_topic, &r), FERROCKET_ERR_NOT_STARTED);
    CHECK_OK(ferrocket_producer_start(p));
    CHECK_STATUS(ferrocket_producer_start(p), FERROCKET_ERR_ALREADY_STARTED);
    CHECK_STATUS(ferrocket_producer_send(p, bad_topic, &r), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "bad topic!"), "names the topic");
    ferrocket_message_t *late = ferrocket_message_new("c_invalid_arguments", "x", 1);
    CHECK_OK(ferrocket_message_set_delay_level(late, 19));
    CHECK_STATUS(ferrocket_producer_send(p, late, &r), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "delay level"), "names the delay level");
    ferrocket_message_t *empty = ferrocket_message_new("c_invalid_arguments", NULL, 0);
    CHECK_STATUS(ferrocket_producer_send(p, empty, &r), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_producer_send(p, empty, NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_OK(ferrocket_producer_shutdown(p));
    CHECK_STATUS(ferrocket_producer_send(p, late, &r), FERROCKET_ERR_SHUT_DOWN);
    ferrocket_message_destroy(bad_topic);
    ferrocket_message_destroy(late);
    ferrocket_message_destroy(empty);
    ferrocket_producer_destroy(p);
    return 0;
}

/* NULL arguments and bad settings of the push consumer and the transaction producer. */
static int32_t never_called(const ferrocket_message_ext_t *const *msgs, size_t count,
                            ferrocket_consume_concurrently_context_t *ctx, void *user_data) {
    (void)msgs, (void)count, (void)ctx, (void)user_data;
    return FERROCKET_CONSUME_SUCCESS;
}

static int32_t tx_execute(const ferrocket_message_t *msg, void *arg, void *user_data) {
    (void)msg, (void)arg, (void)user_data;
    return FERROCKET_TRANSACTION_COMMIT;
}

static int32_t tx_check(const ferrocket_message_ext_t *msg, void *user_data) {
    (void)msg, (void)user_data;
    return FERROCKET_TRANSACTION_COMMIT;
}

static int push_and_transaction_arguments(void) {
    ferrocket_push_consumer_t *c = NULL;
    CHECK_STATUS(ferrocket_push_consumer_new(NULL, "g", "a:1", NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_push_consumer_new(&c, "bad group!", "a:1", NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL, "no consumer on failure");
    CHECK_STATUS(ferrocket_push_consumer_subscribe(NULL, "t", "*"), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_push_consumer_start(NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_push_consumer_shutdown(NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    ferrocket_config_t *conf = ferrocket_config_new();
    CHECK_STATUS(ferrocket_config_set(conf, "message_model", "sideways"),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "broadcasting"), "names the choices");
    CHECK_OK(ferrocket_config_set(conf, "consume_thread_min", "0"));
    CHECK_STATUS(ferrocket_push_consumer_new(&c, "g", "127.0.0.1:9876", conf),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "consume threads"), "the builder names the setting");
    ferrocket_config_destroy(conf);

    CHECK_OK(ferrocket_push_consumer_new(&c, "g", "127.0.0.1:9876", NULL));
    CHECK_STATUS(ferrocket_push_consumer_subscribe(c, "bad topic!", "*"),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "bad topic!"), "names the topic");
    CHECK_STATUS(ferrocket_push_consumer_subscribe(c, "t", "||"), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_push_consumer_subscribe(c, "t", NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_push_consumer_set_listener_orderly(c, NULL, NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ferrocket_push_consumer_start(c), FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "set_listener"), "says to set a listener");
    CHECK_OK(ferrocket_push_consumer_shutdown(c));
    CHECK_STATUS(ferrocket_push_consumer_set_listener_concurrently(c, never_called, NULL),
                 FERROCKET_ERR_SHUT_DOWN);
    CHECK_STATUS(ferrocket_push_consumer_start(c), FERROCKET_ERR_SHUT_DOWN);
    ferrocket_push_consumer_destroy(c);
    ferrocket_push_consumer_destroy(NULL);

    ferrocket_transaction_producer_t *t = NULL;
    CHECK_STATUS(ferrocket_transaction_producer_new(&t, "g", "a:1", NULL, NULL, tx_check, NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "execute"), "names the callback");
    CHECK_STATUS(ferrocket_transaction_producer_new(&t, "g", "a:1", NULL, tx_execute, NULL, NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(t == NULL, "no producer on failure");
    CHECK_STATUS(ferrocket_transaction_producer_start(NULL), FERROCKET_ERR_INVALID_ARGUMENT);
    ferrocket_transaction_send_result_t r;
    CHECK_STATUS(ferrocket_transaction_producer_send_in_transaction(NULL, NULL, NULL, &r),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    ferrocket_transaction_producer_destroy(NULL);
    CHECK_STATUS(ferrocket_pull_consumer_subscribe_sql(NULL, "t", "a > 1"),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    return 0;
}

/* A listener that tries to shut its own consumer down: refused, it would wait for itself. */
typedef struct reentry_t {
    ferrocket_push_consumer_t *consumer;
    atomic_int status; /* -1 until the listener ran */
} reentry_t;

static int32_t shut_down_self(const ferrocket_message_ext_t *const *msgs, size_t count,
                              ferrocket_consume_concurrently_context_t *ctx, void *user_data) {
    (void)msgs, (void)count, (void)ctx;
    reentry_t *r = user_data;
    atomic_store(&r->status, (int)ferrocket_push_consumer_shutdown(r->consumer));
    return FERROCKET_CONSUME_SUCCESS;
}

/* Against the real broker: wrong states of the push consumer and transaction producer. */
static int push_and_transaction_states(void) {
    static reentry_t reentry;
    atomic_store(&reentry.status, -1);
    const char *topic = "c_invalid_arguments";
    ferrocket_producer_t *p = NULL;
    CHECK_OK(ferrocket_producer_new(&p, "c_invalid_arguments", namesrv(), NULL));
    CHECK_OK(ferrocket_producer_start(p));
    ferrocket_message_t *msg = ferrocket_message_new(topic, "x", 1);
    ferrocket_send_result_t sent;
    CHECK_OK(ferrocket_producer_send(p, msg, &sent)); /* the topic exists from here on */

    ferrocket_config_t *conf = test_config((const char *const[]){ "consume_from", "first_offset",
                                                                  NULL });
    ferrocket_status_t s = ferrocket_push_consumer_new(&reentry.consumer, "c_invalid_push",
                                                       namesrv(), conf);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_OK(ferrocket_push_consumer_subscribe(reentry.consumer, topic, "*"));
    CHECK_OK(ferrocket_push_consumer_set_listener_concurrently(reentry.consumer, shut_down_self,
                                                               &reentry));
    CHECK_OK(ferrocket_push_consumer_start(reentry.consumer));
    CHECK_STATUS(ferrocket_push_consumer_start(reentry.consumer), FERROCKET_ERR_ALREADY_STARTED);
    CHECK_STATUS(ferrocket_push_consumer_set_listener_concurrently(reentry.consumer, never_called,
                                                                   NULL),
                 FERROCKET_ERR_ILLEGAL_STATE);
    uint64_t deadline = deadline_after(20000);
    while (atomic_load(&reentry.status) == -1) {
        CHECK(now_ms() < deadline, "the listener did not run");
        pause_ms(20);
    }
    CHECK(atomic_load(&reentry.status) == FERROCKET_ERR_ILLEGAL_STATE,
          "_shutdown inside the listener returned %s",
          ferrocket_status_str(atomic_load(&reentry.status)));
    ferrocket_push_consumer_destroy(reentry.consumer);

    ferrocket_transaction_producer_t *t = NULL;
    CHECK_OK(ferrocket_transaction_producer_new(&t, "c_invalid_tx", namesrv(), NULL, tx_execute,
                                                tx_check, NULL));
    ferrocket_transaction_send_result_t r;
    CHECK_STATUS(ferrocket_transaction_producer_send_in_transaction(t, msg, NULL, &r),
                 FERROCKET_ERR_NOT_STARTED);
    CHECK_OK(ferrocket_transaction_producer_start(t));
    CHECK_OK(ferrocket_message_set_delay_level(msg, 1));
    CHECK_STATUS(ferrocket_transaction_producer_send_in_transaction(t, msg, NULL, &r),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    CHECK(contains(ferrocket_last_error(), "delayed"), "says a transaction cannot be delayed");
    CHECK_STATUS(ferrocket_transaction_producer_send_in_transaction(t, msg, NULL, NULL),
                 FERROCKET_ERR_INVALID_ARGUMENT);
    ferrocket_transaction_producer_destroy(t);
    ferrocket_message_destroy(msg);
    ferrocket_producer_destroy(p);
    return 0;
}

static int scenario_error_invalid_arguments(void) {
    CHECK_PASS(null_pointers());
    CHECK_PASS(bad_config());
    CHECK_PASS(bad_enums());
    CHECK_PASS(bad_calls());
    CHECK_PASS(push_and_transaction_arguments());
    CHECK_PASS(push_and_transaction_states());
    return 0;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = {
        SCENARIO(error_unreachable_namesrv),
        SCENARIO(error_invalid_arguments),
    };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
