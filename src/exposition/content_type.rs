//! Which parser Prometheus picks for a response's `Content-Type`, and when it refuses the scrape
//! (`model/textparse/interface.go` `extractMediaType`, 3.0+). 2.x always parses: OpenMetrics for
//! `application/openmetrics-text`, the Prometheus text format for anything else. Pure.

use serde::Serialize;

use crate::go_quote::go_quote;
use crate::version::PrometheusVersion;

/// The exposition format the body is parsed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The Prometheus text format (`text/plain`).
    PrometheusText,
    /// OpenMetrics text (`application/openmetrics-text`): `# EOF` required, exemplars allowed.
    OpenMetrics,
    /// Protobuf (`application/vnd.google.protobuf`): not analyzed.
    Protobuf,
    /// No content type was given (a file): both text formats are accepted.
    Auto,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::PrometheusText => "prometheus-text",
            Format::OpenMetrics => "openmetrics",
            Format::Protobuf => "protobuf",
            Format::Auto => "auto",
        }
    }
}

/// The parser Prometheus would use, or the message it would fail the scrape with.
pub fn select(
    content_type: Option<&str>,
    fallback_protocol: Option<&str>,
    version: PrometheusVersion,
) -> Result<Format, String> {
    let Some(content_type) = content_type else {
        return Ok(Format::Auto);
    };
    if version.major < 3 {
        return Ok(match parse_media_type(content_type) {
            Ok(media) if media == "application/openmetrics-text" => Format::OpenMetrics,
            _ => Format::PrometheusText,
        });
    }
    let fallback =
        match fallback_protocol.filter(|f| !f.is_empty()) {
            None => None,
            Some(protocol) => Some(protocol_format(protocol).ok_or_else(|| {
                format!("unknown fallback_scrape_protocol {}", go_quote(protocol))
            })?),
        };
    if content_type.is_empty() {
        return fallback.ok_or_else(|| {
            "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target".to_string()
        });
    }
    match parse_media_type(content_type) {
        Err(mime_error) => fallback.ok_or_else(|| {
            format!(
                "cannot parse Content-Type {} and no fallback_scrape_protocol for target\n{mime_error}",
                go_quote(content_type)
            )
        }),
        Ok(media) => match media_format(&media) {
            Some(format) => Ok(format),
            None => fallback.ok_or_else(|| {
                format!(
                    "received unsupported Content-Type {} and no fallback_scrape_protocol specified for target",
                    go_quote(content_type)
                )
            }),
        },
    }
}

fn media_format(media: &str) -> Option<Format> {
    match media {
        "text/plain" => Some(Format::PrometheusText),
        "application/openmetrics-text" => Some(Format::OpenMetrics),
        "application/vnd.google.protobuf" => Some(Format::Protobuf),
        _ => None,
    }
}

/// `fallback_scrape_protocol` values (config `ScrapeProtocol`).
fn protocol_format(protocol: &str) -> Option<Format> {
    match protocol {
        "PrometheusText0.0.4" | "PrometheusText1.0.0" => Some(Format::PrometheusText),
        "OpenMetricsText0.0.1" | "OpenMetricsText1.0.0" => Some(Format::OpenMetrics),
        "PrometheusProto" => Some(Format::Protobuf),
        _ => None,
    }
}

fn is_token_byte(b: u8) -> bool {
    b > b' ' && b < 0x7f && !b"()<>@,;:\\\"/[]?=".contains(&b)
}

fn token(text: &str) -> (&str, &str) {
    let end = text
        .bytes()
        .position(|b| !is_token_byte(b))
        .unwrap_or(text.len());
    text.split_at(end)
}

/// Go's `mime.ParseMediaType`, as far as deciding validity and the lowercased media type.
pub(crate) fn parse_media_type(value: &str) -> Result<String, String> {
    let (base, _) = value.split_once(';').unwrap_or((value, ""));
    let media = base.trim().to_ascii_lowercase();
    let (first, rest) = token(&media);
    if first.is_empty() {
        return Err("mime: no media type".to_string());
    }
    if !rest.is_empty() {
        let Some(after_slash) = rest.strip_prefix('/') else {
            return Err("mime: expected slash after first token".to_string());
        };
        let (sub, rest) = token(after_slash);
        if sub.is_empty() {
            return Err("mime: expected token after slash".to_string());
        }
        if !rest.is_empty() {
            return Err("mime: unexpected content after media subtype".to_string());
        }
    }
    if value.contains(';') {
        check_params(&value[base.len()..])?;
    }
    Ok(media)
}

fn check_params(mut rest: &str) -> Result<(), String> {
    let invalid = || "mime: invalid media parameter".to_string();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(());
        }
        let Some(after) = rest.strip_prefix(';') else {
            return Err(invalid());
        };
        if after.trim().is_empty() {
            return Ok(());
        }
        let (key, after_key) = token(after.trim_start());
        if key.is_empty() {
            return Err(invalid());
        }
        let Some(after_eq) = after_key.trim_start().strip_prefix('=') else {
            return Err(invalid());
        };
        let after_eq = after_eq.trim_start();
        rest = if let Some(quoted) = after_eq.strip_prefix('"') {
            let mut escaped = false;
            let end = quoted.char_indices().find(|&(_, c)| {
                let close = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                close
            });
            match end {
                Some((at, _)) => &quoted[at + 1..],
                None => return Err(invalid()),
            }
        } else {
            let (value, after_value) = token(after_eq);
            if value.is_empty() {
                return Err(invalid());
            }
            after_value
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V3: PrometheusVersion = PrometheusVersion::new(3, 0);

    #[test]
    fn three_x_refuses_blank_and_unknown_types_without_fallback() {
        assert_eq!(
            select(Some(""), None, V3),
            Err("non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target".to_string())
        );
        assert_eq!(
            select(Some("text/html; charset=utf-8"), None, V3),
            Err("received unsupported Content-Type \"text/html; charset=utf-8\" and no fallback_scrape_protocol specified for target".to_string())
        );
        assert_eq!(
            select(Some("text/html"), Some("PrometheusText0.0.4"), V3),
            Ok(Format::PrometheusText)
        );
        assert_eq!(
            select(Some("text/plain; version=0.0.4; charset=utf-8"), None, V3),
            Ok(Format::PrometheusText)
        );
        assert_eq!(
            select(
                Some("application/openmetrics-text; version=1.0.0; charset=utf-8"),
                None,
                V3
            ),
            Ok(Format::OpenMetrics)
        );
        assert!(select(Some("text/"), None, V3)
            .unwrap_err()
            .starts_with("cannot parse Content-Type \"text/\" and no fallback_scrape_protocol for target\nmime: expected token after slash"));
    }

    #[test]
    fn two_x_always_parses() {
        let v2 = PrometheusVersion::V2_42;
        assert_eq!(select(Some(""), None, v2), Ok(Format::PrometheusText));
        assert_eq!(
            select(Some("text/html"), None, v2),
            Ok(Format::PrometheusText)
        );
        assert_eq!(
            select(Some("application/openmetrics-text"), None, v2),
            Ok(Format::OpenMetrics)
        );
        assert_eq!(select(None, None, v2), Ok(Format::Auto));
    }

    #[test]
    fn media_type_syntax_follows_go() {
        assert_eq!(parse_media_type("Text/Plain"), Ok("text/plain".to_string()));
        assert_eq!(parse_media_type("text"), Ok("text".to_string()));
        assert!(parse_media_type("text/plain; version").is_err());
        assert!(parse_media_type("text/plain;").is_ok());
        assert!(parse_media_type("text/plain; a=\"b;c\"").is_ok());
    }
}
