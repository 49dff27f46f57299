//! Running the probes: one per distinct active target, at most `concurrency` at once and at most
//! `per_host` per `host:port`, each through its job's [`Transport`].

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::model::Config;
use crate::go_quote::go_quote;
use crate::labels::{reserved, Labels};
use crate::probe::alternate::{self, Alternate};
use crate::probe::payload::PayloadConsumer;
use crate::probe::request::{scrape_request, target_timeout};
use crate::probe::verdict::{alertmanager_verdict, verdict, Health};
use crate::probe::{authz, nearby, token, ProbeFacts, ProbeKind, ProbeOptions, Probes};
use crate::targets::alertmanager::{self, AlertmanagerState, AlertmanagerTargets};
use crate::targets::{go_url, JobTargets, TargetState};
use crate::transport::{Request, Transport};
use crate::version::PrometheusVersion;

/// One scrape to probe.
struct Planned {
    job_index: usize,
    job: String,
    cluster: Option<String>,
    target_indices: Vec<usize>,
    instance: String,
    scrape_url: String,
    timeout: std::time::Duration,
    body_size_limit: u64,
    /// The analyzer's options: the job's limits and the labels the target adds to each series.
    payload: Option<crate::exposition::Options>,
    transport: Result<Transport, String>,
    /// For an alertmanager: its index and the URL alerts are posted to.
    alertmanager: Option<(usize, String)>,
    /// The other access path of a kubelet target, tried when this one fails.
    alternate: Option<alternate::Plan>,
}

fn plan(
    config: &Config,
    jobs: &[JobTargets],
    version: PrometheusVersion,
    options: &ProbeOptions,
) -> Vec<Planned> {
    let mut planned: Vec<Planned> = Vec::new();
    for job in jobs {
        let Some(scrape) = config.scrape_configs.get(job.job_index) else {
            continue;
        };
        let transport = Transport::new(&scrape.http, &options.transport).map_err(|e| e.to_string());
        let mut seen: HashMap<(&Labels, &str), usize> = HashMap::new();
        let mut alternates = alternate::Planner::new(scrape, version);
        for (i, resolved) in job.targets.iter().enumerate() {
            let TargetState::Active { labels, scrape_url } = &resolved.target.state else {
                continue;
            };
            if let Some(&at) = seen.get(&(labels, scrape_url.as_str())) {
                planned[at].target_indices.push(i);
                continue;
            }
            seen.insert((labels, scrape_url.as_str()), planned.len());
            planned.push(Planned {
                cluster: resolved.cluster.clone(),
                job_index: job.job_index,
                job: scrape.job_name.clone(),
                target_indices: vec![i],
                instance: labels.get(reserved::INSTANCE).cloned().unwrap_or_default(),
                scrape_url: scrape_url.clone(),
                timeout: target_timeout(labels, scrape.scrape_timeout, version),
                body_size_limit: scrape.limits.body_size_limit,
                payload: Some(crate::probe::payload::options(scrape, labels, version)),
                transport: transport.clone(),
                alternate: alternates.plan(job, resolved, scrape_url),
                alertmanager: None,
            });
        }
    }
    planned
}

/// One probe per distinct active alertmanager: `GET <scheme>://<address><prefix>/api/v2/status`
/// through the entry's HTTP client config, within the entry's `timeout`.
fn plan_alertmanagers(
    config: &Config,
    sets: &[AlertmanagerTargets],
    options: &ProbeOptions,
) -> Vec<Planned> {
    let mut planned = Vec::new();
    for set in sets {
        let Some(am) = config.alertmanagers.get(set.index) else {
            continue;
        };
        let transport = Transport::new(&am.http, &options.transport).map_err(|e| e.to_string());
        for (i, target) in set.targets.iter().enumerate() {
            let AlertmanagerState::Active {
                labels,
                url,
                duplicate: false,
            } = &target.state
            else {
                continue;
            };
            let label = |name: &str| labels.get(name).map_or("", String::as_str);
            let alerts_path = label(alertmanager::ALERTS_PATH);
            // The status endpoint sits beside the alerts endpoint, also when relabeling moved it.
            let status = ["/api/v2/alerts", "/api/v1/alerts"]
                .iter()
                .find_map(|suffix| alerts_path.strip_suffix(suffix))
                .map(|prefix| format!("{prefix}/api/v2/status"))
                .unwrap_or_else(|| alertmanager::status_path(&am.path_prefix));
            planned.push(Planned {
                job_index: usize::MAX,
                job: alertmanager::display_name(set.index),
                cluster: target.cluster.clone(),
                target_indices: vec![i],
                instance: label(reserved::ADDRESS).to_string(),
                scrape_url: go_url(label(reserved::SCHEME), label(reserved::ADDRESS), &status),
                timeout: am.timeout,
                body_size_limit: 0,
                // An Alertmanager's status is JSON, not an exposition.
                payload: None,
                transport: transport.clone(),
                alertmanager: Some((set.index, url.clone())),
                alternate: None,
            });
        }
    }
    planned
}

