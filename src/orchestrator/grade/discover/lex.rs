//! Views of a program's text a reader needs: the code without its comments
//! (string literals kept), the code alone (string contents blanked too),
//! the string literals, and the characters the compiler refuses in code.
//!
//! Not a tokenizer of either language, only as much of one as tells code
//! from comments and strings: `#` comments and `'` `"` `'''` `"""` strings
//! (with prefixes and backslash escapes) in Python; `//` and `/* */`
//! comments, `"` strings and `'` characters in C and C++. Blanked text is
//! replaced by spaces, newlines kept, so that line numbers still hold.

/// Which lexical rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Syntax {
    Python,
    C,
}

/// A character the compiler refuses where it stands (outside strings and
/// comments), with its 1-based line and column (in characters, as Python
/// counts them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Refused {
    pub line: usize,
    pub col: usize,
    pub ch: char,
}

/// The views of one text.
#[derive(Debug, Default)]
pub(super) struct Lexed {
    /// Comments blanked; strings as written.
    pub no_comments: String,
    /// Comments and the inside of strings blanked: the code alone.
    pub code: String,
    /// The contents of the string literals, in order.
    pub strings: Vec<String>,
    /// The contents of the comments, in order.
    pub comments: Vec<String>,
    pub refused: Vec<Refused>,
}

/// Where the lexer is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    /// A line comment (`#`, `//`) up to the newline.
    LineComment,
    /// A C block comment up to `*/`.
    BlockComment,
    /// A string closed by `quote` (three of them when `triple`).
    Str {
        quote: char,
        triple: bool,
    },
}

struct Lexer {
    syntax: Syntax,
    out: Lexed,
    state: State,
    line: usize,
    col: usize,
    /// The literal or comment being read.
    current: String,
}

/// The views of `text`.
pub(super) fn lex(text: &str, syntax: Syntax) -> Lexed {
    let mut lx = Lexer {
        syntax,
        out: Lexed::default(),
        state: State::Code,
        line: 1,
        col: 0,
        current: String::new(),
    };
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        i += lx.step(&chars, i);
    }
    lx.finish();
    lx.out
}

impl Lexer {
    /// Reads what starts at `chars[i]`; returns how many characters it took.
    fn step(&mut self, chars: &[char], i: usize) -> usize {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match self.state {
            State::Code => self.code_char(chars, i),
            State::LineComment if c == '\n' => {
                self.end_comment();
                self.emit(c, Kind::Code);
                1
            }
            State::LineComment => {
                self.current.push(c);
                self.emit(c, Kind::Comment);
                1
            }
            State::BlockComment if c == '*' && next == Some('/') => {
                self.end_comment();
                self.emit(c, Kind::Comment);
                self.emit('/', Kind::Comment);
                2
            }
            State::BlockComment => {
                self.current.push(c);
                self.emit(c, Kind::Comment);
                1
            }
            State::Str { quote, triple } => self.string_char(chars, i, quote, triple),
        }
    }

