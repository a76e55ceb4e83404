//! Which build a binary of this crate comes from: every binary carries
//! [`MARK`], made of the hash of the sources it was built from (see the
//! crate's `build.rs`). The orchestrator starts the `server` and `client`
//! built beside it only when they carry its own mark; other binaries of
//! those names (older, built from other sources) are left alone.

/// The build's identity: a hash of the sources, `Cargo.toml`, `Cargo.lock`
/// and the features.
pub const ID: &str = env!("PA3_BUILD_ID");

/// The bytes by which a binary of this build is known.
pub static MARK: &str = concat!("pa3-mininet build ", env!("PA3_BUILD_ID"), ".");

/// Keeps [`MARK`] in the binary (the linker drops what nothing uses):
/// called by every binary's `main`.
pub fn keep_mark() {
    std::hint::black_box(MARK);
}