/// Probes every active target of `jobs`; blocks until all are done (each within its timeout).
pub fn probe_all(
    config: &Config,
    jobs: &[JobTargets],
    version: PrometheusVersion,
    options: &ProbeOptions,
) -> Probes {
    probe_all_with_alertmanagers(config, jobs, &[], version, options)
}

/// Like [`probe_all`], and also every active alertmanager of `alertmanagers`.
pub fn probe_all_with_alertmanagers(
    config: &Config,
    jobs: &[JobTargets],
    alertmanagers: &[AlertmanagerTargets],
    version: PrometheusVersion,
    options: &ProbeOptions,
) -> Probes {
    crate::transport::install_crypto_provider();
    let mut planned = plan(config, jobs, version, options);
    planned.extend(plan_alertmanagers(config, alertmanagers, options));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    match runtime {
        Ok(rt) => rt.block_on(run(planned, version, options)),
        Err(e) => Probes {
            targets: planned
                .into_iter()
                .map(|p| unprobed(p, format!("failed to start the probe runtime: {e}")))
                .collect(),
            duration: std::time::Duration::ZERO,
        },
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The facts every probe has, before anything was asked: down, with no answer yet.
fn planned_facts(p: Planned, probed_at: i64) -> ProbeFacts {
    let (kind, alertmanager_index, alerts_url) = alertmanager_fields(&p);
    ProbeFacts {
        kind,
        alertmanager_index,
        alerts_url,
        job_index: p.job_index,
        job: p.job,
        cluster: p.cluster,
        target_indices: p.target_indices,
        instance: p.instance,
        scrape_url: p.scrape_url,
        timeout: p.timeout,
        body_size_limit: p.body_size_limit,
        probed_at,
        health: Health::Down,
        error: None,
        client_error: None,
        fetch: None,
        answer: None,
        bearer_claims: None,
        token: None,
        error_body: None,
        payload: None,
        alternate: None,
        nearby_paths: Vec::new(),
    }
}

fn unprobed(p: Planned, error: String) -> ProbeFacts {
    ProbeFacts {
        error: Some(error.clone()),
        client_error: Some(error),
        ..planned_facts(p, now_unix())
    }
}

fn host_key(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or(""),
                u.port_or_known_default().unwrap_or(0)
            )
        })
        .unwrap_or_default()
}

async fn run(planned: Vec<Planned>, version: PrometheusVersion, options: &ProbeOptions) -> Probes {
    let start = Instant::now();
    let total = planned.len();
    let global = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = JoinSet::new();
    for (order, p) in planned.into_iter().enumerate() {
        let host = per_host
            .entry(host_key(&p.scrape_url))
            .or_insert_with(|| Arc::new(Semaphore::new(options.per_host.max(1))))
            .clone();
        let global = global.clone();
        // A probe's future is large (kilobytes of state across TLS, HTTP and the payload
        // analyzer); boxing it after the slots are taken keeps a waiting probe to its plan, so
        // memory grows with the concurrency rather than with the number of targets.
        tasks.spawn(async move {
            let _host = host.acquire_owned().await;
            let _slot = global.acquire_owned().await;
            (order, Box::pin(probe_one(p, version)).await)
        });
    }
    let mut bar = Progress::new(options.progress, total);
    let mut done: Vec<(usize, ProbeFacts)> = Vec::with_capacity(total);
    while let Some(joined) = tasks.join_next().await {
        if let Ok(result) = joined {
            done.push(result);
        }
        bar.update(done.len());
    }
    bar.finish();
    done.sort_by_key(|(order, _)| *order);
    Probes {
        targets: done.into_iter().map(|(_, facts)| facts).collect(),
        duration: start.elapsed(),
    }
}

