//! Live checks against kubesim's problem scenarios: one config whose jobs each reach one problem
//! (file SD, so real Prometheus 2.42 can scrape the very same config), the exact findings
//! prom-preflight reports for it, and agreement with Prometheus's own verdict (`health` and
//! `lastError`) for every target.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kubesim::{Options, RunningSim, Scenario, Sim};
use prom_preflight::probe::authz::Answer;
use prom_preflight::probe::{Health, ProbeOptions};
use prom_preflight::version::PrometheusVersion;

struct Started {
    sim: RunningSim,
    files: PathBuf,
}

fn start(name: &str, dir: &Path) -> Started {
    let sim = Sim::start(
        Scenario::named(name).expect("scenario loads"),
        Options {
            ephemeral_ports: true,
            log_requests: false,
        },
    )
    .expect("scenario starts");
    let files = dir.join(name);
    kubesim::output::write_files(&sim, &files).expect("files written");
    let files = files.canonicalize().unwrap();
    Started { sim, files }
}

impl Started {
    fn token(&self) -> String {
        let c = &self.sim.clusters[0];
        self.files
            .join(&c.name)
            .join("monitoring_prometheus.token")
            .display()
            .to_string()
    }
    fn ca(&self) -> String {
        let c = &self.sim.clusters[0];
        self.files
            .join(&c.name)
            .join("ca.crt")
            .display()
            .to_string()
    }
    fn api(&self) -> String {
        self.sim.clusters[0].api_addr.to_string()
    }
    fn exporter(&self, pod: &str) -> String {
        self.sim.clusters[0]
            .exporters
            .iter()
            .find(|(name, _)| name == pod)
            .map(|(_, addr)| addr.to_string())
            .expect("the scenario has the pod")
    }
    fn kubelet(&self) -> String {
        self.sim.clusters[0].nodes[0].kubelet.to_string()
    }
}

struct Job {
    name: &'static str,
    scheme: &'static str,
    path: &'static str,
    target: String,
    tls: String,
    token: Option<String>,
    extra: &'static str,
    /// The findings expected for this job (check ids), besides none else.
    expect: &'static [&'static str],
}

