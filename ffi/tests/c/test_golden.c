/*
 * test_golden.c — the golden_vectors scenario of spec/scenarios.md: the record of
 * spec/vectors/record.json (FERROCKET_VECTORS_DIR, default spec/vectors) is decoded with
 * ferrocket_message_ext_decode and every accessor is compared with the field its JSON lists.
 *
 * The JSON reader below knows just enough for that file: it finds `"name":` inside the
 * "value" object and reads a string, a number, an array of strings or an object of strings.
 */
#include "harness.h"

#include <ctype.h>

/* Reads a whole file into a NUL-terminated buffer the caller frees. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(text, cap);
            if (grown == NULL) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = grown;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (text != NULL) {
        text[len] = '\0';
    }
    return text;
}

/* The text right after `"name":` (spaces skipped) at or after `from`, or NULL. */
static const char *field(const char *from, const char *name) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", name);
    const char *at = strstr(from, pattern);
    if (at == NULL) {
        return NULL;
    }
    at += strlen(pattern);
    while (isspace((unsigned char)*at)) {
        at++;
    }
    return at;
}

/* Copies the JSON string at `at` (no escapes in this file) into `out`; returns what follows. */
static const char *read_string(const char *at, char *out, size_t size) {
    if (at == NULL || *at != '"') {
        return NULL;
    }
    const char *end = strchr(at + 1, '"');
    if (end == NULL || (size_t)(end - at - 1) >= size) {
        return NULL;
    }
    memcpy(out, at + 1, (size_t)(end - at - 1));
    out[end - at - 1] = '\0';
    return end + 1;
}

/* A field holding a number or a decimal string (64-bit values are strings in the JSON). */
static uint64_t number_field(const char *value, const char *name) {
    const char *at = field(value, name);
    if (at == NULL) {
        return UINT64_MAX;
    }
    if (*at == '"') {
        at++;
    }
    return strtoull(at, NULL, 10);
}

/* The next string of an array or object, skipping separators; NULL at its end. */
static const char *next_string(const char *at, char *out, size_t size) {
    while (*at != '\0' && *at != '"' && *at != ']' && *at != '}') {
        at++;
    }
    return *at == '"' ? read_string(at, out, size) : NULL;
}

static int check_strings(const ferrocket_message_ext_t *m, const char *value) {
    static const struct {
        const char *name;
        const char *(*get)(const ferrocket_message_ext_t *);
    } fields[] = {
        { "topic", ferrocket_message_ext_topic },
        { "tags", ferrocket_message_ext_tags },
        { "msg_id", ferrocket_message_ext_msg_id },
        { "born_host", ferrocket_message_ext_born_host },
        { "store_host", ferrocket_message_ext_store_host },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char want[256];
        CHECK(read_string(field(value, fields[i].name), want, sizeof want) != NULL, "JSON %s",
              fields[i].name);
        const char *got = fields[i].get(m);
        CHECK(strcmp(got, want) == 0, "%s: got `%s`, JSON says `%s`", fields[i].name, got, want);
    }
    char body_hex[1024];
    CHECK(read_string(field(value, "body"), body_hex, sizeof body_hex) != NULL, "JSON body");
    size_t len = ferrocket_message_ext_body_len(m);
    CHECK(len * 2 == strlen(body_hex), "body length %zu", len);
    const uint8_t *body = ferrocket_message_ext_body(m);
    for (size_t i = 0; i < len; i++) {
        char byte[3];
        snprintf(byte, sizeof byte, "%02x", body[i]);
        CHECK(memcmp(byte, body_hex + 2 * i, 2) == 0, "body byte %zu", i);
    }
    return 0;
}

