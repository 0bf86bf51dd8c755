//! Gives `libferrocket.so` a SONAME: a Rust cdylib has none by default, and without one the
//! dynamic linker records the build path of the library in every program linked against it.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libferrocket.so");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
