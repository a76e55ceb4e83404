use super::*;

use Deviation::*;

fn p(s: &str) -> Deviation {
    Prefix(s.into())
}
fn punct(s: &str) -> Deviation {
    Punctuation(s.into())
}

/// Greetings as servers really send them: (message, letter, deviations).
const GREETINGS: &[(&str, Letter, &[Deviation])] = &[
    ("Client X connected", Letter::X, &[]),
    ("Client Y connected\n", Letter::Y, &[]),
    ("Client X Connected", Letter::X, &[Case]),
    ("client y connected", Letter::Y, &[Case]),
    ("CLIENT X CONNECTED", Letter::X, &[Case]),
    ("Client x connected", Letter::X, &[Case]),
    ("Client  X connected", Letter::X, &[Spacing]),
    ("ClientX connected", Letter::X, &[Spacing]),
    ("Client X\tconnected", Letter::X, &[Spacing]),
    (
        "Client X connected.",
        Letter::X,
        &[Punctuation(String::new())],
    ),
    (
        "Client Y connected!",
        Letter::Y,
        &[Punctuation(String::new())],
    ),
    ("\"Client X connected\"", Letter::X, &[Quotes]),
    ("'Client Y connected'", Letter::Y, &[Quotes]),
    (
        "\"Client X connected.\"",
        Letter::X,
        &[Quotes, Punctuation(String::new())],
    ),
    (
        "Client X connected, waiting for Y",
        Letter::X,
        &[Suffix(String::new())],
    ),
];

/// The kinds of deviations, without the text of `Prefix`,
/// `Punctuation` and `Suffix`, so that the tables need not repeat it.
fn kinds(d: &[Deviation]) -> Vec<std::mem::Discriminant<Deviation>> {
    d.iter().map(std::mem::discriminant).collect()
}

#[test]
fn greetings_of_the_real_world_are_read_with_how_they_differ() {
    for (text, letter, want) in GREETINGS {
        let r = read_greeting(text, Framing::Message)
            .unwrap_or_else(|| panic!("{text:?} should be read"));
        assert_eq!(r.value, *letter, "{text:?}");
        assert_eq!(
            kinds(&r.deviations),
            kinds(want),
            "{text:?}: {:?}",
            r.deviations
        );
    }
    let r = read_greeting("Client X connected!!", Framing::Message).unwrap();
    assert_eq!(r.deviations, vec![punct("!!")]);
    let r = read_greeting("From Server: Client Y connected", Framing::Message).unwrap();
    assert_eq!(r.deviations, vec![p("From Server:")]);
    let r = read_greeting("Server says: \"Client X connected\"", Framing::Message).unwrap();
    assert_eq!(r.deviations, vec![Quotes, p("Server says:")]);
    assert_eq!(r.text, "Server says: \"Client X connected\"");
    let r = read_greeting("Client Y has connected.", Framing::Message).unwrap();
    assert_eq!(r.value, Letter::Y);
    assert_eq!(
        r.deviations,
        vec![Deviation::Inserted("has".into()), punct(".")]
    );
    let r = read_greeting("client x is connected", Framing::Printed).unwrap();
    assert_eq!(r.deviations, vec![Case, Deviation::Inserted("is".into())]);
    assert_eq!(
        Deviation::Inserted("has".into()).to_string(),
        "`has` inside it"
    );
}

#[test]
fn in_a_printed_line_only_the_greeting_itself_is_judged() {
    // The client's own label, quotes of a printed bytes object, its
    // punctuation: all its business.
    for line in [
        "From Server: Client X connected",
        "Received from server: b'Client X connected'",
        "Client X connected.",
        "[client] Client X connected to 10.0.0.1",
    ] {
        let r = read_greeting(line, Framing::Printed).unwrap();
        assert_eq!((r.value, r.is_exact()), (Letter::X, true), "{line:?}");
        assert_eq!(r.text, "Client X connected");
    }
    let r = read_greeting("From Server: Client X Connected", Framing::Printed).unwrap();
    assert_eq!(r.deviations, vec![Case]);
}

