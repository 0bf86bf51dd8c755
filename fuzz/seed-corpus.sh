#!/bin/sh
# Seeds the fuzz corpora from the golden vectors in spec/vectors/ (needs jq and xxd).
#   corpus/decode_frame/: every frame vector, plus all of them back to back (a pipelined stream)
#   corpus/parse_record/: record.json, and the records carried by the send and pull vectors
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vectors="$here/../spec/vectors"
frames="$here/corpus/decode_frame"
records="$here/corpus/parse_record"
mkdir -p "$frames" "$records"
: > "$frames/all_frames_pipelined"
for file in "$vectors"/*.json; do
    name=$(basename "$file" .json)
    kind=$(jq -r .kind "$file")
    if [ "$kind" = record ]; then
        jq -r .hex "$file" | xxd -r -p > "$records/$name"
        continue
    fi
    jq -r .hex "$file" | xxd -r -p > "$frames/$name"
    cat "$frames/$name" >> "$frames/all_frames_pipelined"
    for field in record records; do
        hex=$(jq -r ".value.$field // empty" "$file")
        if [ -n "$hex" ]; then
            printf '%s' "$hex" | xxd -r -p > "$records/${name}_$field"
        fi
    done
done
echo "seeded $(ls "$frames" | wc -l) frame inputs and $(ls "$records" | wc -l) record inputs"
