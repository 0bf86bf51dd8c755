/*
 * test_transaction.c — the transaction scenarios of spec/scenarios.md through the C API:
 * transaction_commit (delivered), transaction_rollback (never delivered) and
 * transaction_check_back (left unknown, resolved by the check callback, then delivered).
 * The suite's broker checks undecided transactions back after 500 ms
 * (TRANSACTION_CHECK_MS).
 */
#include "harness.h"
#include "receive.h"

#include <stdatomic.h>

/* When the suite's broker first checks an undecided transaction back (xtask broker.rs). */
#define TRANSACTION_CHECK_MS 500

/* What the callbacks answer and saw. The execute callback answers *(int32_t *)arg. */
typedef struct tx_state_t {
    atomic_int executed;
    atomic_int checked;
    int32_t check_answer;
    const ferrocket_message_t *executed_msg;
    char checked_msg_id[FERROCKET_MSG_ID_LEN];
    char checked_body[64];
} tx_state_t;

static int32_t execute(const ferrocket_message_t *msg, void *arg, void *user_data) {
    tx_state_t *state = user_data;
    state->executed_msg = msg;
    atomic_fetch_add(&state->executed, 1);
    return *(const int32_t *)arg;
}

static int32_t check(const ferrocket_message_ext_t *msg, void *user_data) {
    tx_state_t *state = user_data;
    snprintf(state->checked_msg_id, sizeof state->checked_msg_id, "%s",
             ferrocket_message_ext_msg_id(msg));
    size_t len = ferrocket_message_ext_body_len(msg);
    len = len < sizeof state->checked_body - 1 ? len : sizeof state->checked_body - 1;
    memcpy(state->checked_body, ferrocket_message_ext_body(msg), len);
    state->checked_body[len] = '\0';
    atomic_fetch_add(&state->checked, 1);
    return state->check_answer;
}

/* A started transaction producer for `topic` (group <topic>_tx). */
static int open_tx_producer(const char *topic, tx_state_t *state,
                            ferrocket_transaction_producer_t **out) {
    char group[160];
    snprintf(group, sizeof group, "%s_tx", topic);
    ferrocket_config_t *conf = test_config(NULL);
    ferrocket_status_t s = ferrocket_transaction_producer_new(out, group, namesrv(), conf, execute,
                                                              check, state);
    ferrocket_config_destroy(conf);
    CHECK_OK(s);
    CHECK_OK(ferrocket_transaction_producer_start(*out));
    return 0;
}

/* Sends `body` in a transaction whose execute callback answers `answer`. */
static int send_tx(ferrocket_transaction_producer_t *producer, tx_state_t *state,
                   const char *topic, const char *body, int32_t answer,
                   ferrocket_transaction_send_result_t *result) {
    ferrocket_message_t *msg = ferrocket_message_new(topic, body, strlen(body));
    CHECK(msg != NULL, "message_new");
    int executed = atomic_load(&state->executed);
    ferrocket_status_t s =
        ferrocket_transaction_producer_send_in_transaction(producer, msg, &answer, result);
    bool same_msg = state->executed_msg == msg;
    ferrocket_message_destroy(msg);
    CHECK_OK(s);
    CHECK(atomic_load(&state->executed) == executed + 1, "execute ran once, in the call");
    CHECK(same_msg, "execute got the message passed to the send");
    CHECK(result->send.status == FERROCKET_SEND_OK, "half message status %d",
          (int)result->send.status);
    CHECK(is_hex(result->send.msg_id, 32), "msg id `%s`", result->send.msg_id);
    CHECK((int32_t)result->local_state == answer, "local state %d, answered %d",
          (int)result->local_state, (int)answer);
    return 0;
}

static int scenario_transaction_commit(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "transaction_commit");
    static tx_state_t state;
    memset(&state, 0, sizeof state);
    state.check_answer = FERROCKET_TRANSACTION_COMMIT;
    ferrocket_transaction_producer_t *producer = NULL;
    CHECK_PASS(open_tx_producer(topic, &state, &producer));
    ferrocket_transaction_send_result_t result;
    CHECK_PASS(send_tx(producer, &state, topic, "committed", FERROCKET_TRANSACTION_COMMIT,
                       &result));
    CHECK_OK(ferrocket_transaction_producer_shutdown(producer));
    ferrocket_transaction_producer_destroy(producer);

    received_t got = { 0 };
    CHECK_PASS(receive(topic, 1, &got));
    CHECK(got.count == 1, "%zu messages", got.count);
    CHECK(body_is(got.msgs[0], "committed"), "body differs");
    CHECK(strcmp(ferrocket_message_ext_msg_id(got.msgs[0]), result.send.msg_id) == 0,
          "msg id differs");
    received_free(&got);
    return 0;
}

