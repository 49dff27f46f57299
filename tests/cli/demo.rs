//! `demo` starts the seed's simulated clusters in-process and diagnoses them with `doctor`.

use crate::support::run;

#[test]
fn demo_diagnoses_the_seed_clusters() {
    let output = run(&["demo"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The matrix: both clusters, every job of the seed's config.
    for row in [
        "stage    stage-kubelet",
        "stage    stage-cadvisor",
        "product  product-node-exporter",
        "product  apiservers",
    ] {
        assert!(
            stdout.contains(row),
            "matrix row {row:?} missing:\n{stdout}"
        );
    }
    // The seed's real problems: one token used for both clusters in the static apiservers job,
    // TLS verification switched off where a server_name would do, and a relabel rule reading a
    // pod annotation the exporters do not carry.
    assert!(stdout.contains("error[auth/unauthorized]"), "{stdout}");
    assert!(
        stdout.contains("warning[tls/insecure-skip-verify]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("with `server_name: kubernetes` the job's CA would verify it"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning[relabel/never-matches]"),
        "{stdout}"
    );
    assert!(!stdout.contains("eyJ"), "no token in the report");
}
