//! Tidy checks that keep `spec/protocol.md` in step with the code: the command table lists
//! every api key with its code, name and max version; the status table lists every status with
//! its code, name, body and retry flags; and every `*_MAX` of `limits.rs` is named in the spec.

use std::collections::HashMap;

use ferrocket::protocol::api::ApiKey;
use ferrocket::protocol::status::Status;

const PROTOCOL_MD: &str = include_str!("../../spec/protocol.md");
const LIMITS_RS: &str = include_str!("../src/limits.rs");

/// The rows of the first table under the heading that contains `heading`, keyed by their
/// first cell.
fn table(heading: &str) -> HashMap<String, Vec<String>> {
    let mut lines = PROTOCOL_MD.lines();
    lines
        .by_ref()
        .find(|l| l.starts_with("## ") && l.contains(heading))
        .unwrap_or_else(|| panic!("spec/protocol.md has no section {heading:?}"));
    let rows = lines
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect();
            (cells[0].clone(), cells)
        });
    rows.collect()
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// Every api key appears in the command table with its code, name and max version, and the
/// table lists nothing else.
#[test]
fn command_table_matches_api_keys() {
    let rows = table("Command table");
    for key in ApiKey::ALL {
        let row = rows
            .get(&key.code().to_string())
            .unwrap_or_else(|| panic!("command table lacks code {} ({})", key.code(), key.name()));
        assert_eq!(row[1], key.name(), "name of code {}", key.code());
        assert_eq!(
            row[2],
            key.max_version().to_string(),
            "{} max version",
            key.name()
        );
    }
    assert_eq!(
        rows.len(),
        ApiKey::ALL.len(),
        "command table has extra rows"
    );
}

/// Every status appears in the status table with its code, name, and whether it carries a
/// body and is retriable, and the table lists nothing else.
#[test]
fn status_table_matches_statuses() {
    let rows = table("Status codes");
    for status in Status::ALL {
        let row = rows
            .get(&status.code().to_string())
            .unwrap_or_else(|| panic!("status table lacks {status}"));
        assert_eq!(row[1], status.name(), "name of code {}", status.code());
        assert_eq!(
            row[3],
            yes_no(status.carries_body()),
            "{status} carries body"
        );
        assert_eq!(row[4], yes_no(status.is_retriable()), "{status} retriable");
    }
    assert_eq!(rows.len(), Status::ALL.len(), "status table has extra rows");
}

/// Every `*_MAX` constant of `limits.rs` is named in `spec/protocol.md` or `spec/storage.md`.
#[test]
fn every_max_limit_is_in_the_spec() {
    let storage =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/storage.md"))
            .unwrap_or_default();
    let names = LIMITS_RS.lines().filter_map(|l| {
        let rest = l.trim().strip_prefix("pub const ")?;
        let name = rest.split(':').next()?.trim();
        name.ends_with("_MAX").then_some(name)
    });
    let mut checked = 0;
    for name in names {
        checked += 1;
        assert!(
            PROTOCOL_MD.contains(name) || storage.contains(name),
            "{name} is in limits.rs but in neither spec/protocol.md nor spec/storage.md"
        );
    }
    assert!(
        checked > 20,
        "found only {checked} limits; is the parser broken?"
    );
}