    fn code_char(&mut self, chars: &[char], i: usize) -> usize {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let python = self.syntax == Syntax::Python;
        if python && c == '#' {
            self.state = State::LineComment;
        } else if !python && c == '/' && matches!(next, Some('/' | '*')) {
            self.state = if next == Some('/') {
                State::LineComment
            } else {
                State::BlockComment
            };
            self.emit(c, Kind::Comment);
            self.emit(next.unwrap_or(c), Kind::Comment);
            return 2;
        } else if c == '"' || c == '\'' {
            let triple = python && chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c);
            self.state = State::Str { quote: c, triple };
            let n = if triple { 3 } else { 1 };
            for _ in 0..n {
                self.emit(c, Kind::Delimiter);
            }
            return n;
        }
        let kind = if self.state == State::LineComment {
            Kind::Comment
        } else {
            Kind::Code
        };
        self.emit(c, kind);
        1
    }

    fn string_char(&mut self, chars: &[char], i: usize, quote: char, triple: bool) -> usize {
        let c = chars[i];
        if c == '\\' {
            // An escape: the next character never ends the string.
            let taken = if i + 1 < chars.len() { 2 } else { 1 };
            for &e in &chars[i..i + taken] {
                self.current.push(e);
                self.emit(e, Kind::StringBody);
            }
            return taken;
        }
        let closes = c == quote
            && (!triple || (chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote)));
        // A one-line string left open ends at the line's end (a program
        // with that slip does not run anyway; the rest is still read).
        if closes || (c == '\n' && !triple) {
            self.out.strings.push(std::mem::take(&mut self.current));
            self.state = State::Code;
            let n = if closes && triple { 3 } else { 1 };
            let kind = if closes { Kind::Delimiter } else { Kind::Code };
            for _ in 0..n {
                self.emit(c, kind);
            }
            return n;
        }
        self.current.push(c);
        self.emit(c, Kind::StringBody);
        1
    }

    fn end_comment(&mut self) {
        self.out.comments.push(std::mem::take(&mut self.current));
        self.state = State::Code;
    }

    fn finish(&mut self) {
        match self.state {
            State::Code => {}
            State::LineComment | State::BlockComment => self.end_comment(),
            State::Str { .. } => self.out.strings.push(std::mem::take(&mut self.current)),
        }
    }

    /// Writes `c` into the views as what it is, and moves the position.
    fn emit(&mut self, c: char, kind: Kind) {
        if c == '\n' {
            self.line += 1;
            self.col = 0;
            self.out.no_comments.push('\n');
            self.out.code.push('\n');
            return;
        }
        self.col += 1;
        let blank = |keep: bool| if keep { c } else { ' ' };
        self.out
            .no_comments
            .push(blank(kind != Kind::Comment || c == '\t'));
        self.out.code.push(blank(
            matches!(kind, Kind::Code | Kind::Delimiter) || c == '\t',
        ));
        let at_bom = self.line == 1 && self.col == 1 && c == '\u{feff}';
        if kind == Kind::Code && refused(c) && !at_bom {
            self.out.refused.push(Refused {
                line: self.line,
                col: self.col,
                ch: c,
            });
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Code,
    Delimiter,
    StringBody,
    Comment,
}

/// Whether `c` may not stand in code: anything outside ASCII that is not a
/// letter or digit (Python accepts only those in identifiers; GCC calls the
/// rest "stray").
fn refused(c: char) -> bool {
    !c.is_ascii() && !c.is_alphanumeric()
}

/// `a U+200B zero-width space` — what a person is told about `c`.
pub(super) fn describe_char(c: char) -> String {
    let name = match c {
        '\u{200b}' => "zero-width space",
        '\u{200c}' => "zero-width non-joiner",
        '\u{200d}' => "zero-width joiner",
        '\u{2060}' => "word joiner",
        '\u{feff}' => "zero-width no-break space (a byte-order mark)",
        '\u{00a0}' => "no-break space",
        '\u{202f}' => "narrow no-break space",
        '\u{3000}' => "ideographic space",
        '\u{00ad}' => "soft hyphen",
        '\u{2018}' | '\u{2019}' => "curly single quote",
        '\u{201c}' | '\u{201d}' => "curly double quote",
        '\u{2013}' => "en dash",
        '\u{2014}' => "em dash",
        '\u{2026}' => "ellipsis",
        _ => "",
    };
    let code = format!("U+{:04X}", c as u32);
    if name.is_empty() {
        format!("a {code} character")
    } else {
        format!("a {code} {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_comments_and_strings_are_told_from_code() {
        let text = "s.bind(('', 12000))  # s.connect( in a comment\nm = \"\"\"a # not a comment\ns.accept(\"\"\"\nt = 'it\\'s'\n";
        let l = lex(text, Syntax::Python);
        assert!(l.no_comments.contains(".bind("));
        assert!(!l.no_comments.contains(".connect("));
        assert!(l.no_comments.contains("s.accept("), "strings are kept");
        assert!(!l.code.contains("accept"), "but not in the code alone");
        assert_eq!(l.strings, ["", "a # not a comment\ns.accept(", "it\\'s"]);
        assert_eq!(l.comments, [" s.connect( in a comment"]);
        assert_eq!(l.code.lines().count(), text.lines().count());
    }

    #[test]
    fn c_comments_and_strings_are_told_from_code() {
        let text = "/* bind( */ int main() { // listen(\n  printf(\"accept(\\\"%c\", '\"');\n}\n";
        let l = lex(text, Syntax::C);
        assert!(!l.no_comments.contains("bind(") && !l.no_comments.contains("listen("));
        assert!(l.no_comments.contains("printf(\"accept("));
        assert!(!l.code.contains("accept"));
        assert_eq!(l.strings, ["accept(\\\"%c", "\""]);
    }

    #[test]
    fn refused_characters_are_found_in_code_only_with_their_position() {
        let text = "x = 1\nif x:\n    y\u{200b} = 2  # \u{200b} in a comment\nprint(\u{201c}hi\u{201d}, '\u{200b}')\n";
        let l = lex(text, Syntax::Python);
        let at: Vec<_> = l.refused.iter().map(|r| (r.line, r.col, r.ch)).collect();
        assert_eq!(
            at,
            [(3, 6, '\u{200b}'), (4, 7, '\u{201c}'), (4, 10, '\u{201d}')]
        );
        assert!(lex("\u{feff}x = 1\n", Syntax::Python).refused.is_empty());
        assert!(lex("naïve = 'é'\n", Syntax::Python).refused.is_empty());
        assert_eq!(describe_char('\u{200b}'), "a U+200B zero-width space");
    }
}
