//! The seed's twelve grading items, and how the checks of a student's runs
//! decide them.
//!
//! A fault is charged to the program that has it: the items about the
//! server (3–8, and the server's half of 9) are judged from the runs of the
//! student's server with our clients; the items about the clients (1, 2,
//! and the clients' half of 9) from the runs of our server with the
//! student's clients. The runs of the student's pair as handed in are shown
//! in the report, and stand for item 10 (the programs ran on Mininet).
//! Items 11 and 12 are a person's to judge (`review`): the evidence (the
//! comment at the top of the server, the files) is quoted for them.
//!
//! A check that passed only by reading past a slip of the seed's strings
//! (`Client X Connected`, `recieved`) passes, with its note; under
//! `--strict` it fails — except for item 4, which is about *which* letter
//! each client got, not how it was written.

use serde::{Deserialize, Serialize};

/// One item of the seed's rubric.
pub struct Item {
    pub number: u8,
    /// Whose item it is: `client`, `server`, `both`, `pair`, `source`.
    pub whose: &'static str,
    pub title: &'static str,
}

/// The seed's twelve items (points come from the grading config).
pub const ITEMS: [Item; 12] = [
    Item {
        number: 1,
        whose: "client",
        title: "Uses TCP sockets: the client establishes a connection first",
    },
    Item {
        number: 2,
        whose: "client",
        title: "Clients send their connection requests one at a time",
    },
    Item {
        number: 3,
        whose: "server",
        title: "The server accepts both connections before receiving a message",
    },
    Item {
        number: 4,
        whose: "server",
        title: "The first client to connect is X, the second Y",
    },
    Item {
        number: 5,
        whose: "server",
        title: "Once both are connected, the server greets each: \"Client X connected\"",
    },
    Item {
        number: 6,
        whose: "server",
        title: "The server receives both messages, in any order, and establishes the first",
    },
    Item {
        number: 7,
        whose: "server",
        title: "The server sends both the acknowledgement: \"X: … received before Y: …\"",
    },
    Item {
        number: 8,
        whose: "server",
        title: "The acknowledgement follows arrival order, not connect order",
    },
    Item {
        number: 9,
        whose: "both",
        title: "Each program prints the messages it received",
    },
    Item {
        number: 10,
        whose: "pair",
        title: "The programs run on Mininet",
    },
    Item {
        number: 11,
        whose: "source",
        title: "A comment at the top of the server explains why multithreading is needed",
    },
    Item {
        number: 12,
        whose: "source",
        title: "The programs are readable and documented; the files are in order",
    },
];

/// A cell of the gradebook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    Pass,
    Fail,
    Review,
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Cell {
    pub fn word(self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail => "fail",
            Cell::Review => "review",
            Cell::NotApplicable => "n/a",
        }
    }
}

/// What a cell rests on: a verdict of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The run, as the gradebook names it: `server / case2`.
    pub run: String,
    /// Its run directory, relative to the grade's directory.
    pub dir: Option<String>,
    pub check: String,
    pub expected: String,
    pub observed: String,
    pub note: Option<String>,
}

/// One item of one student.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item: u8,
    pub cell: Cell,
    pub points: f64,
    pub max_points: f64,
    /// Why, in words (always for `fail` and `review`).
    pub why: String,
    pub evidence: Vec<Evidence>,
    /// A passed item's notes (slips read past, a server that kept serving).
    pub notes: Vec<String>,
}

/// What a person needs for items 11 and 12, read from the submission.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceEvidence {
    /// The comment at the top of the server (its first comment block or
    /// docstring), as written; `None` when there is none.
    pub server_comment: Option<String>,
    /// Every file of the submission: path, lines, comment lines.
    pub files: Vec<FileFacts>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    pub path: String,
    pub lines: usize,
    pub comment_lines: usize,
}

impl SourceEvidence {
    pub fn item11(&self, max: f64) -> ItemResult {
        let why = match &self.server_comment {
            Some(_) => "a person reads the comment at the top of the server (quoted in the report)".to_string(),
            None => "there is no comment at the top of the server: the evidence this item asks for is missing".to_string(),
        };
        review(11, max, why)
    }

    pub fn item12(&self, max: f64) -> ItemResult {
        let commented: usize = self.files.iter().map(|f| f.comment_lines).sum();
        let lines: usize = self.files.iter().map(|f| f.lines).sum();
        review(
            12,
            max,
            format!(
                "a person reads the programs: {} file{}, {lines} lines, {commented} of them comments (listed in the report)",
                self.files.len(),
                if self.files.len() == 1 { "" } else { "s" }
            ),
        )
    }
}

pub fn review(item: u8, max: f64, why: String) -> ItemResult {
    ItemResult {
        item,
        cell: Cell::Review,
        points: 0.0,
        max_points: max,
        why,
        evidence: Vec::new(),
        notes: Vec::new(),
    }
}
