//! The comparison on small made-up submissions: a copy with other names
//! and comments is found whole, functions in another order are found
//! region by region, common ground is left out, a reference is compared
//! with students only.

use super::*;

fn doc(name: &str, files: &[(&str, &str)]) -> Doc {
    Doc::new(
        name,
        files
            .iter()
            .map(|(path, text)| SourceFile {
                path: path.to_string(),
                text: text.to_string(),
                lang: Lang::of(path).unwrap(),
            })
            .collect(),
    )
}

const ORIGINAL: &str = "import socket, threading\n\nmessages = []\nlock = threading.Lock()\n\ndef handle(conn, letter):\n    data = conn.recv(1024).decode()\n    with lock:\n        messages.append((letter, data))\n    print('got', letter, data)\n\ndef ack(first, second):\n    if first.startswith('Client '):\n        first = first[7:]\n    if second.startswith('Client '):\n        second = second[7:]\n    return first + ' received before ' + second\n\nserver = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\nserver.bind(('', 12000))\nserver.listen(2)\nconns = []\nfor letter in 'XY':\n    c, a = server.accept()\n    conns.append((letter, c))\nfor letter, c in conns:\n    c.send(('Client ' + letter + ' connected').encode())\nthreads = [threading.Thread(target=handle, args=(c, l)) for l, c in conns]\nfor t in threads:\n    t.start()\nfor t in threads:\n    t.join()\ntext = ack(messages[0][1], messages[1][1])\nfor l, c in conns:\n    c.send(text.encode())\n";

#[test]
fn a_copy_with_other_names_and_comments_is_found_whole() {
    let renamed = ORIGINAL
        .replace("messages", "arrived")
        .replace("handle", "worker")
        .replace("conn", "sock")
        .replace("letter", "who")
        .replace(
            "import socket, threading\n",
            "# my own server\nimport socket, threading  # libs\n",
        );
    let a = doc("ann", &[("server.py", ORIGINAL)]);
    let b = doc("bea", &[("srv.py", &renamed)]);
    let r = compare(&[a, b], &[], &Params::default());
    assert_eq!(r.pairs.len(), 1);
    let p = &r.pairs[0];
    assert_eq!(
        (p.a.as_str(), p.b.as_str(), p.reference),
        ("ann", "bea", false)
    );
    assert_eq!((p.cover_a, p.cover_b, p.score), (1.0, 1.0, 1.0));
    assert!(p.flagged);
    assert_eq!(p.regions.len(), 1);
    assert_eq!(
        (p.regions[0].a.first_line, p.regions[0].b.first_line),
        (1, 2)
    );
    assert_eq!(p.regions[0].b.file, "srv.py");
}

#[test]
fn functions_in_another_order_are_found_region_by_region() {
    let (head, rest) = ORIGINAL.split_at(ORIGINAL.find("def handle").unwrap());
    let (handle, rest) = rest.split_at(rest.find("def ack").unwrap());
    let (ack, main) = rest.split_at(rest.find("server =").unwrap());
    let reordered = format!("{head}{ack}{handle}{main}");
    let r = compare(
        &[
            doc("ann", &[("s.py", ORIGINAL)]),
            doc("bob", &[("s.py", &reordered)]),
        ],
        &[],
        &Params::default(),
    );
    let p = &r.pairs[0];
    assert!(p.flagged && p.score > 0.9, "{p:?}");
    assert!(p.regions.len() >= 2, "{p:?}");
}

