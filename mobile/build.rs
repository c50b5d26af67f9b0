//! `cfg(mobile)` and `cfg(desktop)` for this crate, as tauri-build sets them for the app.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(mobile)");
    println!("cargo::rustc-check-cfg=cfg(desktop)");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "android" || os == "ios" {
        println!("cargo::rustc-cfg=mobile");
    } else {
        println!("cargo::rustc-cfg=desktop");
    }
}
