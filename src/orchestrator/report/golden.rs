//! Test helpers for the writers: golden files and an XML well-formedness
//! check. `UPDATE_GOLDEN=1 cargo test --lib report` rewrites the files in
//! `src/orchestrator/report/golden/` from the current output; review the diff before
//! committing it.

use std::path::PathBuf;

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/orchestrator/report/golden")
        .join(name)
}

/// Compares `actual` with the golden file `name`, exactly.
pub(crate) fn assert_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, actual)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected == actual {
        return;
    }
    let (line, (want, got)) = expected
        .lines()
        .chain(std::iter::repeat("<end of file>"))
        .zip(actual.lines().chain(std::iter::repeat("<end of output>")))
        .enumerate()
        .find(|(_, (w, g))| w != g)
        .map(|(i, pair)| (i + 1, pair))
        .unwrap_or((0, ("(line ends differ)", "")));
    panic!(
        "output differs from golden file {} at line {line}:\n  golden: {want}\n  actual: {got}\n\
         (UPDATE_GOLDEN=1 rewrites the golden files if the change is intended)",
        path.display()
    );
}

/// Panics unless `xml` is well-formed: one root element, balanced tags,
/// quoted attributes without duplicates, only the predefined or numeric
/// entity references, and no control characters. quick-xml reads the
/// document to its end; what it does not check (one root, text outside
/// it, control characters, `<` in an attribute) is checked here.
pub(crate) fn assert_well_formed_xml(xml: &str) {
    if let Err(e) = check_xml(xml) {
        panic!("not well-formed XML: {e}");
    }
}

fn check_xml(xml: &str) -> Result<(), String> {
    if let Some(c) = xml
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!("control character {c:?}"));
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_comments = true;
    let mut depth = 0usize;
    let mut roots = 0;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        match event {
            Event::Start(ref tag) | Event::Empty(ref tag) => {
                let name = String::from_utf8_lossy(tag.name().as_ref()).into_owned();
                if depth == 0 {
                    roots += 1;
                    if roots > 1 {
                        return Err(format!("a second root element <{name}>"));
                    }
                }
                if !attributes_are_spaced(tag.attributes_raw()) {
                    return Err(format!("missing space between attributes of <{name}>"));
                }
                for attr in tag.attributes() {
                    let attr = attr.map_err(|e| format!("in <{name}>: {e}"))?;
                    if attr.value.contains(&b'<') {
                        return Err(format!("`<` in an attribute of <{name}>"));
                    }
                    attr.unescape_value()
                        .map_err(|e| format!("in <{name}>: {e}"))?;
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(text) if depth == 0 && !text.trim_ascii().is_empty() => {
                return Err(format!("text outside the root: {:?}", text.decode()));
            }
            Event::GeneralRef(r) => {
                let known = r.resolve_char_ref().map_err(|e| e.to_string())?.is_some()
                    || r.decode().is_ok_and(|n| resolve_xml_entity(&n).is_some());
                if !known {
                    return Err(format!("unknown entity &{};", String::from_utf8_lossy(&r)));
                }
            }
            Event::CData(_) if depth == 0 => return Err("CDATA outside the root".into()),
            Event::DocType(_) => return Err("unexpected <!DOCTYPE".into()),
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 {
        return Err("an element is never closed".into());
    }
    if roots == 0 {
        return Err("no root element".into());
    }
    Ok(())
}

/// Whether every quoted attribute value in a tag's attribute text is
/// followed by a space or the tag's end (quick-xml takes `a='1'b='2'`).
fn attributes_are_spaced(raw: &[u8]) -> bool {
    let mut quote = None;
    let mut closed = false;
    for &b in raw {
        if closed && !(b.is_ascii_whitespace() || b == b'/') {
            return false;
        }
        closed = false;
        match quote {
            Some(q) if b == q => (quote, closed) = (None, true),
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::check_xml;

    #[test]
    fn the_xml_check_accepts_good_documents_and_names_the_fault_in_bad_ones() {
        assert!(check_xml(
            r#"<?xml version="1.0"?><a x="1" y='&amp;'><b/><!-- c --><c>&#233;</c></a>"#
        )
        .is_ok());
        assert!(check_xml("<a><b></a>")
            .unwrap_err()
            .contains("expected `</b>`, but `</a>` was found"));
        assert!(check_xml("<a>x & y</a>").is_err());
        assert!(check_xml("<a>&nbsp;</a>")
            .unwrap_err()
            .contains("unknown entity"));
        assert!(check_xml("<a x='&nbsp;'/>").is_err());
        assert!(check_xml("<a x=1/>").unwrap_err().contains("enclosed in"));
        assert!(check_xml(r#"<a x="1" x="2"/>"#)
            .unwrap_err()
            .contains("duplicated"));
        assert!(check_xml(r#"<a x="1"y="2"/>"#)
            .unwrap_err()
            .contains("missing space"));
        assert!(check_xml(r#"<a x="it's" y='say "hi"'/>"#).is_ok());
        assert!(check_xml("<a x='1<2'/>").unwrap_err().contains("`<`"));
        assert!(check_xml("x<a/>").unwrap_err().contains("outside the root"));
        assert!(check_xml("<a><!-- x -- y --></a>").is_err());
        assert!(check_xml("<a/><b/>").unwrap_err().contains("second root"));
        assert!(check_xml("<a>\u{1b}[31m</a>")
            .unwrap_err()
            .contains("control"));
        assert!(check_xml("<a>1 < 2</a>").is_err());
        assert!(check_xml("<a>").unwrap_err().contains("never closed"));
    }
}
