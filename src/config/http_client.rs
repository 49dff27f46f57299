//! The HTTP client settings shared by jobs, SD configs and alertmanagers (prometheus/common's
//! `HTTPClientConfig`), with its validation in Prometheus's order: the first failure wins. Pure.

use crate::config::decode::{self, Ctx, Fields};
use crate::config::diagnostic::{Code, Diagnostic};
use crate::config::model::{
    Authorization, BasicAuth, FileRef, HttpClientConfig, OAuth2, Secret, TlsConfig,
};
use crate::config::yaml::Node;
use crate::source::{resolve_relative, Location};
use crate::version::PrometheusVersion;

/// Reads the inline HTTP client fields out of `fields` (they sit beside the owner's own fields).
pub fn read_inline(ctx: &mut Ctx, fields: &mut Fields) -> HttpClientConfig {
    let mut http = HttpClientConfig {
        follow_redirects: true,
        enable_http2: true,
        ..Default::default()
    };
    let before = fields_written(fields, ctx);
    http.basic_auth = fields
        .get(ctx, "basic_auth")
        .and_then(|n| basic_auth(ctx, n));
    http.authorization = fields
        .get(ctx, "authorization")
        .and_then(|n| authorization(ctx, n));
    http.oauth2 = fields.get(ctx, "oauth2").and_then(|n| oauth2(ctx, n));
    http.bearer_token = fields.get(ctx, "bearer_token").and_then(|n| secret(ctx, n));
    http.bearer_token_file = fields
        .get(ctx, "bearer_token_file")
        .and_then(|n| file_ref(ctx, n));
    if let Some(node) = fields.get(ctx, "tls_config") {
        http.tls = tls_config(ctx, node);
    }
    http.proxy_url = fields
        .get(ctx, "proxy_url")
        .and_then(|n| decode::string(ctx, n));
    http.no_proxy = fields
        .get_since(ctx, "no_proxy", 2, 43)
        .and_then(|n| decode::string(ctx, n));
    http.proxy_from_environment = fields
        .get_since(ctx, "proxy_from_environment", 2, 43)
        .and_then(|n| decode::boolean(ctx, n))
        .unwrap_or(false);
    http.proxy_connect_header = fields.get(ctx, "proxy_connect_header").is_some();
    if let Some(value) = fields
        .get(ctx, "follow_redirects")
        .and_then(|n| decode::boolean(ctx, n))
    {
        http.follow_redirects = value;
    }
    if let Some(value) = fields
        .get(ctx, "enable_http2")
        .and_then(|n| decode::boolean(ctx, n))
    {
        http.enable_http2 = value;
    }
    fields.get_since(ctx, "http_headers", 2, 53);
    http.any_field_set = before;
    http
}

const HTTP_FIELDS: [&str; 13] = [
    "basic_auth",
    "authorization",
    "oauth2",
    "bearer_token",
    "bearer_token_file",
    "tls_config",
    "proxy_url",
    "no_proxy",
    "proxy_from_environment",
    "proxy_connect_header",
    "follow_redirects",
    "enable_http2",
    "http_headers",
];

/// Whether any HTTP client field is written; Kubernetes SD treats that specially.
fn fields_written(fields: &Fields, _ctx: &Ctx) -> bool {
    HTTP_FIELDS
        .iter()
        .any(|name| fields.key_location(name).is_some())
}

/// A file path, resolved against the declaring file's directory.
pub fn file_ref(ctx: &mut Ctx, node: &Node) -> Option<FileRef> {
    let written = decode::string(ctx, node)?;
    if written.is_empty() {
        return None;
    }
    let resolved = resolve_relative(&ctx.file, &written);
    Some(FileRef {
        written,
        resolved,
        location: node.location.clone(),
    })
}

fn secret(ctx: &mut Ctx, node: &Node) -> Option<Secret> {
    decode::string(ctx, node)
        .filter(|s| !s.is_empty())
        .map(Secret::new)
}

fn basic_auth(ctx: &mut Ctx, node: &Node) -> Option<BasicAuth> {
    let mut f = Fields::of(ctx, node, "config.BasicAuth")?;
    let auth = BasicAuth {
        username: f
            .get(ctx, "username")
            .and_then(|n| decode::string(ctx, n))
            .unwrap_or_default(),
        username_file: f
            .get_since(ctx, "username_file", 2, 49)
            .and_then(|n| file_ref(ctx, n)),
        password: f.get(ctx, "password").and_then(|n| secret(ctx, n)),
        password_file: f.get(ctx, "password_file").and_then(|n| file_ref(ctx, n)),
    };
    f.get_since(ctx, "username_ref", 2, 53);
    f.get_since(ctx, "password_ref", 2, 53);
    f.finish(ctx);
    Some(auth)
}

fn authorization(ctx: &mut Ctx, node: &Node) -> Option<Authorization> {
    let mut f = Fields::of(ctx, node, "config.Authorization")?;
    let auth = Authorization {
        kind: f
            .get(ctx, "type")
            .and_then(|n| decode::string(ctx, n))
            .unwrap_or_default()
            .trim()
            .to_string(),
        credentials: f.get(ctx, "credentials").and_then(|n| secret(ctx, n)),
        credentials_file: f
            .get(ctx, "credentials_file")
            .and_then(|n| file_ref(ctx, n)),
    };
    f.get_since(ctx, "credentials_ref", 2, 53);
    f.finish(ctx);
    Some(auth)
}