/// A one-line progress bar on stderr: `probing [#######.............]  7/19 targets  1.2s`.
///
/// Drawn only when stderr is a terminal and `CI` is unset (CI runners that allocate a pseudo
/// terminal would otherwise fill their logs), `TERM` is not `dumb`, and only once the probes take
/// longer than [`Progress::DELAY`], so a quick run leaves no trace. Hand-written rather than
/// indicatif: one line redrawn with `\r` needs no terminal library, and the dependency would add
/// several crates to every build for it.
struct Progress {
    enabled: bool,
    total: usize,
    start: Instant,
    last_draw: Option<Instant>,
}

impl Progress {
    const DELAY: Duration = Duration::from_millis(300);
    const INTERVAL: Duration = Duration::from_millis(100);
    const WIDTH: usize = 20;

    fn new(wanted: bool, total: usize) -> Progress {
        let enabled = wanted
            && total > 0
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
        Progress {
            enabled,
            total,
            start: Instant::now(),
            last_draw: None,
        }
    }

    fn update(&mut self, done: usize) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let elapsed = now.duration_since(self.start);
        let due = self
            .last_draw
            .is_none_or(|last| now.duration_since(last) >= Self::INTERVAL);
        if elapsed < Self::DELAY || !due {
            return;
        }
        self.last_draw = Some(now);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}", bar_line(done, self.total, elapsed));
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.last_draw.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

fn bar_line(done: usize, total: usize, elapsed: Duration) -> String {
    let width = Progress::WIDTH;
    let filled = (done * width)
        .checked_div(total)
        .unwrap_or(width)
        .min(width);
    let digits = total.to_string().len();
    format!(
        "probing [{}{}] {done:>digits$}/{total} targets {:>5.1}s",
        "#".repeat(filled),
        ".".repeat(width - filled),
        elapsed.as_secs_f64()
    )
}

fn alertmanager_fields(p: &Planned) -> (Option<ProbeKind>, Option<usize>, Option<String>) {
    match &p.alertmanager {
        Some((index, url)) => (
            Some(ProbeKind::Alertmanager),
            Some(*index),
            Some(url.clone()),
        ),
        None => (None, None, None),
    }
}

/// The status request of an alertmanager probe: `User-Agent` as Prometheus sends it, no scrape
/// headers. Go's client refuses schemes other than http and https.
fn alertmanager_request(
    url: &str,
    timeout: std::time::Duration,
    version: PrometheusVersion,
) -> Result<Request, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("failed to parse {url:?}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "Get {}: unsupported protocol scheme {}",
            go_quote(url),
            go_quote(parsed.scheme())
        ));
    }
    let mut request = Request::get(parsed, timeout);
    request.headers = vec![(
        "User-Agent".into(),
        format!("Prometheus/{}.{}.0", version.major, version.minor),
    )];
    Ok(request)
}