/* Reads `topic` until `marker` arrives, then for three check-back periods more; fails if the
 * message with body `never` shows up. */
static int read_without(const char *topic, const char *marker, const char *never) {
    char group[160];
    snprintf(group, sizeof group, "%s_reader", topic);
    ferrocket_pull_consumer_t *consumer = NULL;
    CHECK_PASS(open_consumer(topic, group, &consumer));
    received_t got = { 0 };
    int rc = 0;
    uint64_t deadline = deadline_after(20000), until = 0;
    while (rc == 0 && (until == 0 || now_ms() < until)) {
        if (until == 0 && now_ms() >= deadline) {
            fprintf(stderr, "    `%s` did not arrive\n", marker);
            rc = 1;
            break;
        }
        ferrocket_message_ext_t **polled = NULL;
        size_t n = 0, had = got.count;
        if (ferrocket_pull_consumer_poll(consumer, 100, &polled, &n) != FERROCKET_OK ||
            received_take(&got, polled, n) != 0) {
            fprintf(stderr, "    poll: %s\n", ferrocket_last_error());
            rc = 1;
        }
        for (size_t i = had; i < got.count; i++) {
            if (body_is(got.msgs[i], never)) {
                fprintf(stderr, "    `%s` was delivered\n", never);
                rc = 1;
            }
            if (until == 0 && body_is(got.msgs[i], marker)) {
                until = now_ms() + 3 * TRANSACTION_CHECK_MS; /* broker time: unscaled */
            }
        }
    }
    ferrocket_pull_consumer_destroy(consumer);
    received_free(&got);
    return rc;
}

static int scenario_transaction_rollback(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "transaction_rollback");
    static tx_state_t state;
    memset(&state, 0, sizeof state);
    state.check_answer = FERROCKET_TRANSACTION_ROLLBACK;
    ferrocket_transaction_producer_t *producer = NULL;
    CHECK_PASS(open_tx_producer(topic, &state, &producer));
    ferrocket_transaction_send_result_t rolled, marker;
    CHECK_PASS(send_tx(producer, &state, topic, "rolled back", FERROCKET_TRANSACTION_ROLLBACK,
                       &rolled));
    /* A committed marker after it shows the reader was reading; reading on past the broker's
     * check-back time shows the rolled-back message is not committed later either. */
    CHECK_PASS(send_tx(producer, &state, topic, "marker", FERROCKET_TRANSACTION_COMMIT, &marker));
    int rc = read_without(topic, "marker", "rolled back");
    CHECK_OK(ferrocket_transaction_producer_shutdown(producer));
    ferrocket_transaction_producer_destroy(producer);
    CHECK(rc == 0, "the rolled-back message is never delivered");
    CHECK(atomic_load(&state.checked) == 0, "a decided transaction was checked back");
    return 0;
}

static int scenario_transaction_check_back(void) {
    char topic[128];
    unique_name(topic, sizeof topic, "c", "transaction_check_back");
    static tx_state_t state;
    memset(&state, 0, sizeof state);
    state.check_answer = FERROCKET_TRANSACTION_COMMIT;
    ferrocket_transaction_producer_t *producer = NULL;
    CHECK_PASS(open_tx_producer(topic, &state, &producer));
    ferrocket_transaction_send_result_t result;
    CHECK_PASS(send_tx(producer, &state, topic, "decided later", FERROCKET_TRANSACTION_UNKNOWN,
                       &result));

    uint64_t deadline = deadline_after(20000);
    while (atomic_load(&state.checked) == 0) {
        CHECK(now_ms() < deadline, "the broker never checked back");
        pause_ms(20);
    }
    CHECK_OK(ferrocket_transaction_producer_shutdown(producer)); /* no callback after this */
    ferrocket_transaction_producer_destroy(producer);
    CHECK(strcmp(state.checked_msg_id, result.send.msg_id) == 0, "checked %s, sent %s",
          state.checked_msg_id, result.send.msg_id);
    CHECK(strcmp(state.checked_body, "decided later") == 0, "checked body `%s`",
          state.checked_body);

    received_t got = { 0 };
    CHECK_PASS(receive(topic, 1, &got));
    CHECK(got.count == 1 && body_is(got.msgs[0], "decided later"), "delivered after the check");
    CHECK(strcmp(ferrocket_message_ext_msg_id(got.msgs[0]), result.send.msg_id) == 0,
          "msg id differs");
    received_free(&got);
    return 0;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = {
        SCENARIO(transaction_commit),
        SCENARIO(transaction_rollback),
        SCENARIO(transaction_check_back),
    };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