impl Job {
    /// `GET /metrics` over plain HTTP, without credentials.
    fn http(name: &'static str, target: String, expect: &'static [&'static str]) -> Job {
        Job {
            name,
            scheme: "http",
            path: "/metrics",
            target,
            tls: String::new(),
            token: None,
            extra: "",
            expect,
        }
    }
}

impl Started {
    /// `GET /metrics` of the first cluster's API server with its token, verifying its CA.
    fn api_job(&self, name: &'static str, expect: &'static [&'static str]) -> Job {
        Job {
            scheme: "https",
            tls: format!("ca_file: {}", self.ca()),
            token: Some(self.token()),
            ..Job::http(name, self.api(), expect)
        }
    }

    /// `GET /metrics` of the first node's kubelet with the cluster's token, not verifying it.
    fn kubelet_job(&self, name: &'static str, expect: &'static [&'static str]) -> Job {
        Job {
            scheme: "https",
            tls: "insecure_skip_verify: true".to_string(),
            token: Some(self.token()),
            ..Job::http(name, self.kubelet(), expect)
        }
    }
}

fn write_config(dir: &Path, jobs: &[Job]) -> PathBuf {
    let mut cfg =
        String::from("global:\n  scrape_interval: 2s\n  scrape_timeout: 1s\nscrape_configs:\n");
    for j in jobs {
        let sd = dir.join(format!("{}.json", j.name));
        std::fs::write(&sd, format!("[{{\"targets\": [\"{}\"]}}]", j.target)).unwrap();
        cfg.push_str(&format!(
            "  - job_name: {}\n    scheme: {}\n    metrics_path: {}\n    tls_config: {{{}}}\n{}{}    file_sd_configs: [{{files: ['{}']}}]\n",
            j.name,
            j.scheme,
            j.path,
            j.tls,
            j.token
                .as_ref()
                .map(|t| format!("    authorization: {{credentials_file: {t}}}\n"))
                .unwrap_or_default(),
            j.extra,
            sd.display()
        ));
    }
    let path = dir.join("prometheus.yml");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// Starts every scenario once and describes one job per problem.
fn world(dir: &Path) -> (Vec<Started>, Vec<Job>) {
    let rbac = start("rbac-missing-nodes-metrics", dir);
    let san = start("tls-wrong-san", dir);
    let unknown = start("tls-unknown-ca", dir);
    let expired = start("tls-expired", dir);
    let slow = start("payload-slow-first-byte", dir);
    let seed = start("seed", dir);
    let token = start("token-expired", dir);
    let identity = start("rbac-apiserver-kubelet-client", dir);
    let payload = start("payload-faults", dir);
    let answers = start("http-answers", dir);
    let not_yet = start("tls-not-yet-valid", dir);
    let jobs = vec![
        rbac.kubelet_job("forbidden", &["rbac/forbidden", "tls/insecure-skip-verify"]),
        san.api_job("name-mismatch", &["tls/name-mismatch"]),
        unknown.api_job("unknown-authority", &["tls/unknown-authority"]),
        Job {
            tls: format!("ca_file: {}", seed.ca()),
            ..seed.kubelet_job("kubelet-self-signed", &["tls/name-mismatch"])
        },
        expired.api_job("expired", &["tls/expired"]),
        Job::http(
            "deadline",
            slow.sim.clusters[0].exporters[0].1.to_string(),
            &["scrape/timeout"],
        ),
        Job {
            path: "/metrics/cadvisor",
            extra: "    body_size_limit: 10KB\n",
            ..seed.kubelet_job(
                "body-size",
                &["scrape/body-size-limit", "tls/insecure-skip-verify"],
            )
        },
        token.api_job("token-expired", &["auth/token-expired"]),
        Job {
            path: "/api/v1/nodes/lab-node-1/proxy/metrics",
            ..identity.api_job("proxy-identity", &["rbac/apiserver-identity-refused"])
        },
        Job {
            path: "/metircs",
            ..answers.kubelet_job(
                "not-found",
                &["scrape/not-found", "tls/insecure-skip-verify"],
            )
        },
        Job {
            extra: "    follow_redirects: false\n",
            ..Job::http(
                "redirect",
                answers.exporter("monitoring/redirecting"),
                &["scrape/redirect-not-followed"],
            )
        },
        Job::http(
            "rate-limited",
            answers.exporter("monitoring/limited-429"),
            &["scrape/http-status"],
        ),
        Job {
            path: "/api/v1/namespaces/monitoring/services/down-backend:http/proxy/metrics",
            // The scenario grants `nodes/proxy`, which no job scraping this API server needs;
            // the access preflight files that under the first job that reaches it.
            ..answers.api_job(
                "proxy-no-endpoints",
                &["scrape/proxy-backend-down", "rbac/over-broad"],
            )
        },
        Job {
            path: "/api/v1/namespaces/monitoring/services/refused-backend:http/proxy/metrics",
            ..answers.api_job("proxy-refused", &["scrape/proxy-backend-down"])
        },
        not_yet.api_job("not-yet-valid", &["tls/not-yet-valid"]),
        Job {
            path: "/metrics/cadvisor",
            ..seed.kubelet_job("ok", &["tls/insecure-skip-verify"])
        },
        Job {
            extra: "    sample_limit: 9\n",
            ..Job::http(
                "sample-limit",
                payload.exporter("monitoring/many-samples"),
                &["scrape/sample-limit"],
            )
        },
        Job {
            extra: "    label_limit: 5\n",
            ..Job::http(
                "label-limit",
                payload.exporter("monitoring/many-labels"),
                &["scrape/label-limit"],
            )
        },
        Job {
            extra: "    label_value_length_limit: 64\n",
            ..Job::http(
                "label-value-length",
                payload.exporter("monitoring/many-labels"),
                &["scrape/label-length-limit"],
            )
        },
        Job {
            extra: "    label_name_length_limit: 7\n",
            ..Job::http(
                "label-name-length",
                payload.exporter("monitoring/many-labels"),
                &["scrape/label-length-limit"],
            )
        },
        Job::http(
            "unparseable",
            payload.exporter("monitoring/bad-syntax"),
            &["scrape/unparseable"],
        ),
        // 2.42 parses any Content-Type as the text format.
        Job::http(
            "html-content-type",
            payload.exporter("monitoring/html-type"),
            &[],
        ),
        Job {
            extra: "    sample_limit: 3\n    label_limit: 7\n",
            ..Job::http(
                "near-limits",
                payload.exporter("monitoring/many-labels"),
                &["scrape/sample-limit-near", "scrape/label-limit-near"],
            )
        },
    ];
    (
        vec![
            rbac, san, unknown, expired, slow, seed, token, identity, payload, answers, not_yet,
        ],
        jobs,
    )
}

fn live(config: &Path) -> prom_preflight::report::Report {
    prom_preflight::check_live(
        config,
        PrometheusVersion::V2_42,
        &ProbeOptions::default(),
        &Default::default(),
    )
    .expect("live check runs")
}

#[test]
fn each_problem_scenario_yields_exactly_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (_sims, jobs) = world(dir.path());
    let config = write_config(dir.path(), &jobs);
    let report = live(&config);
    assert_eq!(report.mode, "live");
    // A loaded machine can make any scrape slow; that warning is not what this test is about.
    let got: BTreeSet<(String, String)> = report
        .findings
        .iter()
        .filter(|f| f.check != "scrape/slow")
        .map(|f| (f.job.clone().unwrap_or_default(), f.check.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = jobs
        .iter()
        .flat_map(|j| {
            j.expect
                .iter()
                .map(|id| (j.name.to_string(), id.to_string()))
        })
        .collect();
    assert_eq!(got, want, "findings: {:#?}", report.findings);
    // One finding per (job, check), each naming its target.
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.check != "scrape/slow")
            .count(),
        want.len()
    );
    // Every probe finding names its target; an over-broad grant belongs to an API server.
    assert!(report
        .findings
        .iter()
        .filter(|f| f.check != "rbac/over-broad")
        .all(|f| f.target.is_some()));

    let facts = |job: &str| {
        report
            .targets
            .iter()
            .find(|t| t.job == job)
            .unwrap_or_else(|| panic!("no probe of {job}"))
    };
    // The decoded rule of the kubelet's 403.
    let Some(Answer::Forbidden(denial)) = &facts("forbidden").answer else {
        panic!("forbidden: {:?}", facts("forbidden").answer)
    };
    assert_eq!(denial.user, "system:serviceaccount:monitoring:prometheus");
    assert_eq!(
        denial.missing.to_yaml(),
        r#"- {apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"]}"#
    );
    // The relayed 403 names the API server's identity.
    let Some(Answer::Forbidden(denial)) = &facts("proxy-identity").answer else {
        panic!("proxy-identity: {:?}", facts("proxy-identity").answer)
    };
    assert!(denial.apiserver_identity);
    // The name a wrong-SAN certificate does verify under.
    let tls = facts("name-mismatch").tls().expect("tls facts");
    assert_eq!(tls.server_name_that_verifies.as_deref(), Some("kubernetes"));
    assert_eq!(
        tls.leaf().unwrap().ip_addresses,
        vec!["10.43.0.1", "192.168.10.5"]
    );
    // The expired token's claims, never the token.
    let claims = facts("token-expired").token.as_ref().expect("claims");
    assert_eq!(
        claims.subject.as_deref(),
        Some("system:serviceaccount:monitoring:prometheus")
    );
    let token_text = std::fs::read_to_string(jobs[7].token.as_ref().unwrap()).unwrap();
    let json = prom_preflight::report::json::render(&report);
    assert!(
        !json.contains(token_text.trim()),
        "the token leaked into the report"
    );
    // Compressed and uncompressed bytes of a gzip body, and the body limit that stopped it.
    let body = &facts("body-size").response().expect("a response").body;
    assert_eq!(body.uncompressed_bytes, 10 * 1024);
    assert!(body.compressed_bytes > 0 && body.compressed_bytes < body.uncompressed_bytes);
    assert_eq!(facts("ok").health, Health::Up);
    // After a 404, the well-known kubelet paths were asked; the nearest to `/metircs` answers.
    let nearby = &facts("not-found").nearby_paths;
    assert!(
        nearby
            .iter()
            .any(|a| a.nearest && a.path == "/metrics" && a.ok()),
        "{nearby:?}"
    );
    assert_eq!(nearby.len(), 4, "{nearby:?}");
}

/// Go's x509 expiry message carries the current time; compare up to it.
fn class(error: &str) -> &str {
    match error.find("current time") {
        Some(i) => &error[..i],
        None => error,
    }
}

#[test]
fn verdicts_agree_with_prometheus_2_42() {
    let Some(bin) = support::oracle("prometheus", "probe verdicts (health, lastError)") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_sims, jobs) = world(dir.path());
    let config = write_config(dir.path(), &jobs);
    let prometheus = testkit::prometheus::start(&bin, &config, &[]);
    let ours = live(&config);
    let theirs = prometheus
        .verdicts("scrapePool", jobs.len())
        .expect("prometheus did not scrape every job");
    let mut agree = 0;
    for t in &ours.targets {
        let (health, last_error) = &theirs[&t.job];
        let our_health = match t.health {
            Health::Up => "up",
            Health::Down => "down",
        };
        let our_error = t.error.clone().unwrap_or_default();
        assert_eq!(our_health, health, "{}: health", t.job);
        // Parse errors: the failing line is found, but the parser's token names are not
        // reproduced (Prometheus says `expected label name, got "INVALID"` where we say
        // `expected comma or closing brace, got "5"`); both must be parse errors.
        if t.job == "unparseable" {
            assert!(
                our_error.starts_with("expected ") && last_error.starts_with("expected "),
                "unparseable: ours {our_error:?}, Prometheus {last_error:?}"
            );
            eprintln!("unparseable: {our_error:?} / prometheus {last_error:?}");
            agree += 1;
            continue;
        }
        // Prometheus may add Go's "(possibly because of …)" detail to an unknown authority.
        assert!(
            last_error.starts_with(class(&our_error)),
            "{}: ours {our_error:?}, Prometheus {last_error:?}",
            t.job
        );
        // Past notAfter or before notBefore: the words after the current time tell them apart.
        for relation in [" is before ", " is after "] {
            assert_eq!(
                our_error.contains(relation),
                last_error.contains(relation),
                "{}: ours {our_error:?}, Prometheus {last_error:?}",
                t.job
            );
        }
        eprintln!(
            "{}: {our_health} {our_error:?} / prometheus {health} {last_error:?}",
            t.job
        );
        agree += 1;
    }
    assert_eq!(agree, jobs.len());
}

#[test]
fn secrets_appear_in_no_output_or_error() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start("rbac-missing-nodes-metrics", dir.path());
    let token = "SENTINEL-TOKEN-9f8e7d6c5b4a";
    let password = "SENTINEL-PASSWORD-1a2b3c4d";
    let key = "SENTINEL-KEY-5e6f7a8b9c0d";
    let file_token = std::fs::read_to_string(sim.token()).unwrap();
    std::fs::write(dir.path().join("client.key"), format!("{key}\n")).unwrap();
    std::fs::write(dir.path().join("client.crt"), "not a certificate\n").unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "scrape_configs:
  - job_name: inline-token
    scheme: https
    scrape_timeout: 5s
    bearer_token: {token}
    tls_config: {{ca_file: {ca}}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: basic-auth
    scheme: https
    scrape_timeout: 5s
    basic_auth: {{username: u, password: {password}}}
    tls_config: {{ca_file: {ca}}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: token-file-forbidden
    scheme: https
    scrape_timeout: 5s
    authorization: {{credentials_file: {token_file}}}
    tls_config: {{insecure_skip_verify: true}}
    static_configs: [{{targets: ['{kubelet}']}}]
  - job_name: client-key
    scheme: https
    scrape_timeout: 5s
    tls_config: {{ca_file: {ca}, cert_file: client.crt, key_file: client.key}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: refused
    scrape_timeout: 2s
    bearer_token: {token}
    static_configs: [{{targets: ['127.0.0.1:1']}}]
",
            ca = sim.ca(),
            api = sim.api(),
            kubelet = sim.kubelet(),
            token_file = sim.token(),
        ),
    )
    .unwrap();
    for format in ["human", "json"] {
        let out = support::run(
            Command::new(support::preflight_bin()).args([
                "check",
                config.to_str().unwrap(),
                "--format",
                format,
                "--color",
                "always",
            ]),
            Duration::from_secs(60),
        );
        assert_eq!(out.code(), 1, "{format}: findings expected: {}", out.stderr);
        for secret in [token, password, key, file_token.trim()] {
            assert!(
                !out.stdout.contains(secret),
                "{format}: stdout shows a secret"
            );
            assert!(
                !out.stderr.contains(secret),
                "{format}: stderr shows a secret"
            );
        }
        assert!(out.stdout.contains("rbac/forbidden"), "{format}");
        assert!(out.stdout.contains("auth/unauthorized"), "{format}");
    }
}

/// Starts Prometheus 2.42 on `config` and returns every active target's (health, lastError)
/// once `want` were scraped, keyed by scrape URL.
fn prometheus_targets(bin: &Path, config: &Path, want: usize) -> testkit::Verdicts {
    testkit::prometheus::start(bin, config, &[])
        .verdicts("scrapeUrl", want)
        .expect("prometheus did not scrape every target")
}

/// The relabel rules `scrape/alternate-path-works` suggests, appended to the job, make real
/// Prometheus scrape every kubelet that failed before, at the URL the probe tried. (The
/// installed Prometheus is built without Kubernetes SD, so it reads the labels the node role
/// discovers from a file SD group instead.)
#[test]
fn suggested_access_path_works_in_prometheus_2_42() {
    let Some(bin) = support::oracle("prometheus", "the suggested relabel_configs") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rbac = start("rbac-missing-nodes-metrics", dir.path());
    let client = format!(
        "global:\n  scrape_interval: 2s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: kubelet\n    scheme: https\n    tls_config: {{insecure_skip_verify: true}}\n    authorization: {{credentials_file: {token}}}\n",
        token = rbac.token(),
    );
    let config = dir.path().join("direct.yml");
    std::fs::write(
        &config,
        format!(
            "{client}    kubernetes_sd_configs:\n      - role: node\n        api_server: https://{api}\n        bearer_token_file: {token}\n        tls_config: {{ca_file: {ca}}}\n",
            api = rbac.api(),
            token = rbac.token(),
            ca = rbac.ca(),
        ),
    )
    .unwrap();
    let report = live(&config);
    let alternates: Vec<_> = report
        .targets
        .iter()
        .filter_map(|t| t.alternate.as_ref())
        .collect();
    assert_eq!(alternates.len(), 2, "{:#?}", report.targets);
    assert!(alternates.iter().all(|a| a.health == Health::Up));
    assert!(report
        .findings
        .iter()
        .any(|f| f.check == "scrape/alternate-path-works"));

    // What the node role discovers for each node, as file SD groups.
    let groups: Vec<serde_json::Value> = rbac.sim.clusters[0]
        .nodes
        .iter()
        .map(|n| {
            serde_json::json!({
                "targets": [n.kubelet.to_string()],
                "labels": {
                    "instance": n.name,
                    "__meta_kubernetes_node_name": n.name,
                    "__meta_kubernetes_node_address_InternalIP": n.kubelet.ip().to_string(),
                }
            })
        })
        .collect();
    let sd = dir.path().join("nodes.json");
    std::fs::write(&sd, serde_json::to_string(&groups).unwrap()).unwrap();
    let file_sd = format!("    file_sd_configs: [{{files: ['{}']}}]\n", sd.display());
    let before_path = dir.path().join("before.yml");
    std::fs::write(&before_path, format!("{client}{file_sd}")).unwrap();
    let mut fixed = format!("{client}{file_sd}    relabel_configs:\n");
    for rule in &alternates[0].relabel_configs {
        for line in rule.to_yaml().lines() {
            fixed.push_str(&format!("      {line}\n"));
        }
    }
    let fixed_path = dir.path().join("fixed.yml");
    std::fs::write(&fixed_path, &fixed).unwrap();

    let before = prometheus_targets(&bin, &before_path, 2);
    assert!(
        before
            .values()
            .all(|(h, e)| h == "down" && e == "server returned HTTP status 403 Forbidden"),
        "{before:?}"
    );
    let after = prometheus_targets(&bin, &fixed_path, 2);
    let tried: BTreeSet<&str> = alternates.iter().map(|a| a.url.as_str()).collect();
    assert_eq!(
        after.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        tried,
        "Prometheus scrapes the URLs the probe tried"
    );
    assert!(after.values().all(|(h, _)| h == "up"), "{after:?}\n{fixed}");
}
