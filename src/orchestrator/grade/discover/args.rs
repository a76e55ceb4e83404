//! What a program reads on its command line, and what each argument is:
//! the name, the letter, the server's address or the port — from how the
//! program uses it (compared with 'X'/'Y', put after "Client "), the usage
//! line its author wrote (`python3 client.py X Bob`, `usage: ./client X|Y`),
//! the name of the variable it goes in (`letter`, `serverName`, `port`),
//! and whether it is turned into a number.

use regex::Regex;

use super::scan::Source;

/// What a command-line argument of a program is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ArgKind {
    Name,
    Letter,
    ServerIp,
    Port,
}

impl ArgKind {
    /// The placeholder the command line gets.
    pub(super) fn placeholder(self) -> &'static str {
        match self {
            ArgKind::Name => "{name}",
            ArgKind::Letter => "{letter}",
            ArgKind::ServerIp => "{server_ip}",
            ArgKind::Port => "{port}",
        }
    }
}

/// The command-line arguments the program reads, and what each is.
pub(super) fn args(source: &Source, server: bool) -> Vec<ArgKind> {
    let text = &source.lexed.no_comments;
    let usage = usage(source);
    let mut kinds: Vec<Option<ArgKind>> = Vec::new();
    let mut note = |i: usize, k: ArgKind| {
        if i == 0 || i > 9 {
            return;
        }
        if kinds.len() < i {
            kinds.resize(i, None);
        }
        kinds[i - 1].get_or_insert(k);
    };
    for c in re!(r"\bargv\s*\[\s*(\d+)\s*:").captures_iter(text) {
        note(c[1].parse().unwrap_or(0), ArgKind::Name);
    }
    let used: Vec<usize> = re!(r"\bargv\s*\[\s*(\d+)\s*\]")
        .captures_iter(text)
        .filter_map(|c| c[1].parse().ok())
        .collect();
    for i in used {
        let hint = usage.get(i.wrapping_sub(1)).copied();
        note(i, arg_kind(text, i, hint).unwrap_or(default_kind(server)));
    }
    let positional = re!(r#"\badd_argument\s*\(\s*['"]([A-Za-z]\w*)['"]"#);
    for (n, c) in positional.captures_iter(text).enumerate() {
        let kind = if used_as_letter(text, &c[1]) {
            Some(ArgKind::Letter)
        } else {
            usage.get(n).copied().or(kind_by_words(&c[1]))
        };
        note(n + 1, kind.unwrap_or(default_kind(server)));
    }
    let default = default_kind(server);
    kinds.into_iter().map(|k| k.unwrap_or(default)).collect()
}

/// The arguments of the usage line the author wrote for this program, in
/// a comment or a message: `python3 client.py X Bob`, `./client X|Y`,
/// `usage: %s <name>`.
fn usage(source: &Source) -> Vec<ArgKind> {
    let stem = regex::escape(&source.stem());
    let line = Regex::new(&format!(
        r"(?i)(?:python[23]?(?:\.\d+)?\s+(?:\S*/)?{stem}\.py|\./{stem}\b|usage:?\s+%s)[ \t]+([^\n]*)"
    ));
    let Ok(line) = line else {
        return Vec::new();
    };
    let texts = source.lexed.comments.iter().chain(&source.lexed.strings);
    let Some(rest) = texts
        .filter_map(|t| line.captures(t))
        .map(|c| c[1].to_string())
        .next()
    else {
        return Vec::new();
    };
    rest.split_whitespace()
        .take_while(|w| !w.starts_with(['-', '>', '&', '|', ';', '#']))
        .map(|w| w.trim_matches(|c: char| "<>[]{}()\"',.:".contains(c)))
        .filter(|w| !w.is_empty())
        .map(usage_word)
        .collect()
}

/// What a word of a usage line stands for.
fn usage_word(w: &str) -> ArgKind {
    let lower = w.to_ascii_lowercase();
    if re!(r"^(?:x|y|x\|y|y\|x|x/y|x,y|xory|letter|client_?(?:letter|id)|id|which)$").is_match(&lower) {
        ArgKind::Letter
    } else if re!(r"^(?:\d{1,5}|port|server_?port)$").is_match(&lower) {
        ArgKind::Port
    } else if re!(r"^(?:\d+\.\d+\.\d+\.\d+|localhost|host|hostname|server|server_?(?:ip|name|address)|ip|address|addr)$").is_match(&lower) {
        ArgKind::ServerIp
    } else {
        kind_by_words(w).unwrap_or(ArgKind::Name)
    }
}

fn default_kind(server: bool) -> ArgKind {
    if server {
        ArgKind::Port
    } else {
        ArgKind::Name
    }
}

/// What `argv[i]` is, from how it is used, the usage line's `hint`, the
/// variable it is put in, and whether it is made a number (None: nothing
/// tells).
fn arg_kind(text: &str, i: usize, hint: Option<ArgKind>) -> Option<ArgKind> {
    let expr = format!(r"(?:sys\s*\.\s*)?\bargv\s*\[\s*{i}\s*\]");
    let assigned = [
        format!(r"\b(\w+)\s*=\s*(?:[\w.:]+\s*\(\s*)*{expr}"),
        format!(r"(?:string|char\s*\*)\s*(\w+)\s*[({{]\s*{expr}"),
        format!(r"\bstrn?cpy\s*\(\s*(\w+)\s*,\s*{expr}"),
    ];
    let var = assigned.iter().find_map(|p| {
        Regex::new(p)
            .ok()
            .and_then(|r| r.captures(text).map(|c| c[1].to_string()))
    });
    let matches = |p: String| Regex::new(&p).is_ok_and(|r| r.is_match(text));
    let letter = used_as_letter(text, &format!("sys.argv[{i}]"))
        || used_as_letter(text, &format!("argv[{i}]"))
        || var.as_deref().is_some_and(|v| used_as_letter(text, v));
    let address = matches(format!(
        r"(?:\binet_addr\s*\(|\binet_aton\s*\(|\binet_pton\s*\(\s*\w+\s*,|\bgethostbyname\s*\(|\bgetaddrinfo\s*\(|\.connect\s*\(\s*\()\s*{expr}"
    ));
    let numeric = matches(format!(r"\b(?:int|atoi|stoi|strtol|atol)\s*\(\s*{expr}"));
    if letter {
        Some(ArgKind::Letter)
    } else if address {
        Some(ArgKind::ServerIp)
    } else if hint.is_some() {
        hint
    } else if let Some(k) = var.as_deref().and_then(kind_by_words) {
        Some(k)
    } else {
        numeric.then_some(ArgKind::Port)
    }
}

/// What a variable holds, by the words of its name.
pub(super) fn kind_by_words(var: &str) -> Option<ArgKind> {
    let words = words(var);
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    if has(&["port"]) {
        Some(ArgKind::Port)
    } else if words == ["client"] {
        // `client = sys.argv[1]`, run as `python3 client.py X`.
        Some(ArgKind::Letter)
    } else if has(&[
        "letter", "id", "which", "side", "xy", "label", "role", "tag",
    ]) {
        Some(ArgKind::Letter)
    } else if has(&[
        "host",
        "server",
        "ip",
        "addr",
        "address",
        "hostname",
        "servername",
    ]) {
        Some(ArgKind::ServerIp)
    } else if has(&[
        "name", "msg", "message", "user", "username", "nick", "nickname",
    ]) {
        Some(ArgKind::Name)
    } else {
        None
    }
}

/// The words of a name as people write them: `clientLetter`,
/// `client_letter2` → `client`, `letter`; `EC_server` → `ec`, `server`.
pub(super) fn words(name: &str) -> Vec<String> {
    let mut words = vec![String::new()];
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphabetic() {
            words.push(String::new());
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(String::new());
        }
        prev_lower = c.is_lowercase();
        words.last_mut().unwrap().extend(c.to_lowercase());
    }
    words.retain(|w| !w.is_empty());
    words
}

