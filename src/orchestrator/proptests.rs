//! Property: scenario text never becomes code.
//!
//! Arbitrary strings — quotes, backslashes, newlines, `"""`, `'''`, braces,
//! `$(...)`, backticks, Python, NULs, non-ASCII — are put in every text field
//! of a scenario (name, description, host names, switch, client ids and
//! names, commands, the expected ack, expected lines, wait_for). The YAML is
//! written by serde_json (JSON is YAML), so every string arrives exactly as
//! generated. Then either validation refuses the scenario, with one located
//! line per error and no raw control character in any message; or it
//! accepts it, and then:
//! - host names, the switch and client ids are identifiers; the scenario
//!   name is kept as written and its slug (which names files) is made of
//!   safe characters only;
//! - the generated Python differs from a benign scenario's only in its one
//!   `SPEC = json.loads("...")` line, which is made of JSON-string characters
//!   only and decodes to exactly the validated hosts and switch;
//! - no other text of the scenario appears anywhere in the Python;
//! - a command is split into words (never given to a shell), and client
//!   names are kept as written (trimmed) — they travel as data.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

use crate::orchestrator::scenario::{parse, Capabilities, ValidScenario};
use crate::orchestrator::topology;

const CASES: u32 = 256;

/// Pieces that break naive quoting in Python, shells, YAML and JSON.
const NASTY: &[&str] = &[
    "\"",
    "'",
    "\\",
    "\n",
    "\r\n",
    "\"\"\"",
    "'''",
    "{",
    "}",
    "{port}",
    "@SPEC@",
    "$(touch /tmp/pwned)",
    "`id`",
    "; rm -rf /",
    "\")\n__import__('os').system('touch /tmp/pwned')\n#",
    "'); import os; os.system('id'); ('",
    "\0",
    "\t",
    "\u{7f}",
    "\u{85}",
    "\u{202e}",
    "é",
    "Zoë Ångström",
    "😀",
    "#",
    ": ",
    "- ",
    "*a",
    "&a",
    "!!python/object/apply:os.system ['id']",
    "X: Alice received before Y: Bob",
];

/// A string made of nasty pieces, plain words and arbitrary characters.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(NASTY).prop_map(str::to_string),
        2 => "[a-z0-9_]{1,4}",
        1 => any::<char>().prop_map(String::from),
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 1..5).prop_map(|v| v.concat())
}

/// An identifier most of the time (so that scenarios are often accepted and
/// the other fields' text reaches the generator), anything otherwise.
fn ident_or_hostile(ident: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![9 => ident, 1 => hostile()]
}

/// Free text: hostile, but often without control characters (which names
/// may not contain), so that it is accepted and carried.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        2 => hostile().prop_map(|s| s.chars().filter(|c| !c.is_control()).collect::<String>()),
        1 => hostile(),
        1 => "[A-Za-z][A-Za-z ]{0,8}",
    ]
    .boxed()
}

#[derive(Clone, Debug)]
struct Fields {
    name: Option<String>,
    description: Option<String>,
    hosts: [String; 3],
    switch: Option<String>,
    ids: [String; 2],
    names: [String; 2],
    server_cmd: Option<String>,
    client_cmd: Option<Vec<String>>,
    /// None: no ack; Some(None): the ack the steps imply; Some(Some(s)): s.
    ack: Option<Option<String>>,
    line_contains: Option<String>,
    line_regex: Option<String>,
    wait_contains: Option<String>,
}

fn fields() -> impl Strategy<Value = Fields> {
    let host = || ident_or_hostile("[a-z][a-z0-9]{0,9}");
    let id = || ident_or_hostile("[a-z][a-z0-9_]{0,15}");
    (
        (
            proptest::option::of(prop_oneof![
                ident_or_hostile("[A-Za-z0-9][A-Za-z0-9._-]{0,20}"),
                text(),
            ]),
            proptest::option::of(text()),
            [host(), host(), host()],
            proptest::option::of(host()),
            [id(), id()],
            [text(), text()],
        ),
        (
            proptest::option::of(text()),
            proptest::option::of(prop::collection::vec(text(), 1..4)),
            proptest::option::of(proptest::option::of(text())),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
        ),
    )
        .prop_map(
            |(
                (name, description, hosts, switch, ids, names),
                (server_cmd, client_cmd, ack, line_contains, line_regex, wait_contains),
            )| Fields {
                name,
                description,
                hosts,
                switch,
                ids,
                names,
                server_cmd,
                client_cmd,
                ack,
                line_contains,
                line_regex,
                wait_contains,
            },
        )
}

