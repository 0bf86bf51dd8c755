//! The `ferrocket` binary.

fn main() {}