static int check_numbers(const ferrocket_message_ext_t *m, const char *value) {
    const struct {
        const char *name;
        uint64_t got;
    } fields[] = {
        { "queue_id", ferrocket_message_ext_queue_id(m) },
        { "queue_offset", ferrocket_message_ext_queue_offset(m) },
        { "commit_log_offset", ferrocket_message_ext_commit_log_offset(m) },
        { "reconsume_times", ferrocket_message_ext_reconsume_times(m) },
        { "born_timestamp_ms", ferrocket_message_ext_born_timestamp_ms(m) },
        { "store_timestamp_ms", ferrocket_message_ext_store_timestamp_ms(m) },
        { "deliver_at_ms", ferrocket_message_ext_deliver_at_ms(m) },
        { "delay_level", ferrocket_message_ext_delay_level(m) },
        { "flag", ferrocket_message_ext_flag(m) },
        { "sys_flag", ferrocket_message_ext_sys_flag(m) },
        { "store_size", ferrocket_message_ext_store_size(m) },
        { "payload_crc", ferrocket_message_ext_payload_crc(m) },
        { "prepared_transaction_offset", ferrocket_message_ext_prepared_transaction_offset(m) },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        uint64_t want = number_field(value, fields[i].name);
        CHECK(fields[i].got == want, "%s: got %" PRIu64 ", JSON says %" PRIu64, fields[i].name,
              fields[i].got, want);
    }
    return 0;
}

static int check_keys_and_properties(const ferrocket_message_ext_t *m, const char *value) {
    const char *at = field(value, "keys");
    CHECK(at != NULL && *at == '[', "JSON keys");
    size_t n = 0;
    char want[256];
    while ((at = next_string(at, want, sizeof want)) != NULL) {
        const char *got = ferrocket_message_ext_key(m, n);
        CHECK(got != NULL && strcmp(got, want) == 0, "key %zu: JSON says `%s`", n, want);
        n++;
    }
    CHECK(n == ferrocket_message_ext_key_count(m) && n > 0, "key count %zu", n);

    at = field(value, "properties");
    CHECK(at != NULL && *at == '{', "JSON properties");
    n = 0;
    char key[256];
    while ((at = next_string(at, key, sizeof key)) != NULL) {
        at = next_string(at, want, sizeof want);
        CHECK(at != NULL, "JSON property value");
        const char *got = ferrocket_message_ext_property(m, key);
        CHECK(got != NULL && strcmp(got, want) == 0, "property %s: JSON says `%s`", key, want);
        const char *k = NULL, *v = NULL;
        CHECK_OK(ferrocket_message_ext_property_at(m, n, &k, &v));
        CHECK(strcmp(k, key) == 0 && strcmp(v, want) == 0, "property %zu by index", n);
        n++;
    }
    CHECK(n == ferrocket_message_ext_property_count(m) && n > 0, "property count %zu", n);
    return 0;
}

/* Decodes the hex record of `doc` and checks every field, then a corrupted copy. */
static int check_record(const char *doc) {
    static char hex[8192];
    CHECK(read_string(field(doc, "hex"), hex, sizeof hex) != NULL, "JSON hex");
    size_t len = strlen(hex) / 2;
    uint8_t *bytes = malloc(len);
    CHECK(bytes != NULL, "out of memory");
    for (size_t i = 0; i < len; i++) {
        unsigned byte = 0;
        sscanf(hex + 2 * i, "%2x", &byte);
        bytes[i] = (uint8_t)byte;
    }
    ferrocket_message_ext_t *m = NULL;
    ferrocket_status_t s = ferrocket_message_ext_decode(bytes, len, &m);
    bytes[len / 2] ^= 0x5a;
    ferrocket_message_ext_t *corrupt = NULL;
    ferrocket_status_t bad = ferrocket_message_ext_decode(bytes, len, &corrupt);
    free(bytes);
    CHECK_OK(s);
    const char *value = field(doc, "value");
    CHECK(value != NULL, "JSON value");
    int rc = check_strings(m, value) || check_numbers(m, value) ||
             check_keys_and_properties(m, value);
    ferrocket_message_ext_destroy(m);
    CHECK(rc == 0, "the accessors match the JSON");
    CHECK_STATUS(bad, FERROCKET_ERR_DECODE);
    CHECK(corrupt == NULL, "no message from a corrupt record");
    return 0;
}

static int scenario_golden_vectors(void) {
    const char *dir = getenv("FERROCKET_VECTORS_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/record.json", dir != NULL ? dir : "spec/vectors");
    char *doc = read_file(path);
    CHECK(doc != NULL, "cannot read %s", path);
    int rc = check_record(doc);
    free(doc);
    return rc;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = { SCENARIO(golden_vectors) };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