/// The scenario as YAML (JSON, which is YAML): every string exactly as given.
fn scenario_text(f: &Fields) -> String {
    let [h1, h2, h3] = &f.hosts;
    let [a, b] = &f.ids;
    let [na, nb] = &f.names;
    let mut topology = json!({ "hosts": [h1, h2, h3] });
    if let Some(s) = &f.switch {
        topology["switch"] = json!(s);
    }
    let mut server = json!({ "host": h1 });
    if let Some(c) = &f.server_cmd {
        server["cmd"] = json!(c);
    }
    let mut client_b = json!({ "id": b, "host": h3, "name": nb });
    if let Some(c) = &f.client_cmd {
        client_b["cmd"] = json!(c);
    }
    let mut steps = vec![json!({ "connect": a }), json!({ "connect": b })];
    if let Some(c) = &f.wait_contains {
        steps.push(json!({ "wait_for": { "process": b, "contains": c, "timeout_ms": 2000 } }));
    }
    steps.push(json!({ "send": b }));
    steps.push(json!({ "send": a }));
    let mut expect = json!({});
    match &f.ack {
        Some(Some(s)) => expect["ack"] = json!(s),
        Some(None) => expect["ack"] = json!(format!("Y: {nb} received before X: {na}")),
        None => {}
    }
    let mut lines = Vec::new();
    if let Some(c) = &f.line_contains {
        lines.push(json!({ "process": "server", "contains": c }));
    }
    if let Some(r) = &f.line_regex {
        lines.push(json!({ "process": a, "regex": r }));
    }
    expect["lines"] = json!(lines);
    let mut s = json!({
        "topology": topology,
        "server": server,
        "clients": [{ "id": a, "host": h2, "name": na }, client_b],
        "steps": steps,
        "expect": expect,
    });
    if let Some(n) = &f.name {
        s["name"] = json!(n);
    }
    if let Some(d) = &f.description {
        s["description"] = json!(d);
    }
    yaml_safe(&serde_json::to_string_pretty(&s).unwrap())
}

/// JSON text that YAML reads the same: YAML 1.1 takes a raw U+0085 (NEL),
/// U+2028 or U+2029 inside a quoted string for a line break (and folds it
/// into a space) and refuses raw DEL, C1 controls and a stray BOM, where
/// JSON keeps them as they are. Both read `\uXXXX` alike (below U+D800).
fn yaml_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

const NO_NETEM: Capabilities = Capabilities::assume(false, true);

fn benign() -> ValidScenario {
    let text = "\
topology: { hosts: [h1, h2, h3] }
clients:
  - { id: a, host: h2, name: Alice }
  - { id: b, host: h3, name: Bob }
steps: [{connect: a}, {connect: b}, {send: b}, {send: a}]
";
    parse(Path::new("benign.yaml"), text.as_bytes(), NO_NETEM).unwrap()
}

const SPEC_PREFIX: &str = "SPEC = json.loads(";

/// The generated Python split into its SPEC line and every other line.
fn split_spec(py: &str) -> (String, Vec<String>) {
    let spec: Vec<&str> = py.lines().filter(|l| l.starts_with(SPEC_PREFIX)).collect();
    assert_eq!(spec.len(), 1, "one SPEC line expected:\n{py}");
    let rest = py
        .lines()
        .filter(|l| !l.starts_with(SPEC_PREFIX))
        .map(str::to_string)
        .collect();
    (spec[0].to_string(), rest)
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase())
        && c.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A file-name part: ASCII letters, digits, `.`, `_`, `-`, not starting
