//! `junit.xml`: the verdicts as JUnit test cases, so that CI pages list a
//! failed check by name. Built with `quick-junit` (the writer cargo-nextest
//! uses), never by hand.
//!
//! One test suite per run, named after the scenario; one test case per
//! verdict (name: the verdict id, class name: the scenario). A failed
//! verdict's failure carries what was expected and observed as its message
//! and the evidence lines as its description. A verdict's note (a slip read
//! past, or failed by `--strict`) is its test case's property `note` and
//! its system-out, so that a CI page shows it under a passed case too. A
//! run that could not be carried out gets one more test case, `run`, in
//! error with the reason.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::orchestrator::record::batch::BatchRun;
use crate::orchestrator::record::{RunRecord, Verdict};

use super::text::{clean, event_line};

/// The name of the report (the `<testsuites>` element).
const REPORT_NAME: &str = "pa3-mininet";

/// One run as a JUnit report with one suite.
pub fn run(record: &RunRecord) -> String {
    combined(std::slice::from_ref(record))
}

/// Several runs as one JUnit report, one suite per run, in the given order.
pub fn combined(records: &[RunRecord]) -> String {
    let mut report = Report::new(REPORT_NAME);
    let total_ms: f64 = records.iter().map(|r| r.duration_ms).sum();
    if let Some(time) = seconds(total_ms) {
        report.set_time(time);
    }
    report.add_test_suites(records.iter().map(suite));
    // Writing into memory fails only on a bug in the serialiser.
    let mut out = report.to_string().expect("a JUnit report serialises");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Repeated scenarios as a JUnit report: one suite per scenario, one test
/// case per repeat, named so that the repeat shows (`case2 #3`). A repeat
/// whose checks failed is a failure listing them; one that could not be
/// carried out (or was interrupted) is an error.
pub fn repeated(runs: &[BatchRun]) -> String {
    let mut report = Report::new(REPORT_NAME);
    let total_ms: f64 = runs.iter().map(|r| r.record.duration_ms).sum();
    if let Some(time) = seconds(total_ms) {
        report.set_time(time);
    }
    let mut suites: Vec<TestSuite> = Vec::new();
    for run in runs {
        let name = clean(&run.record.scenario);
        if suites.last().is_none_or(|s| s.name.as_str() != name) {
            suites.push(TestSuite::new(name.clone()));
        }
        let suite = suites.last_mut().expect("pushed above");
        suite.add_test_case(repeat_case(run));
    }
    report.add_test_suites(suites);
    let mut out = report.to_string().expect("a JUnit report serialises");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn repeat_case(run: &BatchRun) -> TestCase {
    let record = &run.record;
    let failed: Vec<String> = record
        .verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| {
            format!(
                "{}: expected {}; observed {}",
                clean(&v.id),
                clean(&v.expected),
                clean(&v.observed)
            )
        })
        .collect();
    let status = if let Some(error) = &record.error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_type("run error").set_message(clean(error));
        status
    } else if !failed.is_empty() {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_type("check failed")
            .set_message(failed.join("; "));
        status
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(clean(&run.label), status);
    case.set_classname(clean(&record.scenario));
    if let Some(time) = seconds(record.duration_ms) {
        case.set_time(time);
    }
    case
}

fn seconds(ms: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).ok()
}

fn suite(record: &RunRecord) -> TestSuite {
    let mut suite = TestSuite::new(clean(&record.scenario));
    if let Some(time) = seconds(record.duration_ms) {
        suite.set_time(time);
    }
    let mut properties = vec![
        Property::new("description", clean(&record.description)),
        Property::new("file", clean(&record.file)),
        Property::new("backend", clean(&record.backend)),
        Property::new("started_utc", clean(&record.started_utc)),
        Property::new("exit_code", record.outcome.exit_code().to_string()),
    ];
    if let Some(ack) = &record.ack_expected {
        properties.push(Property::new("ack_expected", clean(ack)));
    }
    if let Some(ack) = &record.ack_observed {
        properties.push(Property::new("ack_observed", clean(ack)));
    }
    suite.add_properties(properties);

    for verdict in &record.verdicts {
        suite.add_test_case(test_case(record, verdict));
    }
    if let Some(error) = &record.error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_type("run error").set_message(clean(error));
        let mut case = TestCase::new("run", status);
        case.set_classname(clean(&record.scenario));
        suite.add_test_case(case);
    }

    // The whole event stream, so that a CI page shows what happened.
    let log: String = record
        .events
        .iter()
        .map(|e| event_line(record, e) + "\n")
        .collect();
    if !log.is_empty() {
        suite.set_system_out(log);
    }
    suite
}

fn test_case(record: &RunRecord, verdict: &Verdict) -> TestCase {
    let status = if verdict.passed {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_type("check failed")
            .set_message(format!(
                "{}: expected {}; observed {}",
                clean(&verdict.title),
                clean(&verdict.expected),
                clean(&verdict.observed)
            ))
            .set_description(description(record, verdict));
        status
    };
    let mut case = TestCase::new(clean(&verdict.id), status);
    case.set_classname(clean(&record.scenario));
    if let Some(note) = &verdict.note {
        case.add_property(Property::new("note", clean(note)));
        case.set_system_out(format!("note: {}\n", clean(note)));
    }
    case
}