#[test]
fn what_is_not_a_greeting() {
    for text in [
        "Client Z connected",
        "Client XY connected",
        "Client X disconnected",
        "Client X was connected",
        "Client X has disconnected",
        "Client connected",
        "X connected",
        "Connected: Client X",
        "server busy",
        "Welcome, client 1",
        "",
    ] {
        assert_eq!(read_greeting(text, Framing::Message), None, "{text:?}");
        assert_eq!(parse_greeting(text), None, "{text:?}");
    }
}

/// Acks as servers really send them: (message, ack line it means,
/// deviations).
const ACKS: &[(&str, &str, &[Deviation])] = &[
    (
        "Y: Bob received before X: Alice",
        "Y: Bob received before X: Alice",
        &[],
    ),
    (
        "Y: Bob recieved before X: Alice",
        "Y: Bob received before X: Alice",
        &[Recieved],
    ),
    (
        "y: Bob received before x: Alice",
        "Y: Bob received before X: Alice",
        &[Case],
    ),
    (
        "X: Alice Received Before Y: Bob",
        "X: Alice received before Y: Bob",
        &[Case],
    ),
    (
        "X: Alice RECIEVED BEFORE Y: Bob",
        "X: Alice received before Y: Bob",
        &[Case, Recieved],
    ),
    (
        "X:Alice received before Y:Bob",
        "X: Alice received before Y: Bob",
        &[Spacing],
    ),
    (
        "X : Alice  received before  Y : Bob",
        "X: Alice received before Y: Bob",
        &[Spacing],
    ),
    (
        "Client Y: Bob received before Client X: Alice",
        "Y: Bob received before X: Alice",
        &[ClientInAck],
    ),
    (
        "Client X: Alice recieved before Client Y: Bob",
        "X: Alice received before Y: Bob",
        &[Recieved, ClientInAck],
    ),
    (
        "\"X: Alice received before Y: Bob\"",
        "X: Alice received before Y: Bob",
        &[Quotes],
    ),
    (
        "From Server: X: Alice received before Y: Bob",
        "X: Alice received before Y: Bob",
        &[Prefix(String::new())],
    ),
    (
        "Server says: 'Y: Bob received before X: Alice'",
        "Y: Bob received before X: Alice",
        &[Quotes, Prefix(String::new())],
    ),
    // Punctuation after the ack stays in the second name: names judge it.
    (
        "X: Alice received before Y: Bob.",
        "X: Alice received before Y: Bob.",
        &[],
    ),
    (
        "Y: Zoë received before X: Bob Marley",
        "Y: Zoë received before X: Bob Marley",
        &[],
    ),
];

#[test]
fn acks_of_the_real_world_are_read_with_how_they_differ() {
    for (text, line, want) in ACKS {
        let r =
            read_ack(text, Framing::Message).unwrap_or_else(|| panic!("{text:?} should be read"));
        assert_eq!(r.value.line(), *line, "{text:?}");
        assert_eq!(
            kinds(&r.deviations),
            kinds(want),
            "{text:?}: {:?}",
            r.deviations
        );
    }
    let r = read_ack(
        "Server says: 'Y: Bob received before X: Alice'",
        Framing::Message,
    )
    .unwrap();
    assert_eq!(r.deviations, vec![Quotes, p("Server says:")]);
}

#[test]
fn in_a_printed_line_the_label_and_quotes_are_the_printers() {
    for line in [
        "From Server: X: Alice received before Y: Bob",
        "Reply: b'X: Alice received before Y: Bob'",
        "Sent to X: X: Alice received before Y: Bob",
        "Acknowledgment: X: Alice received before Y: Bob",
    ] {
        let r = read_ack(line, Framing::Printed).unwrap();
        assert!(r.is_exact(), "{line:?}: {:?}", r.deviations);
        assert_eq!(
            r.value.line(),
            "X: Alice received before Y: Bob",
            "{line:?}"
        );
        assert_eq!(r.text, "X: Alice received before Y: Bob", "{line:?}");
    }
    let r = read_ack(
        "From Server: Client Y: Bob recieved before Client X: Alice",
        Framing::Printed,
    )
    .unwrap();
    assert_eq!(r.deviations, vec![Recieved, ClientInAck]);
    assert_eq!(r.text, "Client Y: Bob recieved before Client X: Alice");
}