fn oauth2(ctx: &mut Ctx, node: &Node) -> Option<OAuth2> {
    let mut f = Fields::of(ctx, node, "config.OAuth2")?;
    let auth = OAuth2 {
        client_id: f
            .get(ctx, "client_id")
            .and_then(|n| decode::string(ctx, n))
            .unwrap_or_default(),
        client_secret: f.get(ctx, "client_secret").and_then(|n| secret(ctx, n)),
        client_secret_file: f
            .get(ctx, "client_secret_file")
            .and_then(|n| file_ref(ctx, n)),
        token_url: f
            .get(ctx, "token_url")
            .and_then(|n| decode::string(ctx, n))
            .unwrap_or_default(),
    };
    f.skip(ctx, "scopes");
    f.skip(ctx, "endpoint_params");
    if let Some(tls) = f.get(ctx, "tls_config") {
        tls_config(ctx, tls);
    }
    f.skip(ctx, "proxy_url");
    f.skip(ctx, "proxy_connect_header");
    f.get_since(ctx, "no_proxy", 2, 43);
    f.get_since(ctx, "proxy_from_environment", 2, 43);
    f.get_since(ctx, "client_secret_ref", 2, 53);
    f.finish(ctx);
    Some(auth)
}

fn tls_config(ctx: &mut Ctx, node: &Node) -> TlsConfig {
    let Some(mut f) = Fields::of(ctx, node, "config.plain") else {
        return TlsConfig::default();
    };
    let mut tls = TlsConfig {
        ca_file: f.get(ctx, "ca_file").and_then(|n| file_ref(ctx, n)),
        cert_file: f.get(ctx, "cert_file").and_then(|n| file_ref(ctx, n)),
        key_file: f.get(ctx, "key_file").and_then(|n| file_ref(ctx, n)),
        ca_inline: f.get_since(ctx, "ca", 2, 45).is_some(),
        cert_inline: f.get_since(ctx, "cert", 2, 45).is_some(),
        key_inline: f.get_since(ctx, "key", 2, 45).is_some(),
        server_name: f
            .get(ctx, "server_name")
            .and_then(|n| decode::string(ctx, n)),
        ..Default::default()
    };
    if let Some(n) = f.get(ctx, "insecure_skip_verify") {
        tls.insecure_skip_verify = decode::boolean(ctx, n).unwrap_or(false);
        tls.insecure_skip_verify_location = f.key_location("insecure_skip_verify");
    }
    tls.min_version = f.get(ctx, "min_version").and_then(|n| tls_version(ctx, n));
    tls.max_version = f.get(ctx, "max_version").and_then(|n| tls_version(ctx, n));
    f.get_since(ctx, "ca_ref", 2, 53);
    f.get_since(ctx, "cert_ref", 2, 53);
    f.get_since(ctx, "key_ref", 2, 53);
    f.finish(ctx);
    tls
}

fn tls_version(ctx: &mut Ctx, node: &Node) -> Option<String> {
    let text = decode::string(ctx, node)?;
    if matches!(text.as_str(), "TLS10" | "TLS11" | "TLS12" | "TLS13") {
        return Some(text);
    }
    ctx.invalid(node, format!("unknown TLS version: {text}"));
    None
}

/// prometheus/common's `HTTPClientConfig.Validate`, in its order; reports the first failure.
pub fn validate(ctx: &mut Ctx, http: &HttpClientConfig, at: &Location) {
    if let Some(message) = first_conflict(http, ctx.version) {
        let help = "keep exactly one way of authenticating in this block";
        ctx.report(Diagnostic::new(Code::AuthConflict, Some(at.clone()), message).with_help(help));
    }
}

fn first_conflict(http: &HttpClientConfig, version: PrometheusVersion) -> Option<String> {
    let bearer = http.bearer_token.is_some() || http.bearer_token_file.is_some();
    let basic = http.basic_auth.is_some();
    let oauth = http.oauth2.is_some();
    if http.bearer_token.is_some() && http.bearer_token_file.is_some() {
        return Some("at most one of bearer_token & bearer_token_file must be configured".into());
    }
    if [basic, oauth, bearer].iter().filter(|set| **set).count() > 1 {
        return Some("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured".into());
    }
    if let Some(auth) = &http.basic_auth {
        if auth.password.is_some() && auth.password_file.is_some() {
            return Some(
                "at most one of basic_auth password & password_file must be configured".into(),
            );
        }
    }
    if let Some(auth) = &http.authorization {
        if bearer {
            return Some(
                "authorization is not compatible with bearer_token & bearer_token_file".into(),
            );
        }
        if auth.credentials.is_some() && auth.credentials_file.is_some() {
            return Some(
                "at most one of authorization credentials & credentials_file must be configured"
                    .into(),
            );
        }
        if auth.kind.eq_ignore_ascii_case("basic") {
            return Some(
                "authorization type cannot be set to \"basic\", use \"basic_auth\" instead".into(),
            );
        }
        if basic || oauth {
            return Some(
                "at most one of basic_auth, oauth2 & authorization must be configured".into(),
            );
        }
    }
    if let Some(auth) = &http.oauth2 {
        if auth.client_id.is_empty() {
            return Some("oauth2 client_id must be configured".into());
        }
        // prometheus/common 0.47 dropped this rule; releases before 2.51 still have it.
        if !version.at_least(2, 51)
            && auth.client_secret.is_none()
            && auth.client_secret_file.is_none()
        {
            return Some(
                "either oauth2 client_secret or client_secret_file must be configured".into(),
            );
        }
        if auth.token_url.is_empty() {
            return Some("oauth2 token_url must be configured".into());
        }
    }
    if http.proxy_connect_header && http.proxy_url.is_none() {
        return Some(
            "if proxy_connect_header is configured proxy_url must also be configured".into(),
        );
    }
    None
}
