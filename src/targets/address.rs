//! Target addresses: Go's `net.SplitHostPort` and the default port Prometheus 2.x appends. Part
//! of target finalization; pure.

use super::TargetError;

/// Go's `net.SplitHostPort`, reduced to whether it succeeds. Only the shape is checked, never
/// the port's digits, so `h:1/x` has a port.
fn splits_into_host_and_port(address: &str) -> bool {
    let Some(last_colon) = address.rfind(':') else {
        return false;
    };
    // After a leading `[`, the first `]` must sit right before the last colon.
    let (no_open_from, no_close_from) = if address.starts_with('[') {
        match address.find(']') {
            Some(close) if close + 1 == last_colon => (1, close + 1),
            _ => return false,
        }
    } else if address
        .get(..last_colon)
        .is_some_and(|host| host.contains(':'))
    {
        return false;
    } else {
        (0, 0)
    };
    let stray_open = address.get(no_open_from..).is_some_and(|t| t.contains('['));
    let stray_close = address
        .get(no_close_from..)
        .is_some_and(|t| t.contains(']'));
    !stray_open && !stray_close
}

/// Prometheus 2.x: a port-less address gets `:80` for http (or no scheme) and `:443` for https,
/// unless it is not a valid host even with a port. Another scheme is an error that quotes the
/// *configured* scheme, not the relabeled one.
pub(super) fn with_default_port(
    address: &str,
    scheme_label: &str,
    configured_scheme: &str,
) -> Result<Option<String>, TargetError> {
    let needs_port = !splits_into_host_and_port(address)
        && splits_into_host_and_port(&format!("{address}:1234"));
    if !needs_port {
        return Ok(None);
    }
    let port = match scheme_label {
        "" | "http" => "80",
        "https" => "443",
        _ => return Err(TargetError::InvalidScheme(configured_scheme.to_string())),
    };
    Ok(Some(format!("{address}:{port}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_host_port_accepts_what_go_accepts() {
        for address in [
            "h:1",
            "h:",
            ":1",
            "[::1]:80",
            "h:1/x",
            "1.2.3.4:9",
            "[fe80::1%eth0]:1",
        ] {
            assert!(splits_into_host_and_port(address), "{address}");
        }
        for address in [
            "h", "::1", "a:b:c", "[::1]", "[::1]x:1", "[::1", "h]:1", "h[:1", "[a]:1]:2",
        ] {
            assert!(!splits_into_host_and_port(address), "{address}");
        }
    }

    #[test]
    fn default_port_follows_the_scheme_label() {
        let port = |address, scheme| with_default_port(address, scheme, "http");
        assert_eq!(port("h", "http"), Ok(Some("h:80".into())));
        assert_eq!(port("h", ""), Ok(Some("h:80".into())));
        assert_eq!(port("h", "https"), Ok(Some("h:443".into())));
        assert_eq!(port("[::1]", "https"), Ok(Some("[::1]:443".into())));
        assert_eq!(port("h:9", "https"), Ok(None));
        assert_eq!(port("::1", "http"), Ok(None), "not a host even with a port");
        assert_eq!(port("foo/bar", "http"), Ok(Some("foo/bar:80".into())));
    }

    #[test]
    fn unknown_scheme_quotes_the_configured_scheme() {
        let error = with_default_port("h", "ftp", "http");
        assert_eq!(error, Err(TargetError::InvalidScheme("http".into())));
        assert_eq!(
            error.map_err(|e| e.to_string()),
            Err(r#"invalid scheme: "http""#.into())
        );
    }
}