#[test]
fn what_is_not_an_ack() {
    for text in [
        "X: Alice received before X: Bob",
        "Y: Alice recieved before y: Bob",
        "X: Alice received after Y: Bob",
        "Alice received before Bob",
        "X: Alice recived before Y: Bob",
        "X: Alice received before Z: Bob",
        "X - Alice received before Y - Bob",
        "X: received before Y: Bob",
        "X: Alice received before Y:",
        "Client X connected",
        "Sent acknowledgment to both X and Y",
    ] {
        assert_eq!(read_ack(text, Framing::Message), None, "{text:?}");
        assert_eq!(parse_ack(text), None, "{text:?}");
    }
}

#[test]
fn the_sent_line_and_its_slips() {
    let cases: &[(&str, &[Deviation])] = &[
        ("Sent acknowledgment to both X and Y", &[]),
        ("Sent acknowledgement to both X and Y", &[Acknowledgement]),
        (
            "Sent Acknowledgement to both X and Y",
            &[Case, Acknowledgement],
        ),
        ("sent acknowledgment to both x and y", &[Case]),
        ("Sent acknowledgment  to both X and Y", &[Spacing]),
        (
            "Sent acknowledgment to both X and Y.",
            &[Punctuation(String::new())],
        ),
        (
            "Server: Sent acknowledgment to both X and Y",
            &[Prefix(String::new())],
        ),
    ];
    for (text, want) in cases {
        let r = read_sent_ack(text, Framing::Message)
            .unwrap_or_else(|| panic!("{text:?} should be read"));
        assert_eq!(
            kinds(&r.deviations),
            kinds(want),
            "{text:?}: {:?}",
            r.deviations
        );
    }
    // Printed: the program's own words around it are fine.
    let r = read_sent_ack(
        "[server] Sent acknowledgment to both X and Y.",
        Framing::Printed,
    )
    .unwrap();
    assert!(r.is_exact());
    for text in [
        "Sent acknowledgment to both clients",
        "Sent acknowledgment to both Y and X",
        "Sent acknowledgments to both X and Y",
        "Sent ack to both X and Y",
        "Acknowledgment: X: Alice received before Y: Bob",
    ] {
        assert_eq!(read_sent_ack(text, Framing::Printed), None, "{text:?}");
    }
}

#[test]
fn client_messages_and_how_they_differ() {
    let cases: &[(&str, &str, Option<Letter>, &[Deviation])] = &[
        ("Client X: Alice", "Alice", Some(Letter::X), &[]),
        ("client x: Alice", "Alice", Some(Letter::X), &[Case]),
        ("Client X:Alice", "Alice", Some(Letter::X), &[Spacing]),
        ("Client X : Alice", "Alice", Some(Letter::X), &[Spacing]),
        ("X: Alice", "Alice", Some(Letter::X), &[NoClientWord]),
        ("Alice", "Alice", None, &[Bare]),
        ("\"Client Y: Bob\"", "Bob", Some(Letter::Y), &[Quotes]),
        ("Client Y: Bob Marley!", "Bob Marley!", Some(Letter::Y), &[]),
        ("Xena", "Xena", None, &[Bare]),
    ];
    for (text, name, claimed, want) in cases {
        let r = read_client_message(text).unwrap();
        assert_eq!(
            (r.value.name.as_str(), r.value.claimed),
            (*name, *claimed),
            "{text:?}"
        );
        assert_eq!(r.deviations, *want, "{text:?}");
    }
    assert_eq!(read_client_message("\"\""), Err(MessageError::Empty));
}

