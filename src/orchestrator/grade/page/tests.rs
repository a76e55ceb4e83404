//! The class page as a whole: what it holds for a made-up class, that it
//! fetches nothing and runs no script but its own, that a student's name
//! cannot inject markup, and its sections.

use super::*;
use crate::orchestrator::grade::fixtures::{student, summary};
use crate::orchestrator::grade::regrade::Change;
use crate::orchestrator::grade::similarity::tokens::Lang;
use crate::orchestrator::grade::similarity::{compare, Doc, Params, SourceFile};

fn page(extras: Extras) -> String {
    let s = summary(vec![
        student("ann", &[]),
        student("bob", &[6, 8]),
        student("<script>alert(1)</script>", &[8]),
    ]);
    class_page(&s, "3 students · backend mininet", extras)
}

#[test]
fn the_page_holds_the_distribution_the_items_and_a_row_per_student() {
    let text = page(Extras::default());
    assert!(text.starts_with("<!DOCTYPE html>"));
    assert!(text.contains("<title>Class: 3 students</title>"));
    // 70, 55, 60: bins 70–80, 50–60, 60–70.
    for bin in [
        "data-lo=\"70\" data-hi=\"80\" data-count=\"1\"",
        "data-lo=\"50\" data-hi=\"60\" data-count=\"1\"",
        "data-lo=\"60\" data-hi=\"70\" data-count=\"1\"",
    ] {
        assert!(text.contains(bin), "{bin}");
    }
    assert!(text.contains("<td data-stat=\"mean\">61.7</td><td data-stat=\"median\">60</td><td data-stat=\"min\">55</td><td data-stat=\"max\">70</td>"));
    assert!(text.contains(
        "<tr data-item=\"8\" data-pass=\"1\" data-fail=\"2\" data-review=\"0\" data-na=\"0\">"
    ));
    assert_eq!(text.matches("<tr data-student=").count(), 3);
    assert!(text.contains("The similarity check was not run"));
    assert!(!text.contains("id=\"history\""));
    for file in ["gradebook.md", "canvas.csv", "points.csv"] {
        assert!(text.contains(&format!("<a href=\"{file}\">")), "{file}");
    }
}

#[test]
fn nothing_is_fetched_and_a_name_cannot_inject_markup() {
    let text = page(Extras::default());
    assert!(text.contains("content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\""));
    assert!(!text.contains(" src="), "nothing is loaded from anywhere");
    assert!(!text.contains("https:"), "no address anywhere");
    assert_eq!(
        text.matches("http:").count(),
        text.matches("http://www.w3.org/2000/svg").count(),
        "no address but the SVG namespace"
    );
    assert_eq!(
        text.matches("<script>").count(),
        1,
        "only the page's own script"
    );
    assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(text.contains("href=\"%3Cscript%3Ealert%281%29%3C/script%3E/report.md\""));
}

#[test]
fn the_similarity_and_history_sections_show_when_there_are_some() {
    let code = "def f(a, b):\n    x = a + b\n    for i in range(x):\n        print(i, a, b)\n    return x * 2 + a - b\n\ny = f(1, 2)\nwhile y > 0:\n    y = y - 1\n    print(y)\n";
    let doc = |n: &str| {
        Doc::new(
            n,
            vec![SourceFile {
                path: "s.py".into(),
                text: code.into(),
                lang: Lang::Python,
            }],
        )
    };
    let report = compare(&[doc("ann"), doc("bob")], &[], &Params::default());
    let history = [Entry {
        when_utc: "2026-12-02T10:15:00Z".into(),
        what: "graded again: bob".into(),
        dir: "history/20261202T101500Z".into(),
        students: vec![Change {
            student: "bob".into(),
            before: Some(40.0),
            after: 55.0,
        }],
    }];
    let text = page(Extras {
        similarity: Some(&report),
        history: &history,
    });
    assert!(
        text.contains("<tr class=\"flagged\" data-a=\"ann\" data-b=\"bob\""),
        "{text}"
    );
    assert!(text.contains("href=\"similarity/ann--bob.html\""));
    assert!(text.contains("never a verdict"));
    assert!(text.contains("<td>bob: 40 → 55</td><td><a href=\"history/20261202T101500Z/\">"));
}
