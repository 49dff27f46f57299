//! JUnit XML for CI test views (quick-junit, as nextest does): one test suite per job, one test
//! case per check × target. Pure.
//!
//! # What the cases mean
//! - A suite per job, in configuration order, named after the job. A suite named `(config)` comes
//!   first and holds what concerns the file as a whole: findings without a job, and a case for
//!   every `config/` check.
//! - In a job's suite every check of the run has a case named after its id. It **passes** when the
//!   check examined the job and all of its targets and reported nothing (nothing at or above
//!   `--min-severity` that the baseline does not list). It **fails** when the check reported
//!   something about the job itself. What a check reports about a target fails a case named
//!   `<check id> <target>`, one per target; the job's case is then only there if the check also
//!   reported something about the job itself.
//! - A case is **skipped** when its check needs the network and the run was offline. A check the
//!   user's settings disable for a job has no case in that job's suite.
//! - Several findings of one check on one job (or target) make one failing case: the `message`
//!   attribute is the first finding's message (with the count when there are more), the `type`
//!   attribute the most severe finding's severity, and the text lists every finding with its
//!   location and fix.
//! - `classname` is the suite's name (the job), so tools that flatten suites show `job.check`.
//!
//! No timestamps or durations are written, so the same findings give the same bytes.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use crate::check::finding::Finding;
use crate::check::spec::Needs;
use crate::report::Report;

/// The suite for findings outside any job.
pub const CONFIG_SUITE: &str = "(config)";

pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("prom-preflight");
    let checks = check_ids(report);
    junit.add_test_suite(suite(report, None, &checks));
    let mut seen = BTreeSet::new();
    let jobs = report
        .scope
        .jobs
        .iter()
        .chain(report.findings.iter().filter_map(|f| f.job.as_ref()));
    for job in jobs {
        if seen.insert(job.as_str()) {
            junit.add_test_suite(suite(report, Some(job), &checks));
        }
    }
    junit
        .to_string()
        .expect("serializing to a String cannot fail")
        + "\n"
}

/// Every check of the run and every check that reported something, sorted by id.
fn check_ids(report: &Report) -> Vec<&str> {
    let ids: BTreeSet<&str> = report
        .scope
        .checks
        .iter()
        .map(|c| c.id.as_str())
        .chain(report.findings.iter().map(|f| f.check.as_str()))
        .collect();
    ids.into_iter().collect()
}

fn suite(report: &Report, job: Option<&str>, checks: &[&str]) -> TestSuite {
    let name = job.unwrap_or(CONFIG_SUITE);
    let mut suite = TestSuite::new(name);
    let in_suite: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.job.as_deref() == job)
        .collect();
    for &check in checks {
        if job.is_some_and(|job| {
            report
                .scope
                .disabled
                .contains(&(job.to_string(), check.to_string()))
        }) {
            continue;
        }
        let of_check: Vec<&Finding> = in_suite
            .iter()
            .copied()
            .filter(|f| f.check == check)
            .collect();
        let (about_job, about_targets): (Vec<&Finding>, Vec<&Finding>) =
            of_check.iter().partition(|f| f.target.is_none());
        let listed = !about_job.is_empty()
            || match job {
                Some(_) => about_targets.is_empty(),
                None => check.starts_with("config/"),
            };
        if listed {
            let status = if !about_job.is_empty() {
                failure(&about_job)
            } else if needs_network(report, check) && report.mode == "offline" {
                let mut status = TestCaseStatus::skipped();
                status.set_message("this check needs the network; the run was offline");
                status
            } else {
                TestCaseStatus::success()
            };
            suite.add_test_case(case(check.to_string(), name, status));
        }
        let targets: BTreeSet<&str> = about_targets
            .iter()
            .filter_map(|f| f.target.as_deref())
            .collect();
        for target in targets {
            let findings: Vec<&Finding> = about_targets
                .iter()
                .copied()
                .filter(|f| f.target.as_deref() == Some(target))
                .collect();
            suite.add_test_case(case(format!("{check} {target}"), name, failure(&findings)));
        }
    }
    suite
}

fn case(name: String, classname: &str, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(name, status);
    case.set_classname(classname);
    case
}

fn needs_network(report: &Report, check: &str) -> bool {
    report
        .scope
        .checks
        .iter()
        .any(|c| c.id == check && c.needs == Needs::Network)
}

/// One failing status for the findings of one check on one job or target (never empty).
fn failure(findings: &[&Finding]) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let worst = findings.iter().map(|f| f.severity).max();
    if let Some(worst) = worst {
        status.set_type(worst.as_str());
    }
    let first = findings
        .first()
        .map(|f| f.message.as_str())
        .unwrap_or_default();
    let message = match findings.len() {
        1 => first.to_string(),
        n => format!("{n} findings; the first: {first}"),
    };
    status.set_message(message);
    let mut text = String::new();
    for finding in findings {
        let _ = writeln!(text, "{}: {}", finding.severity, finding.message);
        if let Some(location) = &finding.location {
            let _ = writeln!(text, "  at {location}");
        }
        if let Some(evidence) = &finding.evidence {
            for line in evidence.lines() {
                let _ = writeln!(text, "  | {line}");
            }
        }
        if let Some(remediation) = &finding.remediation {
            let _ = writeln!(text, "  fix: {remediation}");
        }
    }
    status.set_description(text);
    status
}
