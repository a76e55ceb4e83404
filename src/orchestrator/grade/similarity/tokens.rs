//! Source code as the similarity check sees it: a stream of normalised
//! tokens, each with the line it came from. What a copier changes without
//! changing the program is gone — comments (and Python docstrings),
//! whitespace and blank lines, C's preprocessor lines, and the names: every
//! identifier that is not a keyword is `V`, every string literal `S`, every
//! number `N`. What stays is the program's shape: keywords, operators,
//! brackets and, for Python, where lines and blocks begin and end (`NL`,
//! `IN`, `DE`), since indentation is its syntax.
//!
//! These are lexers, not parsers: they never fail. Text that is no valid
//! program (a stray quote, an unclosed comment) still gives tokens up to
//! where the file ends, which is what a comparison needs.

/// The languages read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Python,
    /// C and C++ (headers too): one lexer serves both.
    C,
}

impl Lang {
    /// The language of a file, by its extension; `None` for a file the
    /// similarity check does not read.
    pub fn of(path: &str) -> Option<Lang> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "py" => Some(Lang::Python),
            "c" | "h" | "cc" | "cpp" | "cxx" | "c++" | "hh" | "hpp" | "hxx" => Some(Lang::C),
            _ => None,
        }
    }
}

/// A normalised token and the line (1-based) where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: &'static str,
    pub line: u32,
}

/// The tokens of `source` in `lang`.
pub fn tokens(source: &str, lang: Lang) -> Vec<Token> {
    match lang {
        Lang::Python => python(source),
        Lang::C => c_family(source),
    }
}

const PY_KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

const C_KEYWORDS: [&str; 76] = [
    "alignas",
    "alignof",
    "auto",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "constexpr",
    "const_cast",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "nullptr",
    "operator",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
    "restrict",
    "_Bool",
    "size_t",
    "NULL",
    "override",
    "final",
    "co_await",
    "co_return",
];

/// The keyword `word` as a `'static` token text, or `V` for a name.
fn word_token(word: &str, keywords: &[&'static str]) -> &'static str {
    keywords
        .iter()
        .find(|k| **k == word)
        .copied()
        .unwrap_or("V")
}

/// Every ASCII punctuation character as a token of its own (`+=` is `+`
/// then `=` on both sides of a comparison, so nothing is lost).
fn punct_token(c: char) -> Option<&'static str> {
    const PUNCT: &str = "!%&()*+,-./:;<=>?@[]^{|}~$\\";
    let i = PUNCT.find(c)?;
    Some(&PUNCT[i..i + 1])
}

fn is_word_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// A cursor over a source's characters that counts lines.
struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    rest: &'a str,
    line: u32,
}

impl<'a> Cursor<'a> {
    fn new(source: &'a str) -> Cursor<'a> {
        Cursor {
            chars: source.chars().peekable(),
            rest: source,
            line: 1,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.rest.starts_with(s)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        self.rest = &self.rest[c.len_utf8()..];
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.bump();
        }
    }

    /// Skips to the end of the line (the newline stays).
    fn skip_line(&mut self) {
        while self.peek().is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|c| f(*c)) {
            out.push(c);
            self.bump();
        }
        out
    }

    /// Skips a quoted literal whose opening `quote` (one or three
    /// characters) was just consumed; a backslash escapes the next
    /// character. An unclosed literal ends with the line (single quotes)
    /// or the file.
    fn skip_quoted(&mut self, quote: &str, ends_at_newline: bool) {
        while let Some(c) = self.peek() {
            if self.starts_with(quote) {
                self.skip(quote.chars().count());
                return;
            }
            if c == '\n' && ends_at_newline {
                return;
            }
            self.bump();
            if c == '\\' {
                self.bump();
            }
        }
    }