#[test]
fn a_servers_printed_message_is_found_exactly_or_leniently() {
    let found = |line: &str| find_client_message(line, Letter::X, "Alice").map(|r| r.deviations);
    assert_eq!(found("Arrived 1st: Client X: Alice"), Some(vec![]));
    assert_eq!(
        found("Received Client X: Alice from 10.0.0.2"),
        Some(vec![])
    );
    assert_eq!(found("client x: alice"), Some(vec![Case]));
    assert_eq!(found("Client X:Alice"), Some(vec![Spacing]));
    assert_eq!(
        found("Client X sent: Client X: 'Alice'"),
        Some(vec![Quotes])
    );
    assert_eq!(found("Client X: Bob"), None);
    assert_eq!(found("Client Y: Alice"), None);
    assert_eq!(
        found("X: Alice"),
        None,
        "`Client` is what tells a message from an ack"
    );
}

#[test]
fn names_compare_leniently_but_not_loosely() {
    assert_eq!(compare_name("Alice", "Alice"), Some(vec![]));
    assert_eq!(compare_name(" Alice ", "Alice"), Some(vec![]));
    assert_eq!(compare_name("alice", "Alice"), Some(vec![Case]));
    assert_eq!(
        compare_name("Bob  Marley", "Bob Marley"),
        Some(vec![Spacing])
    );
    assert_eq!(compare_name("Bob.", "Bob"), Some(vec![punct(".")]));
    assert_eq!(compare_name("'Bob'", "Bob"), Some(vec![Quotes]));
    assert_eq!(compare_name("Bob Jr.", "Bob Jr."), Some(vec![]));
    assert_eq!(compare_name("Zoë", "Zoë"), Some(vec![]));
    assert_eq!(compare_name("ZOË", "Zoë"), Some(vec![Case]));
    assert_eq!(compare_name("Bob", "Alice"), None);
    assert_eq!(compare_name("Bobby", "Bob"), None);
    assert_eq!(compare_name("Client X: Alice", "Alice"), None);
}

#[test]
fn a_letter_is_guessed_only_when_one_is_named() {
    assert_eq!(guess_letter("You are X"), Some(Letter::X));
    assert_eq!(guess_letter("Welcome, client Y!"), Some(Letter::Y));
    assert_eq!(guess_letter("Welcome, client 1"), None);
    assert_eq!(guess_letter("X and Y are here"), None);
    assert_eq!(guess_letter("Xavier"), None);
}

#[test]
fn deviations_read_as_words() {
    assert_eq!(
        describe(&[Case, Recieved, p("From Server:"), punct(".")]),
        "letters in another case; `recieved` for `received`; `From Server:` before it; `.` after it"
    );
    assert_eq!(punct("").to_string(), "its punctuation dropped");
}

#[test]
fn greeting_strings_are_the_seeds() {
    assert_eq!(greeting(Letter::X), "Client X connected");
    assert_eq!(greeting(Letter::Y), "Client Y connected");
    assert_eq!(client_message(Letter::X, "Alice"), "Client X: Alice");
}

#[test]
fn greeting_is_found_inside_a_labelled_line() {
    assert_eq!(
        parse_greeting("From Server: Client Y connected"),
        Some(Letter::Y)
    );
    assert_eq!(parse_greeting("Client X connected\n"), Some(Letter::X));
    assert_eq!(parse_greeting("client x connected"), Some(Letter::X));
    assert_eq!(parse_greeting("Client Z connected"), None);
    assert_eq!(parse_greeting("server busy"), None);
}

#[test]
fn all_four_ack_orders_format_and_parse_back() {
    let cases = [
        (Letter::X, "Alice", "Bob", "X: Alice received before Y: Bob"),
        (Letter::Y, "Bob", "Alice", "Y: Bob received before X: Alice"),
        (Letter::X, "Bob", "Alice", "X: Bob received before Y: Alice"),
        (Letter::Y, "Alice", "Bob", "Y: Alice received before X: Bob"),
    ];
    for (first, a, b, text) in cases {
        let ack = Ack {
            first,
            first_name: a.into(),
            second_name: b.into(),
        };
        assert_eq!(ack.line(), text);
        assert_eq!(parse_ack(text), Some(ack.clone()));
        assert_eq!(parse_ack(&format!("From Server: {text}")), Some(ack));
    }
}