/// Whether `expr` (a variable, `sys.argv[1]`) is compared with 'X' or 'Y',
/// or put after "Client " in a message.
pub(super) fn used_as_letter(text: &str, expr: &str) -> bool {
    let v = regex::escape(expr);
    // `\b` after `sys.argv[1]` would want a word character next.
    let end = if expr.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
        r"\b"
    } else {
        ""
    };
    let m = r"(?:\s*\.\s*(?:upper|lower|strip|capitalize)\(\)|\s*\[\s*0\s*\])*";
    let xy = r#"['"][XxYy]['"]"#;
    let patterns = [
        format!(r"(?:^|[^\w.]){v}{m}\s*[!=]=\s*{xy}"),
        format!(r"{xy}\s*[!=]=\s*{v}{end}"),
        format!(r#"(?:^|[^\w.]){v}{m}\s+(?:not\s+)?in\s*(?:[\[({{]\s*{xy}|['"](?:XY|xy))"#),
        format!(r#"\bstrn?(?:case)?cmp\s*\(\s*{v}\s*,\s*"[XxYy]""#),
        format!(r#"(?i:client)[\s_-]*['"]\s*\+\s*(?:str\s*\(\s*)?{v}{end}"#),
        format!(r"(?i:client)[\s_-]*\{{\s*{v}{end}"),
        format!(r#"(?i:client)[\s_-]*%[sc][^'"]*['"]\s*%\s*\(?\s*{v}{end}"#),
        format!(r#"(?i:client)[\s_-]*\{{\}}[^'"]*['"]\s*\.format\s*\(\s*{v}{end}"#),
    ];
    patterns
        .iter()
        .any(|p| Regex::new(p).map(|r| r.is_match(text)).unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_names_as_people_write_them() {
        assert_eq!(words("clientLetter"), ["client", "letter"]);
        assert_eq!(words("client_ID2"), ["client", "id"]);
        assert_eq!(words("serverName"), ["server", "name"]);
        assert_eq!(kind_by_words("serverName"), Some(ArgKind::ServerIp));
        assert_eq!(kind_by_words("client_name"), Some(ArgKind::Name));
        assert_eq!(kind_by_words("clientId"), Some(ArgKind::Letter));
    }
}
