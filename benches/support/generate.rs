//! Deterministic inputs for the benchmarks and the promtool comparison: a cadvisor-like
//! exposition of any size, node- and endpoints-role discovered labels, a 10,000-target file_sd
//! job and a 20-rule relabel job. Shared by `benches/*.rs` and `examples/generate.rs`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{self, Write};

/// A small deterministic generator (xorshift), so inputs are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next()));
        }
        out.truncate(len);
        out
    }
}

const FAMILIES: [(&str, &str, &str); 12] = [
    ("container_cpu_usage_seconds_total", "counter", "cpu"),
    ("container_cpu_cfs_throttled_seconds_total", "counter", ""),
    ("container_memory_working_set_bytes", "gauge", ""),
    ("container_memory_rss", "gauge", ""),
    ("container_memory_cache", "gauge", ""),
    ("container_fs_reads_bytes_total", "counter", "device"),
    ("container_fs_writes_bytes_total", "counter", "device"),
    ("container_fs_usage_bytes", "gauge", "device"),
    (
        "container_network_receive_bytes_total",
        "counter",
        "interface",
    ),
    (
        "container_network_transmit_bytes_total",
        "counter",
        "interface",
    ),
    ("container_spec_memory_limit_bytes", "gauge", ""),
    ("container_last_seen", "gauge", ""),
];

/// Writes a cadvisor-like exposition (Prometheus text format) of about `bytes` bytes: the
/// families kubelets serve on `/metrics/cadvisor`, each once (valid for promtool's parser too),
/// with their long `id`, `image` and `name` labels, the same containers in every family,
/// timestamps included.
pub fn cadvisor<W: Write>(out: &mut W, bytes: u64) -> io::Result<u64> {
    let share = bytes / FAMILIES.len() as u64 + 1;
    let mut written = 0u64;
    for (family, kind, extra) in FAMILIES {
        let header = format!(
            "# HELP {family} Cumulative {family} as reported by cAdvisor.\n# TYPE {family} {kind}\n"
        );
        out.write_all(header.as_bytes())?;
        let mut family_bytes = header.len() as u64;
        let mut values = Rng::new(family.len() as u64);
        let mut batch = String::with_capacity(1 << 20);
        let mut container = 0u64;
        while family_bytes < share {
            let mut rng = Rng::new(container.wrapping_mul(2_654_435_761).wrapping_add(7));
            let pod_uid = rng.hex(32);
            let container_id = rng.hex(64);
            let namespace =
                ["default", "kube-system", "monitoring", "payments"][(container % 4) as usize];
            let app = ["nginx", "redis", "api", "worker", "coredns"][(container % 5) as usize];
            let pod = format!("{app}-{}-{}", rng.hex(10), rng.hex(5));
            let extra_label = match extra {
                "" => String::new(),
                "cpu" => "cpu=\"total\",".to_string(),
                "device" => "device=\"/dev/nvme0n1\",".to_string(),
                _ => "interface=\"eth0\",".to_string(),
            };
            let value = values.next() % 10_000_000;
            let line = format!(
                "{family}{{container=\"{app}\",{extra_label}id=\"/kubepods/burstable/pod{pod_uid}/{container_id}\",image=\"registry.example.com/{app}:1.{}\",name=\"k8s_{app}_{pod}_{namespace}_{pod_uid}_0\",namespace=\"{namespace}\",pod=\"{pod}\"}} {value}.{} 1700000000{:03}\n",
                container % 7,
                value % 1000,
                container % 1000
            );
            family_bytes += line.len() as u64;
            batch.push_str(&line);
            if batch.len() >= 1 << 20 {
                out.write_all(batch.as_bytes())?;
                batch.clear();
            }
            container += 1;
        }
        out.write_all(batch.as_bytes())?;
        written += family_bytes;
    }
    Ok(written)
}

pub fn cadvisor_vec(bytes: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes as usize + (2 << 20));
    let _ = cadvisor(&mut out, bytes);
    out
}

/// Discovered labels of a Kubernetes node-role target, as Prometheus's SD produces them.
pub fn node_target(i: usize) -> BTreeMap<String, String> {
    let name = format!("node-{i:05}");
    let mut labels = BTreeMap::new();
    labels.insert(
        "__address__".into(),
        format!("10.0.{}.{}:10250", i / 250, i % 250),
    );
    labels.insert("__meta_kubernetes_node_name".into(), name.clone());
    labels.insert(
        "__meta_kubernetes_node_provider_id".into(),
        format!("k3s://{name}"),
    );
    labels.insert(
        "__meta_kubernetes_node_address_InternalIP".into(),
        format!("10.0.{}.{}", i / 250, i % 250),
    );
    labels.insert(
        "__meta_kubernetes_node_address_Hostname".into(),
        name.clone(),
    );
    for (key, value) in [
        ("beta_kubernetes_io_arch", "amd64"),
        ("beta_kubernetes_io_os", "linux"),
        ("kubernetes_io_arch", "amd64"),
        ("kubernetes_io_hostname", name.as_str()),
        ("kubernetes_io_os", "linux"),
        ("node_kubernetes_io_instance_type", "k3s"),
        ("topology_kubernetes_io_zone", "zone-a"),
    ] {
        labels.insert(
            format!("__meta_kubernetes_node_label_{key}"),
            value.to_string(),
        );
        labels.insert(
            format!("__meta_kubernetes_node_labelpresent_{key}"),
            "true".into(),
        );
    }
    labels.insert("instance".into(), name);
    labels
}

