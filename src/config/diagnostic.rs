//! Problems found while loading a configuration. Pure data.
//!
//! The loader never stops at the first problem; each one becomes a [`Diagnostic`] with the check id
//! it is reported under, so that a broken config still yields a full, located report.

use crate::source::Location;

/// What kind of problem the loader found. Each kind is reported under one stable check id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    YamlSyntax,
    UnknownField,
    DuplicateKey,
    InvalidValue,
    DuplicateJob,
    TimeoutExceedsInterval,
    AuthConflict,
    InvalidRelabelRule,
    InvalidTarget,
    UnsupportedField,
    FileMissing,
    MetricsPathNoSlash,
    Yaml11Boolean,
    ApiServerWithoutHost,
}

impl Code {
    /// The check id this problem is reported under.
    pub fn check_id(self) -> &'static str {
        match self {
            Code::YamlSyntax => "config/yaml-syntax",
            Code::UnknownField => "config/unknown-field",
            Code::DuplicateKey => "config/duplicate-key",
            Code::InvalidValue => "config/invalid-value",
            Code::DuplicateJob => "config/duplicate-job",
            Code::TimeoutExceedsInterval => "config/timeout-exceeds-interval",
            Code::AuthConflict => "config/auth-conflict",
            Code::InvalidRelabelRule => "config/invalid-relabel-rule",
            Code::InvalidTarget => "config/invalid-target",
            Code::UnsupportedField => "config/unsupported-field",
            Code::FileMissing => "config/file-missing",
            Code::MetricsPathNoSlash => "config/metrics-path-no-slash",
            Code::Yaml11Boolean => "config/yaml11-boolean",
            Code::ApiServerWithoutHost => "sd/api-server-without-host",
        }
    }
}

/// One loading problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub location: Option<Location>,
    /// The job the problem belongs to, when it is inside a scrape config.
    pub job: Option<String>,
    /// Prometheus's own wording where it has one.
    pub message: String,
    /// A concrete hint, such as a did-you-mean suggestion.
    pub help: Option<String>,
    /// True when `promtool check config` (and so a Prometheus reload) would refuse the file.
    pub rejects_config: bool,
}

impl Diagnostic {
    pub fn new(code: Code, location: Option<Location>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            location,
            job: None,
            message: message.into(),
            help: None,
            rejects_config: true,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Marks a problem Prometheus tolerates at load time (it may still fail later, at scrape).
    pub fn tolerated(mut self) -> Diagnostic {
        self.rejects_config = false;
        self
    }
}