async fn probe_one(p: Planned, version: PrometheusVersion) -> ProbeFacts {
    let transport = match &p.transport {
        Ok(t) => t.clone(),
        Err(e) => {
            let e = e.clone();
            return unprobed(p, e);
        }
    };
    let request = match &p.alertmanager {
        Some(_) => alertmanager_request(&p.scrape_url, p.timeout, version),
        None => scrape_request(&p.scrape_url, p.timeout, p.body_size_limit, version),
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => return unprobed(p, e),
    };
    let mut consumer = PayloadConsumer::new(p.payload.clone());
    let probed_at = now_unix();
    let mut fetch = transport.get(&request, &mut consumer).await;
    let payload = fetch
        .outcome
        .as_ref()
        .ok()
        .and_then(|response| consumer.facts(response));
    // The prefix serves only the error body below. Facts outlive the probe (a fleet run keeps
    // thousands), and 4 KiB each was a tenth of such a run's peak memory.
    let body_prefix = fetch
        .outcome
        .as_mut()
        .map(|response| std::mem::take(&mut response.body_prefix))
        .unwrap_or_default();
    let (health, error) = match &p.alertmanager {
        Some(_) => alertmanager_verdict(&fetch, version),
        None => verdict(&fetch, payload.as_ref().map(|p| &p.summary), version),
    };
    let mut answer = None;
    let mut claims = None;
    let bearer_claims = transport
        .bearer_token()
        .and_then(|t| token::decode(t.expose()));
    let mut error_body = None;
    let mut nearby_paths = Vec::new();
    if let Ok(response) = &fetch.outcome {
        // An Alertmanager's well-known paths are not metrics paths.
        if response.status == 404 && p.alertmanager.is_none() {
            nearby_paths = nearby::ask(&transport, &p.scrape_url, p.timeout, version).await;
        }
        if !response.is_success() {
            let text = String::from_utf8_lossy(&body_prefix);
            let path = request.url.path().to_string();
            answer = authz::decode(response.status, &text, &path);
            if response.status == 401 {
                claims = bearer_claims.clone();
            }
            let secrets = transport.wire_secrets();
            error_body = Some(redact(&text, secrets.iter().map(|s| s.expose())));
        }
    }
    let alternate = match (&p.alternate, health) {
        (Some(plan), Health::Down) => Some(try_alternate(&transport, plan, &p, version).await),
        _ => None,
    };
    ProbeFacts {
        health,
        error,
        fetch: Some(fetch),
        answer,
        bearer_claims,
        token: claims,
        error_body,
        payload,
        alternate,
        nearby_paths,
        ..planned_facts(p, probed_at)
    }
}

/// Scrapes the other access path once, as Prometheus would after the switch.
async fn try_alternate(
    transport: &Transport,
    plan: &alternate::Plan,
    p: &Planned,
    version: PrometheusVersion,
) -> Alternate {
    let (timeout, body_size_limit) = (p.timeout, p.body_size_limit);
    let (health, error) = match scrape_request(&plan.url, timeout, body_size_limit, version) {
        Ok(request) => {
            let mut consumer = PayloadConsumer::new(p.payload.clone());
            let fetch = transport.get(&request, &mut consumer).await;
            let payload = fetch
                .outcome
                .as_ref()
                .ok()
                .and_then(|response| consumer.facts(response));
            verdict(&fetch, payload.as_ref().map(|f| &f.summary), version)
        }
        Err(e) => (Health::Down, Some(e)),
    };
    Alternate {
        configured: plan.configured,
        tried: plan.tried,
        node: plan.node.clone(),
        url: plan.url.clone(),
        health,
        error,
        relabel_configs: plan.rules.clone(),
    }
}

/// Keeps at most 1 KiB of an error body and removes the credentials should a server echo
/// them (the token, basic auth's base64 pair, its password). Secrets are removed before the
/// cut, so a secret straddling the 1 KiB boundary cannot leave a readable prefix.
fn redact<'a>(text: &str, secrets: impl Iterator<Item = &'a str>) -> String {
    let mut out = text.to_string();
    for s in secrets.filter(|s| s.len() >= 8) {
        out = out.replace(s, "<redacted>");
    }
    out.chars().take(1024).collect()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_every_secret_before_cutting() {
        let body = format!(
            "{}Bearer SENTINEL-TOKEN and dTpTRU5USU5FTA== pw SENTINEL-PW",
            "x".repeat(1000)
        );
        let out = redact(
            &body,
            ["SENTINEL-TOKEN", "dTpTRU5USU5FTA==", "SENTINEL-PW"].into_iter(),
        );
        assert!(!out.contains("SENTINEL"), "{out}");
        assert!(!out.contains("dTpT"), "{out}");
        assert_eq!(out.chars().count(), 1024);
        // Short secrets are not searched for (they would shred ordinary text).
        assert_eq!(redact("abc", ["abc"].into_iter()), "abc");
    }
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_probes_done() {
        let at = Duration::from_millis(1234);
        assert_eq!(
            bar_line(7, 19, at),
            "probing [#######.............]  7/19 targets   1.2s"
        );
        assert_eq!(
            bar_line(19, 19, at),
            "probing [####################] 19/19 targets   1.2s"
        );
        assert_eq!(
            bar_line(0, 0, at),
            "probing [####################] 0/0 targets   1.2s"
        );
    }
}
