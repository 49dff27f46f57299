//! Meta-label conventions shared by every role: the `__meta_kubernetes_` prefix, label-name
//! sanitizing, and the `<object>_label_*` / `_annotation_*` families. Pure.

use std::collections::BTreeMap;

use crate::labels::Labels;

use super::objects::ObjectMeta;

pub const PREFIX: &str = "__meta_kubernetes_";
/// The value of every `*present*` label.
pub const PRESENT: &str = "true";

/// Prometheus's `strutil.SanitizeLabelName`: every character outside `[a-zA-Z0-9_]` becomes `_`
/// (one `_` per character, however many bytes it takes).
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `__meta_kubernetes_<suffix>`.
pub fn name(suffix: &str) -> String {
    format!("{PREFIX}{suffix}")
}

/// Sets `__meta_kubernetes_<suffix>`; an empty value is kept, as Prometheus keeps it in the
/// discovered label set (finalization treats it as absent).
pub fn set(labels: &mut Labels, suffix: &str, value: impl Into<String>) {
    labels.insert(name(suffix), value.into());
}

/// `<object>_label_<k>` and `<object>_labelpresent_<k>` for every Kubernetes label.
pub fn add_labels(labels: &mut Labels, object: &str, source: &BTreeMap<String, String>) {
    add_family(labels, object, "label", source);
}

/// `<object>_annotation_<k>` and `<object>_annotationpresent_<k>` for every annotation.
pub fn add_annotations(labels: &mut Labels, object: &str, source: &BTreeMap<String, String>) {
    add_family(labels, object, "annotation", source);
}

fn add_family(labels: &mut Labels, object: &str, family: &str, source: &BTreeMap<String, String>) {
    for (key, value) in source {
        let key = sanitize(key);
        labels.insert(format!("{PREFIX}{object}_{family}_{key}"), value.clone());
        labels.insert(
            format!("{PREFIX}{object}_{family}present_{key}"),
            PRESENT.to_string(),
        );
    }
}

/// Prometheus's `addObjectMetaLabels`: `<object>_name` plus labels and annotations.
pub fn add_object_meta(labels: &mut Labels, object: &str, meta: &ObjectMeta) {
    set(labels, &format!("{object}_name"), meta.name.clone());
    add_labels(labels, object, &meta.labels);
    add_annotations(labels, object, &meta.annotations);
}

/// Go's `net.JoinHostPort`: IPv6 literals (anything with a `:`) are bracketed.
pub fn join_host_port(host: &str, port: impl std::fmt::Display) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `Labels` from `(suffix, value)` pairs under the meta prefix.
pub fn labels_of<const N: usize>(pairs: [(&str, String); N]) -> Labels {
    pairs.into_iter().map(|(k, v)| (name(k), v)).collect()
}

/// Go's `model.LabelSet.Merge`: `other` wins.
pub fn merge(mut base: Labels, other: Labels) -> Labels {
    base.extend(other);
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_like_prometheus() {
        assert_eq!(sanitize("app.kubernetes.io/name"), "app_kubernetes_io_name");
        assert_eq!(sanitize("Ünï-x"), "_n__x");
        assert_eq!(sanitize("ok_1"), "ok_1");
    }

    #[test]
    fn joins_ipv6_with_brackets() {
        assert_eq!(join_host_port("10.0.0.1", 80), "10.0.0.1:80");
        assert_eq!(join_host_port("fd00::1", 80), "[fd00::1]:80");
    }

    #[test]
    fn object_meta_labels() {
        let meta = ObjectMeta {
            name: "n".into(),
            labels: BTreeMap::from([("a/b".into(), "1".into())]),
            annotations: BTreeMap::from([("c".into(), "".into())]),
            ..ObjectMeta::default()
        };
        let mut l = Labels::new();
        add_object_meta(&mut l, "pod", &meta);
        assert_eq!(l["__meta_kubernetes_pod_name"], "n");
        assert_eq!(l["__meta_kubernetes_pod_label_a_b"], "1");
        assert_eq!(l["__meta_kubernetes_pod_labelpresent_a_b"], "true");
        assert_eq!(l["__meta_kubernetes_pod_annotation_c"], "");
        assert_eq!(l["__meta_kubernetes_pod_annotationpresent_c"], "true");
    }
}