    /// Skips a number: digits, letters (hex, suffixes), `_`, `.`, and a
    /// sign right after an exponent.
    fn skip_number(&mut self) {
        let mut last = ' ';
        while let Some(c) = self.peek() {
            let exponent_sign = (c == '+' || c == '-') && matches!(last, 'e' | 'E' | 'p' | 'P');
            if !(is_word(c) || c == '.' || c == '\'' || exponent_sign) {
                break;
            }
            last = c;
            self.bump();
        }
    }
}

/// Python: logical lines and indentation as tokens; a docstring (a string
/// that is a statement on its own) is a comment.
fn python(source: &str) -> Vec<Token> {
    let mut lexer = PyLexer {
        out: Vec::new(),
        line: Vec::new(),
        indents: vec![0],
        depth: 0,
    };
    let mut cur = Cursor::new(source);
    let mut at_line_start = true;
    while cur.peek().is_some() {
        if at_line_start && lexer.depth == 0 {
            at_line_start = false;
            if lexer.indentation(&mut cur) {
                continue;
            }
        }
        let Some(c) = cur.peek() else { break };
        match c {
            '\n' => {
                cur.bump();
                if lexer.depth == 0 {
                    lexer.end_line(cur.line - 1);
                    at_line_start = true;
                }
            }
            '#' => cur.skip_line(),
            '\\' if cur.rest[1..].starts_with('\n') => cur.skip(2),
            c if c.is_whitespace() => {
                cur.bump();
            }
            c if c.is_ascii_digit() || (c == '.' && next_is_digit(cur.rest)) => {
                let line = cur.line;
                cur.skip_number();
                lexer.push("N", line);
            }
            c if is_word_start(c) => lexer.word(&mut cur),
            '\'' | '"' => {
                let line = cur.line;
                py_string(&mut cur);
                lexer.push("S", line);
            }
            c => {
                let line = cur.line;
                cur.bump();
                match c {
                    '(' | '[' | '{' => lexer.depth += 1,
                    ')' | ']' | '}' => lexer.depth = lexer.depth.saturating_sub(1),
                    _ => {}
                }
                if let Some(t) = punct_token(c) {
                    lexer.push(t, line);
                }
            }
        }
    }
    lexer.end_line(cur.line);
    let last = cur.line;
    for _ in 1..lexer.indents.len() {
        lexer.out.push(Token {
            text: "DE",
            line: last,
        });
    }
    lexer.out
}

fn next_is_digit(rest: &str) -> bool {
    rest[1..].starts_with(|c: char| c.is_ascii_digit())
}

/// Skips a Python string literal at the cursor (its quote is next).
fn py_string(cur: &mut Cursor) {
    for quote in ["\"\"\"", "'''"] {
        if cur.starts_with(quote) {
            cur.skip(3);
            cur.skip_quoted(quote, false);
            return;
        }
    }
    let quote = if cur.starts_with("\"") { "\"" } else { "'" };
    cur.skip(1);
    cur.skip_quoted(quote, true);
}

struct PyLexer {
    out: Vec<Token>,
    /// The tokens of the logical line being read.
    line: Vec<Token>,
    indents: Vec<usize>,
    /// Open brackets: inside them, a newline does not end the line.
    depth: usize,
}

impl PyLexer {
    fn push(&mut self, text: &'static str, line: u32) {
        self.line.push(Token { text, line });
    }

    /// A name, keyword or a string with a prefix (`f"…"`, `rb'…'`).
    fn word(&mut self, cur: &mut Cursor) {
        let line = cur.line;
        let word = cur.take_while(is_word);
        let prefix = word.len() <= 2
            && word
                .chars()
                .all(|c| matches!(c.to_ascii_lowercase(), 'r' | 'b' | 'u' | 'f'));
        if prefix && matches!(cur.peek(), Some('\'' | '"')) {
            py_string(cur);
            self.push("S", line);
        } else {
            self.push(word_token(&word, &PY_KEYWORDS), line);
        }
    }

