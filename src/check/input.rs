//! Everything checks look at: the loaded config, the loader's diagnostics, and for each job what
//! discovery and relabeling made of it. Checks only read this; they never do I/O.

use crate::config::diagnostic::Diagnostic;
use crate::config::model::Config;
use crate::probe::access::AccessFacts;
use crate::probe::Probes;
use crate::version::PrometheusVersion;

pub use crate::targets::alertmanager::AlertmanagerTargets;
pub use crate::targets::job::{JobTargets, ResolvedTarget};

pub struct CheckInput<'a> {
    pub config: &'a Config,
    pub diagnostics: &'a [Diagnostic],
    pub jobs: &'a [JobTargets],
    /// Each `alerting.alertmanagers` entry after discovery and relabeling.
    pub alertmanagers: &'a [AlertmanagerTargets],
    pub version: PrometheusVersion,
    /// What probing each active target showed; `None` in offline runs (probe checks stay silent).
    pub probes: Option<&'a Probes>,
    /// What the API servers answered to the access preflight (SelfSubjectAccessReview and
    /// SelfSubjectRulesReview); `None` unless the run is live.
    pub access: Option<&'a AccessFacts>,
}
