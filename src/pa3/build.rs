//! Which build a binary of this crate comes from: every binary carries
//! [`MARK`], made of the hash of the sources it was built from (see the
//! crate's `build.rs`), in an ELF section of its own, [`SECTION`]. The
//! orchestrator starts the `server` and `client` built beside it only when
//! theirs is its own; other binaries of those names (older, built from
//! other sources or with other features) are left alone.

/// The build's identity: a hash of the sources, `Cargo.toml`, `Cargo.lock`
/// and the features.
pub const ID: &str = env!("PA3_BUILD_ID");

/// The name of the ELF section that holds [`MARK`].
pub const SECTION: &str = ".pa3_build";

const MARK_TEXT: &str = concat!("pa3-mininet build ", env!("PA3_BUILD_ID"));

/// The bytes by which a binary of this build is known. `#[used]` keeps it
/// in every binary although no code reads it: the compiler marks the
/// section to be retained (`SHF_GNU_RETAIN`), which the linker's garbage
/// collection of sections honours. A linker that dropped it anyway would
/// only make the orchestrator start its programs through the links.
#[used]
#[link_section = ".pa3_build"]
pub static MARK: [u8; MARK_TEXT.len()] = bytes_of(MARK_TEXT);

/// `text` as an array (a section's content must be the bytes themselves).
const fn bytes_of<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_names_this_build_by_the_hash_of_its_sources() {
        assert_eq!(ID.len(), 16, "{ID}");
        assert!(ID.chars().all(|c| c.is_ascii_hexdigit()), "{ID}");
        assert_eq!(
            std::str::from_utf8(&MARK).unwrap(),
            format!("pa3-mininet build {ID}")
        );
    }
}
