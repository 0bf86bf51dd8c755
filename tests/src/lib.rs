//! Test harness: in-process brokers on `127.0.0.1:0` with temporary data folders.
