//! The reference of docs/scenarios.md held to the parser, both ways: every
//! key the schema accepts has a row in its tables, and every row names a
//! key the schema accepts. The schema's keys are not listed here by hand
//! (that list would drift too): they are asked of serde itself. Every
//! mapping of the schema denies unknown fields, and serde's error for an
//! unknown field or step names all the expected ones; so a probe puts an
//! unknown key at each place in turn, reads what was expected there, and
//! goes down into each key found whose value is itself a mapping (or a
//! list of them).

use std::collections::BTreeSet;

use super::schema::Scenario;

/// The key no schema will ever have.
const PROBE: &str = "zz_probe";

/// A host's name where a mapping is keyed by them (`links: { h2: … }`),
/// as the reference writes it; any name parses there.
const HOST: &str = "<host>";

/// What serde expected where the probe stood, if the probe was the error:
/// `unknown field `zz_probe`, expected one of `a`, `b`` (or `expected `a`
/// or `b``, or for a step `unknown variant …`).
fn expected_keys(error: &str) -> Option<Vec<String>> {
    let rest = error
        .split_once(&format!("unknown field `{PROBE}`, expected "))
        .or_else(|| error.split_once(&format!("unknown variant `{PROBE}`, expected ")))?
        .1;
    // The list ends where the position serde_yaml appends begins.
    let list = rest.split(" at line ").next().unwrap_or(rest);
    let keys: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some(keys)
}

/// A YAML document with `value` at `path` (keys; `[]` for a list's item).
fn document(path: &[String], value: &str) -> String {
    let mut yaml = value.to_string();
    for key in path.iter().rev() {
        yaml = if key == "[]" {
            format!("[{yaml}]")
        } else {
            format!("{{{key}: {yaml}}}")
        };
    }
    yaml
}

/// The keys serde expects at `path`, if a mapping stands there.
fn keys_at(path: &[String]) -> Option<Vec<String>> {
    let yaml = document(path, &format!("{{{PROBE}: 1}}"));
    let error = serde_yaml::from_str::<Scenario>(&yaml)
        .err()
        .unwrap_or_else(|| panic!("{yaml} parsed, probe and all"))
        .to_string();
    expected_keys(&error)
}

/// Every key of the schema, as docs/scenarios.md writes them:
/// `topology.link.bw_mbit`, `clients[].id`, `steps[].wait_for.process`.
fn schema_keys() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    while let Some(path) = todo.pop() {
        // A mapping at `path`, or a list of mappings (`clients`, `steps`).
        let mut item = path.clone();
        item.push("[]".into());
        // Or a mapping from hosts' names to mappings (`links`), which the
        // reference writes `links.<host>.delay_ms`.
        let mut named = path.clone();
        named.push(HOST.into());
        let (at, keys) = match keys_at(&path) {
            Some(keys) => (path, keys),
            None => match keys_at(&item).map(|keys| (item, keys)) {
                Some(found) => found,
                None => match keys_at(&named) {
                    Some(keys) => {
                        found.insert(written(&path, HOST));
                        (named, keys)
                    }
                    None => continue,
                },
            },
        };
        for key in keys {
            found.insert(written(&at, &key));
            let mut child = at.clone();
            child.push(key);
            todo.push(child);
        }
    }
    found
}

/// `path` and `key` as the reference writes them.
fn written(path: &[String], key: &str) -> String {
    let mut s = String::new();
    for part in path {
        if part == "[]" {
            s.push_str("[]");
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(part);
        }
    }
    if !s.is_empty() {
        s.push('.');
    }
    s.push_str(key);
    s
}

/// The first cell of every row of the tables under `## Reference`.
fn documented_keys(markdown: &str) -> BTreeSet<String> {
    let reference = markdown
        .split_once("\n## Reference\n")
        .expect("docs/scenarios.md has a `## Reference` section")
        .1;
    let reference = reference.split("\n## ").next().unwrap_or(reference);
    reference
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|cell| cell.split_once('`'))
        .map(|(key, _)| key.to_string())
        .collect()
}

#[test]
fn the_probe_reads_serdes_lists_of_keys() {
    assert_eq!(
        expected_keys("unknown field `zz_probe`, expected one of `a`, `b`, `c` at line 1 column 2"),
        Some(vec!["a".into(), "b".into(), "c".into()])
    );
    assert_eq!(
        expected_keys("unknown variant `zz_probe`, expected `x` or `y`"),
        Some(vec!["x".into(), "y".into()])
    );
    assert_eq!(expected_keys("invalid type: map, expected a string"), None);
    assert_eq!(
        document(&["clients".into(), "[]".into(), "cmd".into()], "1"),
        "{clients: [{cmd: 1}]}"
    );
}

#[test]
fn the_probe_finds_keys_at_every_depth() {
    let keys = schema_keys();
    for key in [
        "name",
        "topology.link.bw_mbit",
        "clients[].id",
        "steps[].wait_for.timeout_ms",
        "expect.lines[].absent",
        "links.<host>.delay_ms",
        "steps[].link.host",
    ] {
        assert!(keys.contains(key), "{key} not found in {keys:?}");
    }
}

#[test]
fn docs_scenarios_reference_lists_exactly_the_keys_the_parser_accepts() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenarios.md");
    let markdown = std::fs::read_to_string(file).unwrap();
    let documented = documented_keys(&markdown);
    let schema = schema_keys();
    let undocumented: Vec<_> = schema.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&schema).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "docs/scenarios.md's reference and the scenario schema (src/orchestrator/scenario/schema.rs) \
         differ:\n  keys the parser accepts with no row in the reference: {undocumented:?}\n  \
         rows naming keys the parser refuses: {unknown:?}"
    );
}
