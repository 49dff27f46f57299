//! Wording of the HTTP-status findings: 404 (with the nearby paths that do answer), 5xx, the API
//! server proxy's 503 when the backend is down (its `Status` message decoded), a redirect that
//! `follow_redirects: false` stops at, and any other status. Pure.

use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::probe::ProbeFacts;

/// The path part of the scrape URL.
fn scrape_path(p: &ProbeFacts) -> String {
    url::Url::parse(&p.scrape_url)
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

fn proxied(path: &str) -> bool {
    path.starts_with("/api/v1/") && path.contains("/proxy")
}

/// The `message` of a Kubernetes `Status` error body.
fn status_message(p: &ProbeFacts) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(p.error_body.as_deref()?.trim()).ok()?;
    if v.get("kind").and_then(|k| k.as_str()) != Some("Status") {
        return None;
    }
    v.get("message")
        .and_then(|m| m.as_str())
        .map(str::to_string)
}

/// The API server's own 503 for a proxied request (its backend could not be reached), as the
/// `Status` message it wrote; `None` for a 503 the backend itself sent.
pub fn proxy_unavailable(p: &ProbeFacts) -> Option<String> {
    let response = p.response()?;
    if response.status != 503 || !proxied(&scrape_path(p)) {
        return None;
    }
    status_message(p)
}