/// Discovered labels of an endpoints-role target of the node-exporter service.
pub fn endpoints_target(i: usize) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let ip = format!("10.1.{}.{}", i / 250, i % 250);
    labels.insert("__address__".into(), format!("{ip}:9100"));
    for (key, value) in [
        ("namespace", "monitoring".to_string()),
        ("endpoints_name", "prometheus-node-exporter".to_string()),
        ("service_name", "prometheus-node-exporter".to_string()),
        ("service_label_app", "prometheus-node-exporter".to_string()),
        ("service_labelpresent_app", "true".to_string()),
        ("service_label_release", "monitoring".to_string()),
        (
            "service_annotation_prometheus_io_scrape",
            "true".to_string(),
        ),
        ("endpoint_port_name", "metrics".to_string()),
        ("endpoint_port_protocol", "TCP".to_string()),
        ("endpoint_ready", "true".to_string()),
        ("endpoint_address_target_kind", "Pod".to_string()),
        (
            "endpoint_address_target_name",
            format!("node-exporter-{i:05}"),
        ),
        ("pod_name", format!("node-exporter-{i:05}")),
        ("pod_ip", ip.clone()),
        ("pod_node_name", format!("node-{i:05}")),
        ("pod_container_name", "node-exporter".to_string()),
        ("pod_container_port_number", "9100".to_string()),
        ("pod_annotation_prometheus_io_port", "9100".to_string()),
        ("pod_ready", "true".to_string()),
        ("pod_phase", "Running".to_string()),
    ] {
        labels.insert(format!("__meta_kubernetes_{key}"), value);
    }
    labels
}

/// A job with 20 relabel rules of every common kind, over endpoints-role labels.
pub const TWENTY_RULE_JOB: &str = r#"scrape_configs:
- job_name: twenty-rules
  scheme: https
  relabel_configs:
  - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scrape]
    regex: "true"
    action: keep
  - source_labels: [__meta_kubernetes_endpoint_ready]
    regex: "false"
    action: drop
  - source_labels: [__meta_kubernetes_namespace]
    regex: kube-system|kube-public
    action: drop
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_port]
    regex: (\d+)
    target_label: __tmp_port
  - source_labels: [__address__, __tmp_port]
    regex: ([^:]+)(?::\d+)?;(\d+)
    replacement: $1:$2
    target_label: __address__
  - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_path]
    regex: (.+)
    target_label: __metrics_path__
  - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scheme]
    regex: (https?)
    target_label: __scheme__
  - regex: __meta_kubernetes_service_label_(.+)
    action: labelmap
  - regex: __meta_kubernetes_pod_label_(.+)
    replacement: pod_$1
    action: labelmap
  - source_labels: [__meta_kubernetes_namespace]
    target_label: namespace
  - source_labels: [__meta_kubernetes_service_name]
    target_label: service
  - source_labels: [__meta_kubernetes_pod_name]
    target_label: pod
  - source_labels: [__meta_kubernetes_pod_node_name]
    target_label: node
  - source_labels: [__meta_kubernetes_pod_container_name]
    target_label: container
  - source_labels: [__meta_kubernetes_endpoint_port_name]
    regex: (.*)
    replacement: port_$1
    target_label: endpoint
  - source_labels: [pod]
    regex: (.*)-[0-9]+
    target_label: workload
  - source_labels: [namespace, service]
    separator: /
    target_label: job_key
  - source_labels: [__address__]
    modulus: 4
    target_label: __tmp_hash
    action: hashmod
  - source_labels: [release]
    regex: monitoring
    target_label: team
    replacement: observability
  - regex: pod_(controller|template)_.*
    action: labeldrop
"#;

/// A prometheus.yml with one file_sd job of the seed's kind (address and path rewritten to go
/// through the API server proxy), and its targets file with `n` targets.
pub fn file_sd_job(n: usize) -> (String, String) {
    let config = r#"scrape_configs:
- job_name: file-sd-nodes
  scheme: https
  file_sd_configs:
  - files: [targets.json]
  relabel_configs:
  - source_labels: [__meta_node]
    regex: (.+)
    target_label: __metrics_path__
    replacement: /api/v1/nodes/${1}/proxy/metrics/cadvisor
  - source_labels: [__meta_node]
    target_label: instance
  - regex: __meta_label_(.+)
    action: labelmap
  - source_labels: [zone]
    regex: zone-[cd]
    action: drop
  - target_label: __address__
    replacement: public-ip:6443
"#
    .to_string();
    let mut groups = Vec::new();
    for i in 0..n {
        groups.push(format!(
            "{{\"targets\":[\"10.0.{}.{}:10250\"],\"labels\":{{\"__meta_node\":\"node-{i:05}\",\"__meta_label_zone\":\"zone-{}\",\"__meta_label_arch\":\"amd64\",\"cluster\":\"c{}\"}}}}",
            i / 250,
            i % 250,
            ["a", "b", "c", "d", "e"][i % 5],
            i % 20
        ));
    }
    (config, format!("[\n{}\n]\n", groups.join(",\n")))
}
