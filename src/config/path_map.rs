//! `--path-map FROM=TO`: CI rarely has the production paths of tokens, CA bundles and file-SD
//! files, so these rewrites point the loaded configuration at stand-ins before anything reads a
//! file. Pure: a transformation of the [`Config`]; the files are checked afterwards.
//!
//! A rule applies to a path that is `FROM` or lies under it, compared component by component (so
//! `/opt/sa` maps `/opt/sa/token` but not `/opt/sa2/token`), after relative paths were resolved
//! against the declaring file. The longest matching `FROM` wins; among equal ones, the first given.
//! Only where files are read changes: messages and locations still name the paths as written.

use std::path::{Path, PathBuf};

use crate::config::model::{Config, FileRef, HttpClientConfig, SdConfig, SdKind};

/// An ordered set of prefix rewrites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathMap {
    rules: Vec<(PathBuf, PathBuf)>,
}

/// A `FROM=TO` argument that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to read path mapping {0:?}: expected FROM=TO with both paths non-empty")]
pub struct PathMapError(pub String);

impl PathMap {
    pub fn new(rules: Vec<(PathBuf, PathBuf)>) -> PathMap {
        PathMap { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Reads one `FROM=TO` rule (the first `=` separates them).
    pub fn parse_rule(text: &str) -> Result<(PathBuf, PathBuf), PathMapError> {
        match text.split_once('=') {
            Some((from, to)) if !from.is_empty() && !to.is_empty() => {
                Ok((PathBuf::from(from), PathBuf::from(to)))
            }
            _ => Err(PathMapError(text.to_string())),
        }
    }

    /// Where `path` is read from under this map, or `None` when no rule applies.
    pub fn map(&self, path: &Path) -> Option<PathBuf> {
        self.rules
            .iter()
            .filter_map(|(from, to)| {
                let rest = path.strip_prefix(from).ok()?;
                Some((from.components().count(), to, rest))
            })
            // max_by_key keeps the last maximum; reversing first keeps the first one given.
            .rev()
            .max_by_key(|(depth, _, _)| *depth)
            .map(|(_, to, rest)| {
                if rest.as_os_str().is_empty() {
                    to.clone()
                } else {
                    to.join(rest)
                }
            })
    }

    /// Rewrites every file the configuration names: credentials, passwords, tokens, client
    /// secrets, CA, certificate and key files, kubeconfig files and file-SD patterns, in jobs, their
    /// SD clients and alertmanagers. Returns how many references changed.
    pub fn apply(&self, config: &mut Config) -> usize {
        if self.is_empty() {
            return 0;
        }
        let mut changed = 0;
        let mut visit = |file: &mut FileRef| {
            if let Some(mapped) = self.map(&file.resolved) {
                file.resolved = mapped;
                changed += 1;
            }
        };
        for job in &mut config.scrape_configs {
            visit_http(&mut job.http, &mut visit);
            visit_sd(&mut job.service_discovery, &mut visit);
        }
        for am in &mut config.alertmanagers {
            visit_http(&mut am.http, &mut visit);
            visit_sd(&mut am.service_discovery, &mut visit);
        }
        changed
    }
}

fn visit_sd(sds: &mut [SdConfig], visit: &mut impl FnMut(&mut FileRef)) {
    for sd in sds {
        match &mut sd.kind {
            SdKind::Kubernetes(k8s) => {
                visit_http(&mut k8s.http, visit);
                k8s.kubeconfig_file.iter_mut().for_each(&mut *visit);
            }
            SdKind::File(file_sd) => file_sd.files.iter_mut().for_each(&mut *visit),
            SdKind::Static(_) | SdKind::Other { .. } => {}
        }
    }
}

fn visit_http(http: &mut HttpClientConfig, visit: &mut impl FnMut(&mut FileRef)) {
    let files = [
        http.bearer_token_file.as_mut(),
        http.authorization
            .as_mut()
            .and_then(|a| a.credentials_file.as_mut()),
        http.oauth2
            .as_mut()
            .and_then(|o| o.client_secret_file.as_mut()),
        http.tls.ca_file.as_mut(),
        http.tls.cert_file.as_mut(),
        http.tls.key_file.as_mut(),
    ];
    files.into_iter().flatten().for_each(&mut *visit);
    if let Some(basic) = http.basic_auth.as_mut() {
        [basic.username_file.as_mut(), basic.password_file.as_mut()]
            .into_iter()
            .flatten()
            .for_each(&mut *visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(rules: &[(&str, &str)]) -> PathMap {
        PathMap::new(
            rules
                .iter()
                .map(|(f, t)| (PathBuf::from(f), PathBuf::from(t)))
                .collect(),
        )
    }

    #[test]
    fn prefixes_match_whole_components_and_the_longest_wins() {
        let m = map(&[
            ("/opt/sa", "/tmp/sa"),
            ("/opt/sa/prod", "/tmp/prod"),
            ("/opt/sa", "/x"),
        ]);
        assert_eq!(
            m.map(Path::new("/opt/sa/token")),
            Some("/tmp/sa/token".into())
        );
        assert_eq!(
            m.map(Path::new("/opt/sa/prod/token")),
            Some("/tmp/prod/token".into())
        );
        assert_eq!(m.map(Path::new("/opt/sa")), Some("/tmp/sa".into()));
        assert_eq!(m.map(Path::new("/opt/sa2/token")), None);
        assert_eq!(m.map(Path::new("/etc/token")), None);
    }

    #[test]
    fn rules_need_both_sides() {
        assert_eq!(
            PathMap::parse_rule("/opt/sa=/tmp/a=b"),
            Ok(("/opt/sa".into(), "/tmp/a=b".into()))
        );
        assert!(PathMap::parse_rule("/opt/sa").is_err());
        assert!(PathMap::parse_rule("=/tmp").is_err());
        assert!(PathMap::parse_rule("/opt=").is_err());
    }
}
