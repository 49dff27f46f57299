//! The 401/403 decoder never panics on any body: every 401 or 403 gets an answer, any other
//! status none; a decoded refusal renders its rule and manifest; the answer serializes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prom_preflight::probe::authz::{self, Answer};

const PATHS: [&str; 5] = [
    "/metrics",
    "/api/v1/nodes/node-1/proxy/metrics/cadvisor",
    "/api/v1/namespaces/monitoring/services/https:kube-state-metrics:8443/proxy/metrics",
    "/metrics?x=1",
    "",
];

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let status = match control % 4 {
        0 => 401,
        1 => 403,
        2 => 200,
        _ => 500,
    };
    let path = PATHS[usize::from(control >> 2) % PATHS.len()];
    let body = String::from_utf8_lossy(rest);
    let answer = authz::decode(status, &body, path);
    assert_eq!(answer.is_some(), status == 401 || status == 403);
    if let Some(answer) = &answer {
        serde_json::to_string(answer).expect("an answer serializes");
        if let Answer::Forbidden(denial) = answer {
            let manifest = denial.manifest();
            assert!(manifest.contains(&denial.missing.to_yaml()));
            let _ = denial.service_account();
        }
    }
    // The two message parsers on their own, on the raw text.
    if let Some(d) = authz::apiserver_denial(&body) {
        let _ = d.manifest();
    }
    if let Some(d) = authz::kubelet_denial(&body, path) {
        let _ = d.manifest();
    }
});