/// A 404: what the nearby well-known paths answered, and the path to scrape instead.
pub fn not_found(spec: &CheckSpec, p: &ProbeFacts) -> (String, Option<String>) {
    let error = p.error.clone().unwrap_or_default();
    let path = scrape_path(p);
    let mut message = format!("{error}: nothing is served at {path}");
    let answering: Vec<&str> = p
        .nearby_paths
        .iter()
        .filter(|a| a.ok())
        .map(|a| a.path.as_str())
        .collect();
    let nearest = p.nearby_paths.iter().find(|a| a.nearest);
    if let Some(n) = nearest {
        message.push_str(&format!("; it looks like a typo of {:?}", n.path));
        if n.ok() {
            message.push_str(", which answers 200");
        }
    } else if p.nearby_paths.is_empty() {
        if let Some(near) = crate::probe::nearby::near_path(&path) {
            message.push_str(&format!("; did you mean {near:?}?"));
        }
    }
    if !p.nearby_paths.is_empty() {
        if answering.is_empty() {
            message.push_str(&format!(
                "; none of the well-known paths answers 200 on this host either ({})",
                p.nearby_paths
                    .iter()
                    .map(|a| match a.status {
                        Some(s) => format!("{} {s}", a.path),
                        None => format!("{} no answer", a.path),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            message.push_str(&format!(
                "; on the same host with the same credentials, these answer 200: {}",
                answering.join(", ")
            ));
        }
    }
    let best = nearest
        .filter(|n| n.ok() || p.nearby_paths.is_empty())
        .map(|n| n.path.clone())
        .or_else(|| answering.first().map(|s| s.to_string()))
        .or_else(|| {
            p.nearby_paths
                .is_empty()
                .then(|| crate::probe::nearby::near_path(&path))
                .flatten()
        });
    let remediation = best.map(|b| {
        format!(
            "Set `metrics_path: {b}` (or fix the relabel rule that sets `__metrics_path__`). {}",
            spec.remediation
        )
    });
    (message, remediation)
}

/// A 5xx the target itself sent.
pub fn server_error(p: &ProbeFacts) -> (String, Option<String>) {
    let error = p.error.clone().unwrap_or_default();
    let mut message = format!("{error}; the target was reached but failed to produce its metrics");
    if proxied(&scrape_path(p)) {
        message.push_str(" (the API server relayed the backend's answer)");
    }
    if let Some(first) = p
        .error_body
        .as_deref()
        .and_then(|b| b.lines().next())
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        message.push_str(&format!(": {first:?}"));
    }
    (message, None)
}

/// `/api/v1/namespaces/NS/services/[scheme:]NAME[:port]/proxy…` → (NS, NAME).
fn proxied_service(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/api/v1/namespaces/")?;
    let (ns, rest) = rest.split_once('/')?;
    let rest = rest
        .strip_prefix("services/")
        .or_else(|| rest.strip_prefix("pods/"))?;
    let (seg, _) = rest.split_once('/')?;
    let name = match seg.split(':').collect::<Vec<_>>().as_slice() {
        [name] => *name,
        ["http" | "https", name] => *name,
        [name, _port] => *name,
        [_scheme, name, ..] => *name,
        [] => return None,
    };
    Some((ns, name))
}

/// The API server's 503 for a proxied request whose backend is down.
pub fn proxy_backend_down(spec: &CheckSpec, p: &ProbeFacts) -> (String, Option<String>) {
    let error = p.error.clone().unwrap_or_default();
    let path = scrape_path(p);
    let status = proxy_unavailable(p).unwrap_or_default();
    let mut message = format!("{error}; the API server answered for its proxy: {status:?}");
    let service = proxied_service(&path);
    let remediation = if status.starts_with("no endpoints available for service") {
        message.push_str(": the service has no ready endpoint, so no pod behind it is Ready (or its selector matches none)");
        service.map(|(ns, name)| {
            format!(
                "Check `kubectl -n {ns} get endpoints {name}` and the readiness of the pods the service selects; scrape them once one is Ready. {}",
                spec.remediation
            )
        })
    } else if let Some(reason) = status.strip_prefix("error trying to reach service: ") {
        message.push_str(&format!(
            ": the API server found the backend but could not connect to it ({reason})"
        ));
        Some(format!(
            "Make the backend listen on the port the proxy path names, and let the API server reach it (network policy, firewall, the kubelet or pod being up). {}",
            spec.remediation
        ))
    } else if status.starts_with("no service port") {
        message.push_str(": the port in the proxy path is not a port of the service");
        Some(format!(
            "Name a port the service has in the proxy path (`services/NAME:PORT_NAME/proxy`). {}",
            spec.remediation
        ))
    } else {
        None
    };
    (message, remediation)
}

/// A redirect the job does not follow.
pub fn redirect_not_followed(
    spec: &CheckSpec,
    input: &CheckInput,
    p: &ProbeFacts,
) -> (String, Option<String>) {
    let error = p.error.clone().unwrap_or_default();
    let location = p.response().and_then(|r| r.location.clone());
    let follows = input
        .config
        .scrape_configs
        .get(p.job_index)
        .is_some_and(|s| s.http.follow_redirects);
    let Some(location) = location else {
        return (
            format!("{error}; the redirect carries no Location header"),
            None,
        );
    };
    let mut message = format!("{error}; the target redirects to {location:?}");
    if !follows {
        message.push_str(
            " and the job sets `follow_redirects: false`, so Prometheus stops at the redirect",
        );
    }
    let base = url::Url::parse(&p.scrape_url).ok();
    let target = base.as_ref().and_then(|b| b.join(&location).ok());
    let remediation = match (base, target) {
        (Some(base), Some(target))
            if base.scheme() == target.scheme()
                && base.host_str() == target.host_str()
                && base.port_or_known_default() == target.port_or_known_default() =>
        {
            Some(format!(
                "Set `metrics_path: {}` so the scrape goes where the target sends it, or remove `follow_redirects: false` (Prometheus then follows up to 10 redirects). {}",
                target.path(),
                spec.remediation
            ))
        }
        (_, Some(target)) => Some(format!(
            "The target sends scrapes to another endpoint ({target}): scrape that endpoint directly, or remove `follow_redirects: false`. {}",
            spec.remediation
        )),
        _ => None,
    };
    (message, remediation)
}

/// Any other non-200 status that is not an authorization answer.
pub fn other_status(p: &ProbeFacts) -> (String, Option<String>) {
    let error = p.error.clone().unwrap_or_default();
    let status = p.response().map(|r| r.status).unwrap_or(0);
    let mut message = error;
    match status {
        404 if p.alertmanager_index.is_some() => {
            message.push_str("; no Alertmanager API at this path: `path_prefix` must equal Alertmanager's `--web.route-prefix`");
            return (message, Some("Set the entry's `path_prefix` to the route prefix Alertmanager serves under (its `--web.route-prefix` or the path of `--web.external-url`), or point the entry at an Alertmanager.".to_string()));
        }
        429 => message.push_str("; the target is rate-limiting the scraper"),
        s if (200..300).contains(&s) => {
            message.push_str("; Prometheus accepts only 200, not other 2xx statuses")
        }
        s if (400..500).contains(&s) => message.push_str("; the target refused the request"),
        _ => {}
    }
    (message, None)
}

#[cfg(test)]
mod tests {
    use super::proxied_service;

    #[test]
    fn service_of_a_proxy_path() {
        assert_eq!(
            proxied_service(
                "/api/v1/namespaces/monitoring/services/down-backend:http/proxy/metrics"
            ),
            Some(("monitoring", "down-backend"))
        );
        assert_eq!(
            proxied_service("/api/v1/namespaces/m/services/https:svc:8443/proxy/metrics"),
            Some(("m", "svc"))
        );
        assert_eq!(proxied_service("/api/v1/nodes/n1/proxy/metrics"), None);
    }
}