fn description(record: &RunRecord, verdict: &Verdict) -> String {
    let mut out = format!(
        "{}\nexpected: {}\nobserved: {}\n",
        clean(&verdict.title),
        clean(&verdict.expected),
        clean(&verdict.observed)
    );
    if let Some(note) = &verdict.note {
        out.push_str(&format!("note: {}\n", clean(note)));
    }
    if !verdict.evidence.is_empty() {
        out.push_str("evidence:\n");
        for e in &verdict.evidence {
            out.push_str(&event_line(record, e));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::report::{
        fixtures,
        golden::{assert_golden, assert_well_formed_xml},
    };

    #[test]
    fn one_case_per_verdict_and_failures_carry_expected_observed_and_evidence() {
        let record = fixtures::failing();
        let xml = run(&record);
        assert_well_formed_xml(&xml);
        let report = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(report.test_suites.len(), 1);
        let suite = &report.test_suites[0];
        assert_eq!(suite.name.as_str(), "case2-python");
        assert_eq!(suite.tests, record.verdicts.len());
        assert_eq!(suite.failures, 3);
        let order = suite
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == "ack.order")
            .unwrap();
        assert_eq!(
            order.classname.as_ref().map(|c| c.as_str()),
            Some("case2-python")
        );
        match &order.status {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                message,
                description,
                ..
            } => {
                let message = message.as_ref().unwrap().as_str();
                assert!(message.contains("expected Y: Bob Marley received before X: Zoë"));
                assert!(message.contains("observed X: Zoë received before Y: Bob Marley"));
                let description = description.as_ref().unwrap().as_str();
                assert!(description.contains("[h3 client b] typed: Bob Marley"));
            }
            other => panic!("ack.order should fail, is {other:?}"),
        }
    }

    #[test]
    fn a_run_error_is_an_extra_test_case_named_run() {
        let record = fixtures::errored();
        let xml = run(&record);
        assert_well_formed_xml(&xml);
        let report = Report::deserialize_from_str(&xml).unwrap();
        let suite = &report.test_suites[0];
        assert_eq!(suite.tests, record.verdicts.len() + 1);
        assert_eq!((suite.failures, suite.errors), (0, 1));
        assert_eq!(suite.test_cases.last().unwrap().name.as_str(), "run");
        assert!(xml.contains("had to remove leftovers after teardown"));
    }

    #[test]
    fn combined_has_one_suite_per_run_in_order() {
        let records = [
            fixtures::passing(),
            fixtures::failing(),
            fixtures::errored(),
        ];
        let xml = combined(&records);
        assert_well_formed_xml(&xml);
        let report = Report::deserialize_from_str(&xml).unwrap();
        let names: Vec<_> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["case2", "case2-python", "case2"]);
        let verdicts: usize = records.iter().map(|r| r.verdicts.len()).sum();
        assert_eq!(
            report.tests,
            verdicts + 1,
            "one test case per verdict, and `run`"
        );
        let failed = records[1].verdicts.iter().filter(|v| !v.passed).count();
        assert_eq!((report.failures, report.errors), (failed, 1));
    }

    #[test]
    fn control_characters_in_output_do_not_break_the_xml() {
        let mut record = fixtures::failing();
        record
            .verdicts
            .iter_mut()
            .find(|v| v.id == "ack.order")
            .unwrap()
            .observed = "\u{1b}[31mX: <Zoë> & \"co\"\u{1b}[0m\u{7}".into();
        let line = fixtures::first_line(&record, "server");
        fixtures::set_text(&mut record.events[line], "ready\u{0}\u{1b}[1m!");
        let xml = run(&record);
        assert_well_formed_xml(&xml);
        assert!(xml.contains("X: &lt;Zoë&gt; &amp;"));
    }

    #[test]
    fn a_note_is_a_property_and_the_system_out_of_its_case() {
        let xml = run(&fixtures::lenient());
        assert_well_formed_xml(&xml);
        let report = Report::deserialize_from_str(&xml).unwrap();
        let case = |name: &str| {
            report.test_suites[0]
                .test_cases
                .iter()
                .find(|c| c.name.as_str() == name)
                .unwrap()
        };
        let passed = case("greeting.a");
        assert!(matches!(passed.status, TestCaseStatus::Success { .. }));
        let note = &passed.properties[0];
        assert_eq!(note.name.as_str(), "note");
        assert!(note.value.as_str().starts_with("passed leniently"));
        assert!(passed
            .system_out
            .as_ref()
            .unwrap()
            .as_str()
            .starts_with("note: passed leniently"));
        match &case("greeting.b").status {
            TestCaseStatus::NonSuccess { description, .. } => assert!(description
                .as_ref()
                .unwrap()
                .as_str()
                .contains("note: failed by --strict")),
            other => panic!("greeting.b should fail, is {other:?}"),
        }
        assert!(case("ack.same").properties.is_empty());
    }

    #[test]
    fn golden_junit() {
        assert_golden("passing.junit.xml", &run(&fixtures::passing()));
        assert_golden("failing.junit.xml", &run(&fixtures::failing()));
        assert_golden(
            "combined.junit.xml",
            &combined(&[
                fixtures::passing(),
                fixtures::failing(),
                fixtures::errored(),
            ]),
        );
    }
}
