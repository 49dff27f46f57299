//! The scrape URL Prometheus builds for a target (`Target.URL` and Go's `url.URL.String`). Part of
//! target finalization; pure.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::ops::Bound;

use crate::labels::{reserved, Labels};

/// Which part of a URL is being escaped; Go's `url` package escapes each differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Host,
    Path,
    QueryComponent,
}

/// The URL Prometheus scrapes: `__scheme__://__address____metrics_path__?query`, where the query
/// holds every configured `params` value, with the first value of `k` replaced (or supplied) by
/// the `__param_k` label, keys sorted.
pub fn scrape_url(labels: &Labels, params: &BTreeMap<String, Vec<String>>) -> String {
    let label = |name: &str| labels.get(name).map_or("", String::as_str);
    let (scheme, host, path) = (
        label(reserved::SCHEME),
        label(reserved::ADDRESS),
        label(reserved::METRICS_PATH),
    );
    let mut url = go_url(scheme, host, path);
    let query = encode_query(&query_values(labels, params));
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    url
}

/// Go's `(&url.URL{Scheme, Host, Path}).String()`: what Prometheus prints for a URL built from
/// labels (scrape targets, alertmanagers).
pub fn go_url(scheme: &str, host: &str, path: &str) -> String {
    let mut url = String::with_capacity(scheme.len() + host.len() + path.len() + 16);
    if !scheme.is_empty() {
        url.push_str(scheme);
        url.push(':');
    }
    if !scheme.is_empty() || !host.is_empty() {
        if !host.is_empty() || !path.is_empty() {
            url.push_str("//");
        }
        url.push_str(&escape(host, Part::Host));
    }
    let path = if path == "*" {
        path.to_string()
    } else {
        escape(path, Part::Path)
    };
    if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
        url.push('/');
    }
    // RFC 3986 §4.2: a relative path whose first segment has a colon would read as a scheme.
    if url.is_empty() && path.split('/').next().is_some_and(|s| s.contains(':')) {
        url.push_str("./");
    }
    url.push_str(&path);
    url
}

fn query_values<'a>(
    labels: &'a Labels,
    params: &'a BTreeMap<String, Vec<String>>,
) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut values: BTreeMap<&str, Vec<&str>> = params
        .iter()
        .map(|(key, list)| (key.as_str(), list.iter().map(String::as_str).collect()))
        .collect();
    let from_prefix = (Bound::Included(reserved::PARAM_PREFIX), Bound::Unbounded);
    let param_labels = labels.range::<str, _>(from_prefix);
    for (name, value) in
        param_labels.take_while(|(name, _)| name.starts_with(reserved::PARAM_PREFIX))
    {
        let key = name.get(reserved::PARAM_PREFIX.len()..).unwrap_or("");
        let list = values.entry(key).or_default();
        match list.first_mut() {
            Some(first) => *first = value,
            None => list.push(value),
        }
    }
    values
}

/// Go's `url.Values.Encode`: `key=value` pairs joined by `&`, keys in byte order, each value of
/// a key in its order.
fn encode_query(values: &BTreeMap<&str, Vec<&str>>) -> String {
    let mut query = String::new();
    for (key, list) in values {
        let key = escape(key, Part::QueryComponent);
        for value in list {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&key);
            query.push('=');
            query.push_str(&escape(value, Part::QueryComponent));
        }
    }
    query
}

/// Go's `url.escape`: percent-encodes every byte `should_escape` refuses; in a query component a
/// space becomes `+`.
fn escape(text: &str, part: Part) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte == b' ' && part == Part::QueryComponent {
            out.push('+');
        } else if should_escape(byte, part) {
            let _ = write!(out, "%{byte:02X}");
        } else {
            out.push(char::from(byte));
        }
    }
    out
}

/// Go's `url.shouldEscape` for the parts a scrape URL uses.
fn should_escape(byte: u8, part: Part) -> bool {
    if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
        return false;
    }
    let host_allowed = b"!$&'()*+,;=:[]<>\"";
    if part == Part::Host && host_allowed.contains(&byte) {
        return false;
    }
    // A path may keep the reserved characters except `?`; a query component keeps none.
    let path_allowed = b"$&+,/:;=@";
    !(part == Part::Path && path_allowed.contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relabel::test_rules::labels;

    fn params(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        let owned = |list: &[&str]| list.iter().map(|v| v.to_string()).collect();
        pairs
            .iter()
            .map(|(key, list)| (key.to_string(), owned(list)))
            .collect()
    }

    fn target(address: &str, path: &str) -> Labels {
        labels(&[
            ("__scheme__", "http"),
            ("__address__", address),
            ("__metrics_path__", path),
        ])
    }

    #[test]
    fn reference_example_escapes_path_and_query_like_go() {
        let mut target = target("127.0.0.1:18000", "/probe?x=1 y");
        target.insert("__param_target".into(), "http://example.com/a b".into());
        let params = params(&[
            ("module", &["m1", "m2"]),
            ("other", &["o"]),
            ("target", &["t"]),
        ]);
        assert_eq!(
            scrape_url(&target, &params),
            "http://127.0.0.1:18000/probe%3Fx=1%20y?module=m1&module=m2&other=o&target=http%3A%2F%2Fexample.com%2Fa+b"
        );
    }

    #[test]
    fn param_labels_replace_the_first_value_or_add_a_key() {
        let mut target = target("h:80", "/metrics");
        target.insert("__param_a".into(), "label".into());
        target.insert("__param_new".into(), "n".into());
        let params = params(&[("a", &["one", "two"]), ("empty", &[])]);
        assert_eq!(
            scrape_url(&target, &params),
            "http://h:80/metrics?a=label&a=two&new=n"
        );
    }

    #[test]
    fn hosts_keep_brackets_and_escape_the_rest() {
        let url = scrape_url(&target("[fe80::1%eth0]:9100", "/metrics"), &BTreeMap::new());
        assert_eq!(url, "http://[fe80::1%25eth0]:9100/metrics");
        let url = scrape_url(&target("a b:1", "/m"), &BTreeMap::new());
        assert_eq!(url, "http://a%20b:1/m");
    }

    #[test]
    fn paths_gain_a_leading_slash_and_keep_sub_delimiters() {
        let url = scrape_url(&target("h:1", "metrics"), &BTreeMap::new());
        assert_eq!(url, "http://h:1/metrics");
        let url = scrape_url(
            &target("h:1", "/a:b@c;d,e=f+g$h&i/(j)!*'%é"),
            &BTreeMap::new(),
        );
        assert_eq!(
            url,
            "http://h:1/a:b@c;d,e=f+g$h&i/%28j%29%21%2A%27%25%C3%A9"
        );
        assert_eq!(
            scrape_url(&target("h:1", "*"), &BTreeMap::new()),
            "http://h:1/*"
        );
    }

    #[test]
    fn query_components_escape_reserved_characters() {
        let values = params(&[("k y", &["a&b=c+d~e/é"])]);
        let url = scrape_url(&target("h:1", "/m"), &values);
        assert_eq!(url, "http://h:1/m?k+y=a%26b%3Dc%2Bd~e%2F%C3%A9");
    }

    #[test]
    fn missing_scheme_gives_a_scheme_relative_url() {
        let labels = labels(&[("__address__", "h:1"), ("__metrics_path__", "/m")]);
        assert_eq!(scrape_url(&labels, &BTreeMap::new()), "//h:1/m");
    }
}