    /// Reads a line's indentation; `true` when the line holds no code (blank
    /// or a comment), so that it changes no block.
    fn indentation(&mut self, cur: &mut Cursor) -> bool {
        let mut width = 0;
        while let Some(c) = cur.peek() {
            match c {
                ' ' => width += 1,
                '\t' => width = (width / 8 + 1) * 8,
                '\x0c' => width = 0,
                _ => break,
            }
            cur.bump();
        }
        if matches!(cur.peek(), None | Some('\n' | '#' | '\r')) {
            return true;
        }
        let line = cur.line;
        let top = *self.indents.last().expect("the base level stays");
        if width > top {
            self.indents.push(width);
            self.out.push(Token { text: "IN", line });
        }
        while width < *self.indents.last().expect("the base level stays") && self.indents.len() > 1
        {
            self.indents.pop();
            self.out.push(Token { text: "DE", line });
        }
        false
    }

    /// Ends a logical line: its tokens and `NL`, unless it is only a string
    /// (a docstring, or a string said and dropped: a comment either way).
    fn end_line(&mut self, line: u32) {
        let tokens = std::mem::take(&mut self.line);
        if tokens.is_empty() || (tokens.len() == 1 && tokens[0].text == "S") {
            return;
        }
        self.out.extend(tokens);
        self.out.push(Token { text: "NL", line });
    }
}

/// C and C++: free-form, so no line tokens; preprocessor lines dropped.
fn c_family(source: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut cur = Cursor::new(source);
    let mut line_has_code = false;
    while let Some(c) = cur.peek() {
        let line = cur.line;
        if cur.starts_with("//") {
            skip_c_line(&mut cur);
            continue;
        }
        if cur.starts_with("/*") {
            cur.skip(2);
            while cur.peek().is_some() && !cur.starts_with("*/") {
                cur.bump();
            }
            cur.skip(2);
            continue;
        }
        match c {
            '\n' => {
                cur.bump();
                line_has_code = false;
                continue;
            }
            '#' if !line_has_code => {
                skip_c_line(&mut cur);
                continue;
            }
            c if c.is_whitespace() => {
                cur.bump();
                continue;
            }
            _ => line_has_code = true,
        }
        let text = match c {
            c if c.is_ascii_digit() || (c == '.' && next_is_digit(cur.rest)) => {
                cur.skip_number();
                "N"
            }
            c if is_word_start(c) => c_word(&mut cur),
            '"' | '\'' => {
                cur.bump();
                cur.skip_quoted(if c == '"' { "\"" } else { "'" }, true);
                "S"
            }
            c => {
                cur.bump();
                match punct_token(c) {
                    Some(t) => t,
                    None => continue,
                }
            }
        };
        out.push(Token { text, line });
    }
    out
}

/// Skips a line comment or a preprocessor line, with its `\` continuations.
fn skip_c_line(cur: &mut Cursor) {
    loop {
        let mut last = ' ';
        while let Some(c) = cur.peek().filter(|c| *c != '\n') {
            if !c.is_whitespace() {
                last = c;
            }
            cur.bump();
        }
        if last != '\\' || cur.peek().is_none() {
            return;
        }
        cur.bump();
    }
}

/// A C/C++ name or keyword, or a string with a prefix (`L"…"`, `u8"…"`,
/// raw `R"d(…)d"`).
fn c_word(cur: &mut Cursor) -> &'static str {
    let word = cur.take_while(is_word);
    let prefixes = ["L", "u", "U", "u8"];
    if cur.peek() == Some('"') {
        if word.ends_with('R')
            && prefixes
                .iter()
                .any(|p| word == format!("{p}R") || word == "R")
        {
            raw_string(cur);
            return "S";
        }
        if prefixes.contains(&word.as_str()) {
            cur.bump();
            cur.skip_quoted("\"", true);
            return "S";
        }
    }
    if cur.peek() == Some('\'') && prefixes.contains(&word.as_str()) {
        cur.bump();
        cur.skip_quoted("'", true);
        return "S";
    }
    word_token(&word, &C_KEYWORDS)
}

