/*
 * test_golden.c — the golden_vectors scenario of spec/scenarios.md: the record of
 * spec/vectors/record.json (FERROCKET_VECTORS_DIR, default spec/vectors) is decoded with
 * ferrocket_message_ext_decode and every accessor is compared with the field its JSON lists;
 * and the C-only golden_stored_records: every stored record carried by a frame vector
 * (pull_response and query_message_response `records`, check_transaction_state_request
 * `record`) is split at its store_size, decoded the same way, and compared with its entry of
 * the vector's `decoded_records` (or `decoded_record`).
 *
 * The JSON reader below knows just enough for those files: it finds `"name":` at or after a
 * position and reads a string, a number, an array of strings, an object of strings, or skips
 * over a whole object.
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

/* The bytes of the hex string at `at` (malloc'd, the caller frees them), or NULL. */
static uint8_t *hex_field(const char *at, size_t *len) {
    static char hex[16384];
    if (read_string(at, hex, sizeof hex) == NULL) {
        return NULL;
    }
    *len = strlen(hex) / 2;
    uint8_t *bytes = malloc(*len + 1);
    for (size_t i = 0; bytes != NULL && i < *len; i++) {
        unsigned byte = 0;
        sscanf(hex + 2 * i, "%2x", &byte);
        bytes[i] = (uint8_t)byte;
    }
    return bytes;
}

/* Every accessor of `m` matches the record object starting at `value`. */
static int check_fields(const ferrocket_message_ext_t *m, const char *value) {
    return check_strings(m, value) || check_numbers(m, value) ||
           check_keys_and_properties(m, value);
}

/* Decodes the hex record of `doc` and checks every field, then a corrupted copy. */
static int check_record(const char *doc) {
    size_t len = 0;
    uint8_t *bytes = hex_field(field(doc, "hex"), &len);
    CHECK(bytes != NULL, "JSON hex");
    ferrocket_message_ext_t *m = NULL;
    ferrocket_status_t s = ferrocket_message_ext_decode(bytes, len, &m);
    bytes[len / 2] ^= 0x5a;
    ferrocket_message_ext_t *corrupt = NULL;
    ferrocket_status_t bad = ferrocket_message_ext_decode(bytes, len, &corrupt);
    free(bytes);
    CHECK_OK(s);
    const char *value = field(doc, "value");
    CHECK(value != NULL, "JSON value");
    int rc = check_fields(m, value);
    ferrocket_message_ext_destroy(m);
    CHECK(rc == 0, "the accessors match the JSON");
    CHECK_STATUS(bad, FERROCKET_ERR_DECODE);
    CHECK(corrupt == NULL, "no message from a corrupt record");
    return 0;
}

/* Reads spec/vectors/<name>.json (a NUL-terminated buffer the caller frees). */
static char *read_vector(const char *name) {
    const char *dir = getenv("FERROCKET_VECTORS_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.json", dir != NULL ? dir : "spec/vectors", name);
    char *doc = read_file(path);
    if (doc == NULL) {
        fprintf(stderr, "    cannot read %s\n", path);
    }
    return doc;
}

static int scenario_golden_vectors(void) {
    char *doc = read_vector("record");
    CHECK(doc != NULL, "record.json");
    int rc = check_record(doc);
    free(doc);
    return rc;
}

/* One past the `}` closing the JSON object that opens at `at`, or NULL. */
static const char *object_end(const char *at) {
    int depth = 0;
    bool in_string = false;
    for (; *at != '\0'; at++) {
        if (in_string) {
            if (*at == '\\' && at[1] != '\0') {
                at++;
            } else if (*at == '"') {
                in_string = false;
            }
        } else if (*at == '"') {
            in_string = true;
        } else if (*at == '{') {
            depth++;
        } else if (*at == '}' && --depth == 0) {
            return at + 1;
        }
    }
    return NULL;
}

/* The next `{` at or after `at` before the enclosing array's `]`, or NULL. */
static const char *next_object(const char *at) {
    while (*at != '\0' && *at != '{' && *at != ']') {
        at++;
    }
    return *at == '{' ? at : NULL;
}

static uint32_t read_be32(const uint8_t *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* Splits the stored records in field `hex_name` of vector `name` at each record's store_size
 * (its first 4 bytes, big-endian), decodes each and checks it against the next object of
 * `decoded_name` (an array of record objects, or one object); expects `want` records. */
static int check_stored(const char *name, const char *hex_name, const char *decoded_name,
                        size_t want) {
    char *doc = read_vector(name);
    CHECK(doc != NULL, "%s.json", name);
    const char *value = field(doc, "value");
    size_t len = 0;
    uint8_t *bytes = value != NULL ? hex_field(field(value, hex_name), &len) : NULL;
    const char *decoded = value != NULL ? field(value, decoded_name) : NULL;
    bool array = decoded != NULL && *decoded == '[';
    const char *object = decoded == NULL ? NULL : array ? next_object(decoded + 1) : decoded;
    size_t count = 0, at = 0;
    int rc = bytes == NULL || object == NULL;
    while (rc == 0 && at + 4 <= len) {
        uint32_t size = read_be32(bytes + at);
        ferrocket_message_ext_t *m = NULL;
        rc = object == NULL || size < 4 || size > len - at ||
             ferrocket_message_ext_decode(bytes + at, size, &m) != FERROCKET_OK ||
             check_fields(m, object) != 0 || ferrocket_message_ext_store_size(m) != size;
        ferrocket_message_ext_destroy(m);
        if (rc != 0) {
            fprintf(stderr, "    %s: record %zu at byte %zu does not match its JSON\n", name,
                    count, at);
        }
        at += size;
        count++;
        const char *end = object != NULL ? object_end(object) : NULL;
        object = array && end != NULL ? next_object(end) : NULL;
    }
    free(bytes);
    free(doc);
    CHECK(rc == 0, "%s: `%s` and `%s` are in the JSON and agree", name, hex_name, decoded_name);
    CHECK(at == len, "%s: the records fill `%s` exactly", name, hex_name);
    CHECK(object == NULL, "%s: `%s` lists more records than the bytes hold", name,
          decoded_name);
    CHECK(count == want, "%s: %zu records, %zu expected", name, count, want);
    return 0;
}

static int scenario_golden_stored_records(void) {
    CHECK_PASS(check_stored("pull_response", "records", "decoded_records", 2));
    CHECK_PASS(check_stored("query_message_response", "records", "decoded_records", 1));
    CHECK_PASS(check_stored("check_transaction_state_request", "record", "decoded_record", 1));
    return 0;
}

int main(int argc, char **argv) {
    static const scenario_t table[] = { SCENARIO(golden_vectors), SCENARIO(golden_stored_records) };
    return run_scenarios(table, sizeof table / sizeof table[0], argc, argv);
}