/// with one of the last three, at most 64 bytes.
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && !s.starts_with(['.', '_', '-'])
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// The property for one scenario; returns whether it was accepted.
fn check(f: &Fields, benign_rest: &[String]) -> Result<bool, TestCaseError> {
    let text = scenario_text(f);
    let v = match parse(Path::new("p.yaml"), text.as_bytes(), NO_NETEM) {
        Err(errors) => {
            let shown = errors.to_string();
            prop_assert_eq!(
                shown.lines().count(),
                errors.0.len(),
                "one line per error:\n{}",
                shown
            );
            for e in &errors.0 {
                prop_assert!(
                    !e.message.chars().any(char::is_control),
                    "a raw control character in {:?}",
                    e.message
                );
                prop_assert!(e.line >= 1 && e.column >= 1);
            }
            return Ok(false);
        }
        Ok(v) => v,
    };

    for h in v
        .hosts()
        .iter()
        .map(String::as_str)
        .chain([v.switch(), v.server().host()])
    {
        prop_assert!(is_ident(h), "accepted host/switch {:?}", h);
    }
    // The name is kept as written (it is only ever shown, escaped); the
    // slug, which names files, is made of safe characters only.
    if let Some(name) = &f.name {
        prop_assert_eq!(v.name(), name);
    }
    prop_assert!(
        is_slug(v.slug()),
        "slug {:?} of name {:?}",
        v.slug(),
        v.name()
    );
    for c in v.clients() {
        prop_assert!(is_ident(c.id()), "accepted client id {:?}", c.id());
        prop_assert!(is_ident(c.host()), "accepted client host {:?}", c.host());
    }

    let py = topology::python(&v);
    prop_assert!(py.is_ascii());
    let (spec, rest) = split_spec(&py);
    if rest != benign_rest {
        let at = rest
            .iter()
            .zip(benign_rest)
            .position(|(a, b)| a != b)
            .unwrap_or(rest.len().min(benign_rest.len()));
        return Err(TestCaseError::fail(format!(
            "outside SPEC, the file differs from the template at line {}: {:?} instead of {:?}",
            at + 1,
            rest.get(at),
            benign_rest.get(at)
        )));
    }

    // The SPEC line: JSON-string characters only, and exactly the
    // validated identifiers inside.
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_\"\\:,{}[]().=- ".contains(c);
    prop_assert!(spec.chars().all(allowed), "SPEC line {}", spec);
    let literal = spec
        .strip_prefix(SPEC_PREFIX)
        .and_then(|s| s.strip_suffix(')'))
        .expect("SPEC = json.loads(...)");
    let json_text: String = serde_json::from_str(literal).expect("a JSON string literal");
    let data: Value = serde_json::from_str(&json_text).expect("JSON data");
    prop_assert_eq!(&data["hosts"], &json!(v.hosts()));
    prop_assert_eq!(&data["switch"], &json!(v.switch()));
    let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    prop_assert_eq!(keys.len(), 3, "SPEC keys {:?}", keys);
    // Each link is keyed by a validated host.
    for host in data["links"].as_object().unwrap().keys() {
        prop_assert!(v.hosts().contains(host), "link key {:?}", host);
    }

    // No other text of the scenario appears in the Python (short strings
    // could occur in the template by chance; so could one it already has).
    let mut texts: Vec<&str> = vec![&f.names[0], &f.names[1]];
    texts.extend(f.name.as_deref());
    texts.extend(f.description.as_deref());
    texts.extend(f.server_cmd.as_deref());
    texts.extend(f.line_contains.as_deref());
    texts.extend(f.line_regex.as_deref());
    texts.extend(f.wait_contains.as_deref());
    if let Some(Some(a)) = &f.ack {
        texts.push(a);
    }
    for t in texts {
        if t.trim().len() >= 8 && !benign_rest.iter().any(|l| l.contains(t.trim())) {
            prop_assert!(!py.contains(t.trim()), "{:?} reached the Python", t);
        }
    }

    // Commands are words, split without a shell; names are data, intact.
    if let Some(c) = &f.server_cmd {
        let words = shell_words::split(c).expect("accepted, so it split");
        prop_assert_eq!(v.server().cmd(), Some(&words[..]));
    }
    if let Some(argv) = &f.client_cmd {
        prop_assert_eq!(v.clients()[1].cmd(), Some(&argv[..]));
    }
    for (c, n) in v.clients().iter().zip(&f.names) {
        prop_assert_eq!(c.name(), n.trim());
    }
    Ok(true)
}

#[test]
fn scenario_text_never_becomes_code() {
    let (_, benign_rest) = split_spec(&topology::python(&benign()));
    let accepted = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&fields(), |f| {
        if check(&f, &benign_rest)? {
            accepted.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The property is not vacuous: a good share of the hostile scenarios
    // was accepted, so their text did reach the generator.
    let accepted = accepted.into_inner();
    assert!(
        accepted >= CASES as usize / 10,
        "only {accepted} of {CASES} scenarios were accepted"
    );
}