#[test]
fn ack_with_spaces_and_non_ascii_names() {
    let ack = parse_ack("Y: Zoë received before X: Bob Marley").unwrap();
    assert_eq!(ack.first, Letter::Y);
    assert_eq!(ack.first_name, "Zoë");
    assert_eq!(ack.second_name, "Bob Marley");
}

#[test]
fn ack_with_equal_letters_is_not_an_ack() {
    assert_eq!(parse_ack("X: Alice received before X: Bob"), None);
    assert_eq!(parse_ack("Alice received before Bob"), None);
}

#[test]
fn client_messages_with_prefix_without_and_with_the_wrong_letter() {
    let m = parse_client_message("Client X: Alice").unwrap();
    assert_eq!((m.name.as_str(), m.claimed), ("Alice", Some(Letter::X)));
    let m = parse_client_message("  Alice  ").unwrap();
    assert_eq!((m.name.as_str(), m.claimed), ("Alice", None));
    let m = parse_client_message("Client Y: Bob Marley").unwrap();
    assert_eq!(
        (m.name.as_str(), m.claimed),
        ("Bob Marley", Some(Letter::Y))
    );
    let m = parse_client_message("Y:Zoë").unwrap();
    assert_eq!((m.name.as_str(), m.claimed), ("Zoë", Some(Letter::Y)));
    assert_eq!(parse_client_message("Client X: "), Err(MessageError::Empty));
    assert_eq!(parse_client_message("   "), Err(MessageError::Empty));
}

#[test]
fn framer_splits_lines_strips_cr_and_skips_blank_lines() {
    let mut f = Framer::new();
    assert_eq!(f.push(b"Client X: Al").unwrap(), Vec::<String>::new());
    assert!(f.has_partial());
    assert_eq!(
        f.push(b"ice\r\n\r\nnext\nrest").unwrap(),
        vec!["Client X: Alice".to_string(), "next".to_string()]
    );
    assert_eq!(f.take_partial().unwrap(), Some("rest".to_string()));
    assert!(!f.has_partial());
    assert_eq!(f.take_partial().unwrap(), None);
}

#[test]
fn framer_refuses_overlong_and_non_utf8_input() {
    let mut f = Framer::new();
    let big = vec![b'a'; MAX_MESSAGE_BYTES + 1];
    assert_eq!(
        f.push(&big),
        Err(FrameError::TooLong {
            limit: MAX_MESSAGE_BYTES
        })
    );
    let mut f = Framer::new();
    assert_eq!(f.push(b"\xff\xfe\n"), Err(FrameError::NotUtf8));
    // exactly the limit is fine
    let mut f = Framer::new();
    let mut ok = vec![b'a'; MAX_MESSAGE_BYTES];
    ok.push(b'\n');
    assert_eq!(f.push(&ok).unwrap().len(), 1);
}

#[test]
fn the_longest_ack_is_exactly_what_a_client_framer_takes() {
    let longest = "n".repeat(MAX_MESSAGE_BYTES - "Client X: ".len());
    assert_eq!(client_message(Letter::Y, &longest).len(), MAX_MESSAGE_BYTES);
    let ack = Ack {
        first: Letter::Y,
        first_name: longest.clone(),
        second_name: longest,
    }
    .line();
    assert_eq!(ack.len(), MAX_ACK_BYTES);
    let mut f = Framer::with_limit(MAX_ACK_BYTES);
    assert_eq!(
        f.push(format!("{ack}\n").as_bytes()).unwrap(),
        vec![ack.clone()]
    );
    assert_eq!(
        f.push(format!("{ack}!").as_bytes()),
        Err(FrameError::TooLong {
            limit: MAX_ACK_BYTES
        })
    );
}

#[test]
fn folding_rejoins_an_ack_split_by_a_stray_newline() {
    let lines = ["X: Alice", " received before Y: Bob"];
    assert_eq!(fold_lines(&lines), vec!["X: Alice received before Y: Bob"]);
    let lines = ["a", "b"];
    assert_eq!(fold_lines(&lines), vec!["a", "b"]);
}