/// Skips a raw string `"delim( … )delim"` (its `R` was read).
fn raw_string(cur: &mut Cursor) {
    cur.bump();
    let delim = cur.take_while(|c| c != '(' && c != '\n' && c != '"');
    let end = format!("){delim}\"");
    while cur.peek().is_some() && !cur.starts_with(&end) {
        cur.bump();
    }
    cur.skip(end.chars().count());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str, lang: Lang) -> String {
        tokens(source, lang)
            .iter()
            .map(|t| t.text)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn python_names_strings_numbers_and_comments_are_normalised_away() {
        let a = "# header\nimport socket\n\ndef get(conn, letter):\n    \"\"\"Doc.\"\"\"\n    data = conn.recv(1024)  # read\n    return data\n";
        let b = "import socket\ndef fetch(s, which):\n        '''other doc'''\n\n        msg = s.recv(4096)\n        return msg\n";
        assert_eq!(texts(a, Lang::Python), texts(b, Lang::Python));
        assert_eq!(
            texts(a, Lang::Python),
            "import V NL def V ( V , V ) : NL IN V = V . V ( N ) NL return V NL DE"
        );
    }

    #[test]
    fn python_brackets_and_backslashes_continue_a_line_and_prefixed_strings_are_strings() {
        assert_eq!(
            texts(
                "x = f(1,\n      2) \\\n  + rb'a\\'b'\nprint(f\"{x}\")\n",
                Lang::Python
            ),
            "V = V ( N , N ) + S NL V ( S ) NL"
        );
        // A string that is a statement of its own is a comment; one that
        // is used is a string.
        assert_eq!(
            texts("'''module doc'''\ns = 'used'\n", Lang::Python),
            "V = S NL"
        );
    }

    #[test]
    fn python_blocks_open_and_close() {
        assert_eq!(
            texts(
                "if a:\n    if b:\n        c()\n    # note\nd()\n",
                Lang::Python
            ),
            "if V : NL IN if V : NL IN V ( ) NL DE DE V ( ) NL"
        );
    }

    #[test]
    fn c_comments_preprocessor_and_names_are_normalised_away() {
        let a = "#include <stdio.h>\n#define PORT \\\n 12000\n/* a\n comment */ int main(void) { // go\n  char buf[1024]; printf(\"%s\\n\", buf); return 0; }\n";
        let b = "int start(void)\n{\n    char data[64];\n    puts(L\"x\"); return 1;\n}\n";
        let want = "int V ( void ) { char V [ N ] ; V ( S , V ) ; return N ; }";
        assert_eq!(texts(a, Lang::C), want);
        assert_eq!(
            texts(b, Lang::C),
            "int V ( void ) { char V [ N ] ; V ( S ) ; return N ; }"
        );
        assert_eq!(
            texts("auto s = R\"x(a \" b)x\"; char c = '\\'';", Lang::C),
            "auto V = S ; char V = S ;"
        );
    }

    #[test]
    fn lines_are_where_tokens_start_and_broken_text_never_fails() {
        let t = tokens("a = 1\n\n\nb = '''x\ny'''\n", Lang::Python);
        let lines: Vec<u32> = t.iter().map(|t| t.line).collect();
        assert_eq!(lines, [1, 1, 1, 1, 4, 4, 4, 5]);
        for broken in [
            "s = 'open\nx = (",
            "\"\"\"never closed",
            "/* open",
            "\"open\nint x;",
        ] {
            let _ = tokens(broken, Lang::Python);
            let _ = tokens(broken, Lang::C);
        }
        assert_eq!(Lang::of("a/server.PY"), Some(Lang::Python));
        assert_eq!(Lang::of("x.hpp"), Some(Lang::C));
        assert_eq!(Lang::of("README.md"), None);
    }
}
