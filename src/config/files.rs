//! Files a configuration refers to (tokens, passwords, certificates, keys, CAs) must exist and be
//! readable. `promtool check config` refuses a config whose credentials, client certificate or key
//! file is missing; a missing CA or password file is accepted at load but fails every scrape.

use std::path::Path;

use crate::config::diagnostic::{Code, Diagnostic};
use crate::config::model::{Config, FileRef, HttpClientConfig, SdKind};
use crate::source::resolve_relative;

/// Checks every file reference of every job, SD config and alertmanager.
pub fn check_referenced_files(config: &Config) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for job in &config.scrape_configs {
        let mut found = Vec::new();
        check_http(&job.http, true, &mut found);
        for sd in &job.service_discovery {
            if let SdKind::Kubernetes(k8s) = &sd.kind {
                // promtool checks only the client certificate pair of an SD client; a missing
                // token there still breaks discovery, so it is reported without refusing.
                check_http(&k8s.http, false, &mut found);
                check_file(
                    k8s.kubeconfig_file.as_ref(),
                    "kubeconfig_file",
                    false,
                    &mut found,
                );
            }
        }
        for mut diagnostic in found {
            diagnostic.job = Some(job.job_name.clone());
            diagnostics.push(diagnostic);
        }
    }
    for am in &config.alertmanagers {
        check_http(&am.http, false, &mut diagnostics);
    }
    diagnostics
}

/// `promtool_checks_credentials`: whether `promtool check config` refuses a missing credentials
/// file in this block (it does for jobs, not for SD clients or alertmanagers).
fn check_http(
    http: &HttpClientConfig,
    promtool_checks_credentials: bool,
    found: &mut Vec<Diagnostic>,
) {
    let credentials = http
        .authorization
        .as_ref()
        .and_then(|a| a.credentials_file.as_ref());
    check_file(
        credentials,
        "credentials_file",
        promtool_checks_credentials,
        found,
    );
    let bearer = http.bearer_token_file.as_ref();
    check_file(
        bearer,
        "bearer_token_file",
        promtool_checks_credentials,
        found,
    );
    check_tls_pair(http, found);
    check_file(http.tls.ca_file.as_ref(), "ca_file", false, found);
    let password = http
        .basic_auth
        .as_ref()
        .and_then(|b| b.password_file.as_ref());
    check_file(password, "password_file", false, found);
}

/// promtool's `checkTLSConfig`: cert and key come together, and both must exist.
fn check_tls_pair(http: &HttpClientConfig, found: &mut Vec<Diagnostic>) {
    let tls = &http.tls;
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert), None) => {
            let message = format!(
                "client cert file {:?} specified without client key file",
                cert.written
            );
            found.push(
                Diagnostic::new(Code::InvalidValue, Some(cert.location.clone()), message)
                    .with_help("add `key_file:` next to `cert_file:`"),
            );
        }
        (None, Some(key)) => {
            let message = format!(
                "client key file {:?} specified without client cert file",
                key.written
            );
            found.push(
                Diagnostic::new(Code::InvalidValue, Some(key.location.clone()), message)
                    .with_help("add `cert_file:` next to `key_file:`"),
            );
        }
        (cert, key) => {
            check_file(cert.as_ref(), "cert_file", true, found);
            check_file(key.as_ref(), "key_file", true, found);
        }
    }
}

fn check_file(
    file: Option<&FileRef>,
    field: &str,
    promtool_checks: bool,
    found: &mut Vec<Diagnostic>,
) {
    let Some(file) = file else { return };
    let Some(problem) = file_problem(&file.resolved) else {
        return;
    };
    // A path changed by `--path-map` is named as written and as read, so the message says which
    // file is missing.
    let mapped = file.resolved != resolve_relative(&file.location.file, &file.written);
    let message = if mapped {
        format!(
            "{field} {:?} (read from {:?}) {problem}",
            file.written,
            file.resolved.display().to_string()
        )
    } else {
        format!("{field} {:?} {problem}", file.written)
    };
    let help = "create the file or fix the path";
    let diagnostic =
        Diagnostic::new(Code::FileMissing, Some(file.location.clone()), message).with_help(help);
    found.push(if promtool_checks {
        diagnostic
    } else {
        diagnostic.tolerated()
    });
}

/// What is wrong with a referenced file, in words, or `None` when it can be read.
pub fn file_problem(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Some("does not exist".to_string())
        }
        Err(error) => Some(format!("cannot be read: {}", error.kind())),
        Ok(meta) if meta.is_dir() => Some("is a directory, not a file".to_string()),
        Ok(_) => match std::fs::File::open(path) {
            Ok(_) => None,
            Err(error) => Some(format!("cannot be read: {}", error.kind())),
        },
    }
}
