//! `prom-preflight rbac CONFIG`: the minimal RBAC manifest the configuration needs, for the
//! identity each job's token belongs to. Live runs resolve discovery, confirm every rule with a
//! SelfSubjectAccessReview and mark over-broad grants (SelfSubjectRulesReview); `--offline`
//! computes from the configuration alone.

use crate::cli::RbacArgs;
use crate::commands::{network, write_stdout, Error};
use crate::config;
use crate::discover::kubernetes::Connector;
use crate::exit;
use crate::probe::access::manifest::{self, Section};
use crate::probe::access::{self, AccessFacts, AccessOptions};
use crate::targets;

/// The manifest confirmed by the reviews in `access` (empty when nothing is needed).
pub(crate) fn manifest_of(access: &AccessFacts) -> String {
    let sections: Vec<Section> = access.clusters.iter().map(Section::confirmed).collect();
    manifest::render(&sections)
}

/// Runs the command; exits 0 whenever a manifest could be computed.
pub(crate) fn run(args: RbacArgs) -> Result<u8, Error> {
    let version = args.common.prometheus_version;
    let loaded = config::load(&args.common.config, version)?;
    let net = network(args.offline)?;
    let connector = net.as_ref().map(|n| &n.connector as &dyn Connector);
    let jobs = targets::resolve(&loaded.config, version, false, connector);
    let reqs = access::compute(&loaded.config, &jobs);
    let text = if args.offline {
        let sections: Vec<Section> = reqs
            .identities
            .iter()
            .map(|req| Section::offline(req, access::subject_of(&loaded.config, req)))
            .collect();
        manifest::render(&sections)
    } else {
        manifest_of(&access::review_all(
            &loaded.config,
            &reqs,
            &AccessOptions::default(),
        ))
    };
    let text = if text.is_empty() {
        "# This configuration needs no Kubernetes permissions.\n".to_string()
    } else {
        text
    };
    write_stdout(&text)?;
    Ok(exit::OK)
}
