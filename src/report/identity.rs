//! A finding's identity across runs: what it is about, never where it is written. Baselines match
//! on it and SARIF publishes it as `partialFingerprints`, so a finding keeps its identity when
//! lines move, and two findings share one only when they say the same about the same thing. Pure.
//!
//! The identity is the check id, the job, the cluster and the target, plus the message
//! normalised: whitespace runs collapse to one space and every run of digits reads `#`. Digits
//! are dropped because messages carry counts and rule numbers ("rule 3 matched none of the 12
//! targets") that change without the problem changing; what is left still tells two problems of
//! one check in one job apart (a missing token file from a missing CA file).

use md5::{Digest, Md5};

use crate::check::finding::Finding;

/// The parts of a finding that identify it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    pub check: String,
    pub job: Option<String>,
    pub cluster: Option<String>,
    pub target: Option<String>,
    /// The message, normalised (see the module documentation).
    pub message: String,
}

impl Identity {
    pub fn of(finding: &Finding) -> Identity {
        Identity::new(
            &finding.check,
            finding.job.as_deref(),
            finding.cluster.as_deref(),
            finding.target.as_deref(),
            &finding.message,
        )
    }

    pub fn new(
        check: &str,
        job: Option<&str>,
        cluster: Option<&str>,
        target: Option<&str>,
        message: &str,
    ) -> Identity {
        Identity {
            check: check.to_string(),
            job: job.map(str::to_string),
            cluster: cluster.map(str::to_string),
            target: target.map(str::to_string),
            message: normalise_message(message),
        }
    }

    /// A short stable digest of the identity: hex MD5 of its parts, each followed by a NUL byte
    /// (an absent part is empty). The same on every platform and in every release that keeps
    /// this recipe; a change of recipe changes the SARIF key's `/v1` suffix.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Md5::new();
        for part in [
            Some(self.check.as_str()),
            self.job.as_deref(),
            self.cluster.as_deref(),
            self.target.as_deref(),
            Some(self.message.as_str()),
        ] {
            hasher.update(part.unwrap_or_default().as_bytes());
            hasher.update([0u8]);
        }
        hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// Collapses whitespace and replaces each run of ASCII digits with `#`.
pub fn normalise_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_digits = false;
    for word in message.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if c.is_ascii_digit() {
                if !in_digits {
                    out.push('#');
                }
                in_digits = true;
            } else {
                out.push(c);
                in_digits = false;
            }
        }
        in_digits = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rule_numbers_and_spacing_do_not_change_the_identity() {
        assert_eq!(
            normalise_message("rule 3  matched none of the 12\ttarget(s)"),
            "rule # matched none of the # target(s)"
        );
        assert_eq!(normalise_message("  a 1.25 b "), "a #.# b");
    }

    #[test]
    fn fingerprints_are_stable_and_tell_parts_apart() {
        let a = Identity::new("c/x", Some("job"), None, None, "m");
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
        assert_eq!(a.fingerprint().len(), 32);
        // Moving text between parts changes the fingerprint.
        let b = Identity::new("c/x", Some("jo"), None, Some("b"), "m");
        assert_ne!(a.fingerprint(), b.fingerprint());
        // A fixed value, so that an accidental change of recipe fails here (and in the SARIF
        // golden file).
        let message = "field scrape_intervall not found in type config.GlobalConfig";
        assert_eq!(
            Identity::new("config/unknown-field", None, None, None, message).fingerprint(),
            "b520482fc5fd1390370f8d378d9edbee"
        );
    }
}
