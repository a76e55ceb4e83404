//! What a scenario is called and says about itself: its name (shown as
//! written in every report), the directory-safe slug derived from it, and
//! its description.

use std::path::Path;

use super::{shown, Validator};
use crate::orchestrator::scenario::schema::Scenario;
use crate::orchestrator::scenario::MAX_SCENARIO_NAME_CHARS;

/// Longest slug: the run directory is `<UTC time>-<slug>`.
const MAX_SLUG_BYTES: usize = 64;

impl Validator<'_> {
    /// The scenario's name (as written, or derived from the file name) and
    /// its slug. A name is one line of printable text: reports escape it
    /// where they show it, and only the slug names files.
    pub(super) fn name(&mut self, scenario: &Scenario) -> (String, String) {
        let Some(name) = &scenario.name else {
            let name = name_from_file(self.file);
            return (name.clone(), name);
        };
        let chars = name.chars().count();
        if name.trim().is_empty() {
            self.at("name", "the scenario name is empty");
        } else if chars > MAX_SCENARIO_NAME_CHARS {
            self.at(
                "name",
                format!("the scenario name is {chars} characters; the most allowed is {MAX_SCENARIO_NAME_CHARS}"),
            );
        } else if let Some(control) = name.chars().find(|c| c.is_control()) {
            self.at(
                "name",
                format!(
                    "the scenario name {} contains the control character {control:?}: a name is one line of printable text",
                    shown(name)
                ),
            );
        }
        let slug = slug(name).unwrap_or_else(|| name_from_file(self.file));
        (name.clone(), slug)
    }

    pub(super) fn description(&mut self, scenario: &Scenario) -> String {
        let description = scenario.description.clone().unwrap_or_default();
        if description.len() > 4000 {
            self.at("description", "the description is longer than 4000 bytes");
        }
        description
    }
}

/// A name made safe to be part of a file name: ASCII letters, digits, `.`,
/// `_` and `-` kept, every run of anything else one `-` (none at either
/// end), no `.`, `_` or `-` first (no hidden file, nothing like an
/// option), at most [`MAX_SLUG_BYTES`]. A name that was already safe is its
/// own slug. None when nothing is left.
fn slug(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut replaced = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || "._-".contains(c) {
            if replaced && !out.is_empty() {
                out.push('-');
            }
            replaced = false;
            out.push(c);
        } else {
            replaced = true;
        }
    }
    let out = out.trim_start_matches(['.', '_', '-']);
    let out = &out[..out.len().min(MAX_SLUG_BYTES)];
    (!out.is_empty()).then(|| out.to_string())
}

/// The default name: the file's stem with anything but `[A-Za-z0-9._-]`
/// made `_`, or `scenario` when that leaves nothing that can start a name.
fn name_from_file(file: &Path) -> String {
    let stem = file
        .file_stem()
        .map(|stem| stem.to_string_lossy().to_string())
        .unwrap_or_default();
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.is_empty() || cleaned.starts_with(['.', '_', '-']) {
        "scenario".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::slug;
    use crate::orchestrator::scenario::testing::*;

    #[test]
    fn a_safe_name_is_its_own_slug() {
        for name in ["case2", "Case_2.v1", "long-gap", "a-", &"x".repeat(64)] {
            assert_eq!(slug(name).as_deref(), Some(name));
        }
    }

    #[test]
    fn any_other_name_gets_a_safe_slug() {
        for (name, want) in [
            ("Bob's case", Some("Bob-s-case")),
            ("  spaced   out  ", Some("spaced-out")),
            ("../../etc/`touch /tmp/pwned`", Some("etc-touch-tmp-pwned")),
            ("-rf /", Some("rf")),
            (".hidden", Some("hidden")),
            ("Zoë Ångström", Some("Zo-ngstr-m")),
            ("日本語", None),
            ("..", None),
        ] {
            assert_eq!(slug(name).as_deref(), want, "{name:?}");
        }
        let long = slug(&"ab ".repeat(40)).unwrap();
        assert_eq!(long.len(), 64);
    }

    #[test]
    fn a_name_is_kept_as_written_and_its_slug_names_the_directory() {
        let s = ok(&CASE2.replace("name: case2", "name: \"Bob's case\""));
        assert_eq!(s.name, "Bob's case");
        assert_eq!(s.slug, "Bob-s-case");
        let s = ok(&CASE2.replace("name: case2", "name: 日本語"));
        assert_eq!((s.name.as_str(), s.slug.as_str()), ("日本語", "t"));
        let s = ok(CASE2);
        assert_eq!((s.name.as_str(), s.slug.as_str()), ("case2", "case2"));
    }

    #[test]
    fn a_name_is_one_line_of_printable_text() {
        assert_eq!(
            err(&CASE2.replace("name: case2", "name: \"a\\nb\"")),
            "t.yaml:1:7: the scenario name \"a\\nb\" contains the control character '\\n': a name is one line of printable text"
        );
        assert_eq!(
            err(&CASE2.replace("name: case2", "name: \" \"")),
            "t.yaml:1:7: the scenario name is empty"
        );
        assert_eq!(
            err(&CASE2.replace("name: case2", &format!("name: {}", "n".repeat(101)))),
            "t.yaml:1:7: the scenario name is 101 characters; the most allowed is 100"
        );
    }
}
