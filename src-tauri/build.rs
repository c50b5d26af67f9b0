//! Tauri's build step. Capabilities come from `src-tauri/capabilities/` (all platforms) and
//! `mobile/capabilities/` (Android and iOS only: each file there names its platforms, so
//! desktop builds skip them). The pattern matches both folders, one level up.
fn main() {
    for dir in ["capabilities", "../mobile/capabilities"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("../*/capabilities/*.json");
    if let Err(e) = tauri_build::try_build(attributes) {
        eprintln!("tauri build step failed: {e:#}");
        std::process::exit(1);
    }
}
