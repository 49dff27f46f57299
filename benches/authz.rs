//! Decoding 401/403 answers (`probe::authz::decode`): the API server's Status JSON for a proxy
//! path and a namespaced service proxy with an RBAC reason, the kubelet's texts before and
//! after 1.32, a 401, and a 10 MB 403 body that matches no known shape.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prom_preflight::probe::authz::{decode, Answer};

const APISERVER_NODES_PROXY: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"node1\" is forbidden: User \"system:serviceaccount:monitoring:prometheus\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"name":"node1","kind":"nodes"},"code":403}"#;
const APISERVER_SERVICES_PROXY: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \"http:node-exporter:9100\" is forbidden: User \"system:serviceaccount:monitoring:prometheus\" cannot get resource \"services/proxy\" in API group \"\" in the namespace \"monitoring\": RBAC: clusterrole.rbac.authorization.k8s.io \"prometheus-reader\" not found","reason":"Forbidden","details":{"name":"http:node-exporter:9100","kind":"services"},"code":403}"#;
const KUBELET_1_31: &str = "Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)";
const KUBELET_1_33: &str = "Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource(s)=[pods proxy])";
const UNAUTHORIZED: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#;

/// What a decoder answer is, so a bench can check it measures the path it names: a decoder that
/// gave up early would be fast and wrong.
fn kind(answer: Option<Answer>) -> &'static str {
    match answer {
        Some(Answer::Forbidden(_)) => "forbidden",
        Some(Answer::Unauthorized { .. }) => "unauthorized",
        Some(Answer::Other { .. }) => "other",
        None => "none",
    }
}

fn authz(c: &mut Criterion) {
    let cases: [(&str, u16, &str, &str, &str); 5] = [
        (
            "apiserver 403 nodes/proxy (Status JSON)",
            403,
            APISERVER_NODES_PROXY,
            "/api/v1/nodes/node1/proxy/metrics",
            "forbidden",
        ),
        (
            "apiserver 403 services/proxy with RBAC reason",
            403,
            APISERVER_SERVICES_PROXY,
            "/api/v1/namespaces/monitoring/services/http:node-exporter:9100/proxy/metrics",
            "forbidden",
        ),
        (
            "kubelet 403 (1.31 text)",
            403,
            KUBELET_1_31,
            "/metrics",
            "forbidden",
        ),
        (
            "kubelet 403 (1.33 text)",
            403,
            KUBELET_1_33,
            "/pods",
            "forbidden",
        ),
        (
            "apiserver 401",
            401,
            UNAUTHORIZED,
            "/metrics",
            "unauthorized",
        ),
    ];
    let mut group = c.benchmark_group("authz");
    for (name, status, body, path, expected) in cases {
        assert_eq!(kind(decode(status, body, path)), expected, "{name}");
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| decode(black_box(status), black_box(body), black_box(path)))
        });
    }
    // A hostile 10 MB 403 body (an HTML error page of a proxy, say): decoding must stay linear.
    let mut big = String::from("<html><body>");
    while big.len() < 10 * 1024 * 1024 {
        big.push_str("Forbidden: access to this resource is denied by policy. ");
    }
    big.push_str("</body></html>");
    assert_eq!(
        kind(decode(403, &big, "/metrics")),
        "other",
        "the 10 MB body"
    );
    group.throughput(Throughput::Bytes(big.len() as u64));
    group.sample_size(10);
    group.bench_function("10 MB 403 body of no known shape", |b| {
        b.iter(|| decode(black_box(403), black_box(&big), black_box("/metrics")))
    });
    group.finish();
}

criterion_group!(benches, authz);
criterion_main!(benches);
