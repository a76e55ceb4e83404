//! Test helpers for the writers: golden files and an XML well-formedness
//! check. `UPDATE_GOLDEN=1 cargo test --lib report` rewrites the files in
//! `src/orchestrator/report/golden/` from the current output; review the diff before
//! committing it.

use std::collections::HashSet;
use std::path::PathBuf;

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
/// quoted attributes without duplicates, and only the predefined or numeric
/// entity references. Enough to catch what a writer can get wrong.
pub(crate) fn assert_well_formed_xml(xml: &str) {
    if let Err(e) = check_xml(xml) {
        panic!("not well-formed XML: {e}");
    }
}

fn check_xml(xml: &str) -> Result<(), String> {
    let s = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut rest = s;
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let offset = |r: &str| s.len() - r.len();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<?") {
            let end = r.find("?>").ok_or("unterminated <?")?;
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or("unterminated comment")?;
            if r[..end].contains("--") {
                return Err(format!("`--` inside a comment at byte {}", offset(r)));
            }
            rest = &r[end + 3..];
        } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
            if stack.is_empty() {
                return Err("CDATA outside the root".into());
            }
            let end = r.find("]]>").ok_or("unterminated CDATA")?;
            rest = &r[end + 3..];
        } else if rest.starts_with("<!") {
            return Err(format!("unexpected `<!` at byte {}", offset(rest)));
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').ok_or("unterminated end tag")?;
            let name = r[..end].trim_end();
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => return Err(format!("</{name}> closes <{open}>")),
                None => return Err(format!("</{name}> without an open tag")),
            }
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('<') {
            let (name, after) =
                split_name(r).ok_or(format!("bad tag name at byte {}", offset(r)))?;
            let mut r = after;
            let mut seen = HashSet::new();
            let self_closing;
            loop {
                let trimmed = r.trim_start_matches([' ', '\t', '\n', '\r']);
                let had_space = trimmed.len() != r.len();
                r = trimmed;
                if let Some(r2) = r.strip_prefix("/>") {
                    self_closing = true;
                    r = r2;
                    break;
                }
                if let Some(r2) = r.strip_prefix('>') {
                    self_closing = false;
                    r = r2;
                    break;
                }
                if !had_space {
                    return Err(format!("missing space before attribute in <{name}>"));
                }
                let (attr, after) = split_name(r)
                    .ok_or(format!("bad attribute in <{name}> at byte {}", offset(r)))?;
                if !seen.insert(attr.to_string()) {
                    return Err(format!("duplicate attribute {attr} in <{name}>"));
                }
                let after = after
                    .trim_start()
                    .strip_prefix('=')
                    .ok_or(format!("attribute {attr} without ="))?;
                let after = after.trim_start();
                let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
                let quote = quote.ok_or(format!("unquoted attribute {attr} in <{name}>"))?;
                let body = &after[1..];
                let end = body
                    .find(quote)
                    .ok_or(format!("unterminated attribute {attr}"))?;
                let value = &body[..end];
                if value.contains('<') {
                    return Err(format!("`<` in attribute {attr} of <{name}>"));
                }
                check_text(value)?;
                r = &body[end + 1..];
            }
            if stack.is_empty() {
                roots += 1;
                if roots > 1 {
                    return Err(format!("a second root element <{name}>"));
                }
            }
            if !self_closing {
                stack.push(name.to_string());
            }
            rest = r;
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            if stack.is_empty() && !text.trim().is_empty() {
                return Err(format!("text outside the root: {:?}", text.trim()));
            }
            check_text(text)?;
            rest = &rest[end..];
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> is never closed"));
    }
    if roots == 0 {
        return Err("no root element".into());
    }
    Ok(())
}

fn split_name(s: &str) -> Option<(&str, &str)> {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.')))
        .map_or(s.len(), |(i, _)| i);
    let name = &s[..end];
    let first = name.chars().next()?;
    (first.is_alphabetic() || first == '_' || first == ':').then_some((name, &s[end..]))
}

fn check_text(text: &str) -> Result<(), String> {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!("control character {c:?} in text"));
    }
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        let r = &rest[i + 1..];
        let end = r.find(';').ok_or("`&` without `;`")?;
        let entity = &r[..end];
        let ok = matches!(entity, "lt" | "gt" | "amp" | "quot" | "apos")
            || entity
                .strip_prefix("#x")
                .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || entity
                .strip_prefix('#')
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
        if !ok {
            return Err(format!("unknown entity &{entity};"));
        }
        rest = &r[end + 1..];
    }
    Ok(())
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
        assert!(check_xml("<a><b></a>").unwrap_err().contains("closes"));
        assert!(check_xml("<a>x & y</a>").is_err());
        assert!(check_xml("<a x=1/>").unwrap_err().contains("unquoted"));
        assert!(check_xml(r#"<a x="1" x="2"/>"#)
            .unwrap_err()
            .contains("duplicate"));
        assert!(check_xml("<a/><b/>").unwrap_err().contains("second root"));
        assert!(check_xml("<a>\u{1b}[31m</a>")
            .unwrap_err()
            .contains("control"));
        assert!(check_xml("<a>1 < 2</a>").is_err());
        assert!(check_xml("<a>").unwrap_err().contains("never closed"));
    }
}
