//! The build's identity, for the orchestrator to tell whether the `server`
//! and `client` beside it were built with it (`src/pa3/build.rs`): a hash
//! of every source file under `src/`, `Cargo.toml`, `Cargo.lock` and the
//! features enabled, given to the crate as `PA3_BUILD_ID`. Cargo runs this
//! again whenever one of those changes, so binaries built from other
//! sources carry another identity.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files.sort();
    files.push(root.join("Cargo.toml"));
    files.push(root.join("Cargo.lock"));
    let mut hash = fnv::FnvHasher::default();
    for file in &files {
        let name = file.strip_prefix(&root).unwrap_or(file);
        hash.write(name.to_string_lossy().as_bytes());
        hash.write(&[0]);
        // A lock file may be missing (a fresh checkout before the first
        // resolve): hashed as empty.
        hash.write(&std::fs::read(file).unwrap_or_default());
        hash.write(&[0]);
    }
    let mut features: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("CARGO_FEATURE_"))
        .collect();
    features.sort();
    for f in &features {
        hash.write(f.as_bytes());
    }
    println!("cargo:rustc-env=PA3_BUILD_ID={:016x}", hash.finish());
    for watched in ["src", "Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={watched}");
    }
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, files),
            Ok(t) if t.is_file() => files.push(path),
            _ => {}
        }
    }
}