#[test]
fn common_ground_is_left_out_between_students_but_not_against_a_reference() {
    let p = Params {
        common_min: 2,
        ..Params::default()
    };
    let other = "import sys\n\nfor line in sys.stdin:\n    words = line.split()\n    total = 0\n    for w in words:\n        if w.isdigit():\n            total += int(w)\n    print(total)\n";
    let mut class: Vec<Doc> = ["a", "b", "c"]
        .iter()
        .map(|n| doc(n, &[("s.py", ORIGINAL)]))
        .collect();
    class.push(doc("d", &[("t.py", other)]));
    class.push(doc("e", &[("u.c", "int main(void) { return 0; }\n")]));
    assert_eq!((p.common(5), p.reference_common(5)), (2, 3));
    // Three of five students hold it: more than 2, no student pair; not
    // more than half of them, so still evidence against a reference.
    let r = compare(&class, &[doc("public.py", &[("public.py", ORIGINAL)])], &p);
    let pairs: Vec<(&str, &str, bool)> = r
        .pairs
        .iter()
        .map(|p| (p.a.as_str(), p.b.as_str(), p.reference))
        .collect();
    assert_eq!(
        pairs,
        [
            ("a", "public.py", true),
            ("b", "public.py", true),
            ("c", "public.py", true)
        ]
    );
    assert_eq!((r.common, r.reference_common), (2, 3));
    assert_eq!(r.submissions.iter().filter(|s| s.reference).count(), 1);
    // Two of them: a pair, and the reference.
    let r = compare(&class[1..], &[], &p);
    let pairs: Vec<(&str, &str)> = r
        .pairs
        .iter()
        .map(|p| (p.a.as_str(), p.b.as_str()))
        .collect();
    assert_eq!(pairs, [("b", "c")]);
}

#[test]
fn different_programs_share_no_region_and_files_are_never_joined() {
    let other = "import sys\n\nfor line in sys.stdin:\n    words = line.split()\n    total = 0\n    for w in words:\n        if w.isdigit():\n            total += int(w)\n    print(total)\n";
    let r = compare(
        &[
            doc("ann", &[("s.py", ORIGINAL)]),
            doc("cy", &[("s.py", other)]),
        ],
        &[],
        &Params::default(),
    );
    assert!(r.pairs.is_empty(), "{:?}", r.pairs);
    // A match must lie within one file on each side: the same text split
    // across two files is two regions.
    let (one, two) = ORIGINAL.split_at(ORIGINAL.find("server =").unwrap());
    let r = compare(
        &[
            doc("ann", &[("s.py", ORIGINAL)]),
            doc("dee", &[("a.py", one), ("b.py", two)]),
        ],
        &[],
        &Params::default(),
    );
    let files: Vec<&str> = r.pairs[0]
        .regions
        .iter()
        .map(|g| g.b.file.as_str())
        .collect();
    assert_eq!(files.len(), 2, "{:?}", r.pairs[0].regions);
    assert!(files.contains(&"a.py") && files.contains(&"b.py"));
}

#[test]
fn c_sources_are_compared_too() {
    let c = "#include <stdio.h>\nint handle(int fd, char *buf) {\n  int n = recv(fd, buf, 1024, 0);\n  if (n <= 0) { perror(\"recv\"); return -1; }\n  buf[n] = 0;\n  printf(\"got %s\\n\", buf);\n  return n;\n}\nint main(void) {\n  char buf[1025];\n  int s = socket(AF_INET, SOCK_STREAM, 0);\n  for (int i = 0; i < 2; i++) { handle(s, buf); }\n  return 0;\n}\n";
    let renamed = c
        .replace("handle", "serve")
        .replace("buf", "data")
        .replace("got", "read");
    let r = compare(
        &[doc("x", &[("m.c", c)]), doc("y", &[("main.cpp", &renamed)])],
        &[],
        &Params::default(),
    );
    assert_eq!(r.pairs[0].score, 1.0);
}

#[test]
fn a_symlink_in_a_submission_is_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("eve");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("server.py"), "x = 1\n").unwrap();
    std::fs::write(dir.path().join("secret.py"), "password = 'hunter2'\n").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.py"), sub.join("client.py")).unwrap();
    std::fs::create_dir(sub.join(".git")).unwrap();
    std::fs::write(sub.join(".git/hook.py"), "y = 2\n").unwrap();
    std::fs::write(sub.join("notes.txt"), "z\n").unwrap();
    let docs = read_class(dir.path(), false).unwrap();
    assert_eq!(docs.len(), 1);
    let files: Vec<&str> = docs[0].files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["server.py"]);
    // As references, loose files count too.
    let refs = read_class(dir.path(), true).unwrap();
    let names: Vec<&str> = refs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["eve", "secret.py"]);
}
