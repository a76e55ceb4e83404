//! Grades for learning platforms, as pure functions of a grade: a Canvas
//! gradebook CSV (`canvas.csv`) and a plain CSV with the points of each
//! item in a column of its own (`points.csv`). Gradescope's per-student
//! `results.json` is [`super::book::gradescope`]. The import steps are in
//! docs/grading-class.md.
//!
//! Canvas's format is the one its gradebook importer reads
//! (`GradebookImporter` in canvas-lms): a header whose first columns are
//! `Student`, `ID`, then `SIS User ID` and `SIS Login ID`, and `Section`
//! last of the student's columns; each column after them an assignment
//! (`Name (ID)` names an existing one, a bare name makes a new one); an
//! optional second row starting `Points Possible`. A row is matched to a
//! student by its `ID`, else its SIS IDs, else the name: here the ID is
//! left empty and the folder's name is the SIS login ID and the name, so
//! that folders named after logins (or full names) import as they are.

use std::fmt::Write as _;

use super::book::{csv_field, number};
use super::rubric::Cell;
use super::GradeSummary;

/// The assignment's column in `canvas.csv` (a new assignment of this name
/// unless the header is changed to `Name (ID)` of an existing one).
pub const CANVAS_ASSIGNMENT: &str = "PA3 TCP client-server";

/// `canvas.csv`: the students' scores for Canvas's gradebook import.
pub fn canvas(summary: &GradeSummary) -> String {
    let mut out = format!(
        "Student,ID,SIS User ID,SIS Login ID,Section,{}\n",
        csv_field(CANVAS_ASSIGNMENT)
    );
    let max = summary
        .students
        .iter()
        .map(|s| s.max_score)
        .fold(0.0, f64::max);
    let _ = writeln!(out, "Points Possible,,,,,{}", number(max));
    for s in &summary.students {
        let name = csv_field(&s.student);
        let _ = writeln!(out, "{name},,,{name},,{}", number(s.score));
    }
    out
}

/// `points.csv`: `student,score,max_score,item1,…,item12`, each item's
/// points; an item a person still has to grade (or that does not apply)
/// is empty, not 0.
pub fn points(summary: &GradeSummary) -> String {
    let mut out = String::from("student,score,max_score");
    for i in 1..=12 {
        let _ = write!(out, ",item{i}");
    }
    out.push('\n');
    for s in &summary.students {
        let _ = write!(
            out,
            "{},{},{}",
            csv_field(&s.student),
            number(s.score),
            number(s.max_score)
        );
        for item in &s.items {
            match item.cell {
                Cell::Review | Cell::NotApplicable => out.push(','),
                Cell::Pass | Cell::Fail => {
                    let _ = write!(out, ",{}", number(item.points));
                }
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::fixtures::{student, summary};

    /// The header and rows as Canvas's importer reads them (its rules,
    /// restated): the student columns, where the assignments start, the
    /// points-possible row, and each student's cell.
    fn as_canvas_reads(csv: &str) -> (Vec<String>, f64, Vec<(String, String, f64)>) {
        let rows: Vec<Vec<String>> = csv.lines().map(split_csv).collect();
        let header = &rows[0];
        assert!(header.len() > 3 && header[0].contains("Student") && header[1].contains("ID"));
        // Student, ID, SIS User ID, SIS Login ID, [Integration ID], Section.
        assert!(header[2].contains("SIS User ID") && header[3].contains("SIS Login ID"));
        let student_columns = 5;
        assert!(header[student_columns - 1].contains("Section"));
        let assignments = header[student_columns..].to_vec();
        assert!(rows[1][0].contains("Points Possible"));
        let possible: f64 = rows[1][student_columns].parse().unwrap();
        let students = rows[2..]
            .iter()
            .map(|r| {
                (
                    r[0].clone(),
                    r[3].clone(),
                    r[student_columns].parse().unwrap(),
                )
            })
            .collect();
        (assignments, possible, students)
    }

    /// RFC 4180 fields of one line (quotes, doubled quotes).
    fn split_csv(line: &str) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    out.last_mut().unwrap().push('"');
                }
                ('"', _) => quoted = !quoted,
                (',', false) => out.push(String::new()),
                (c, _) => out.last_mut().unwrap().push(c),
            }
        }
        out
    }

    #[test]
    fn the_canvas_csv_is_what_canvas_reads_a_student_per_row() {
        let s = summary(vec![student("alice", &[]), student("Baker, Bob", &[6, 8])]);
        let (assignments, possible, students) = as_canvas_reads(&canvas(&s));
        assert_eq!(assignments, [CANVAS_ASSIGNMENT]);
        assert_eq!(possible, 100.0);
        assert_eq!(
            students,
            [
                ("alice".to_string(), "alice".to_string(), 70.0),
                ("Baker, Bob".to_string(), "Baker, Bob".to_string(), 55.0)
            ]
        );
    }

    #[test]
    fn points_has_a_column_per_item_and_leaves_a_persons_items_empty() {
        let s = summary(vec![student("alice", &[7])]);
        let text = points(&s);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "student,score,max_score,item1,item2,item3,item4,item5,item6,item7,item8,item9,item10,item11,item12"
        );
        assert_eq!(lines[1], "alice,60,100,5,5,5,5,5,5,0,10,10,10,,");
    }
}
