//! The `ferrocket` binary: see `ferrocket_server::cli`.

fn main() -> std::process::ExitCode {
    ferrocket_server::cli::main()
}
