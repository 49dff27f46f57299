//! Which API server an SD entry talks to and with which HTTP client config: the entry's own
//! `api_server` + HTTP settings, its `kubeconfig_file` (current context), or the in-cluster
//! service account, in Prometheus's order of precedence. Reads files; makes no request.

use std::path::{Path, PathBuf};

use crate::config::model::{BasicAuth, FileRef, HttpClientConfig, KubernetesSd, Secret};
use crate::source::Location;

use super::claims;
use super::kubeconfig::{self, Pem, UserAuth};
use super::Credentials;

const IN_CLUSTER_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// What a client for an SD entry is made from.
#[derive(Debug)]
pub struct Plan {
    pub api_server: String,
    pub http: HttpClientConfig,
    /// The pod's own namespace, for `namespaces.own_namespace` (in-cluster only).
    pub own_namespace: Option<String>,
    /// Describes the credentials and carries the claims of a JWT bearer token.
    pub credentials: Credentials,
    /// Inline kubeconfig PEM data written out for the TLS setup; removed on drop.
    pub scratch: Option<Scratch>,
}

/// A private directory for PEM data a kubeconfig carries inline.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "prom-preflight-kubeconfig-{}-{nanos}",
            std::process::id()
        ));
        create_private_dir(&dir).map_err(|e| format!("failed to create {}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    fn write(&self, name: &str, data: &[u8]) -> Result<PathBuf, String> {
        let path = self.0.join(name);
        std::fs::write(&path, data)
            .map_err(|e| format!("failed to write {}: {e}", path.display()))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir(dir)
}

fn file_ref(path: PathBuf, location: &Location) -> FileRef {
    FileRef {
        written: path.display().to_string(),
        resolved: path,
        location: location.clone(),
    }
}

/// The token a config sends, read the way Prometheus reads it (file content, trimmed).
fn bearer_token(http: &HttpClientConfig) -> Option<(String, String)> {
    if let Some(auth) = &http.authorization {
        if !auth.kind.eq_ignore_ascii_case("bearer") && !auth.kind.is_empty() {
            return None;
        }
        if let Some(secret) = &auth.credentials {
            return Some((
                secret.expose().to_string(),
                "authorization.credentials".into(),
            ));
        }
        if let Some(file) = &auth.credentials_file {
            let text = std::fs::read_to_string(&file.resolved).ok()?;
            return Some((text.trim().to_string(), file.written.clone()));
        }
    }
    if let Some(secret) = &http.bearer_token {
        return Some((secret.expose().to_string(), "bearer_token".into()));
    }
    let file = http.bearer_token_file.as_ref()?;
    let text = std::fs::read_to_string(&file.resolved).ok()?;
    Some((text.trim().to_string(), file.written.clone()))
}

/// Describes how `http` authenticates, with the claims of its token.
pub fn credentials_of(http: &HttpClientConfig) -> Credentials {
    if let Some((token, source)) = bearer_token(http) {
        return Credentials {
            kind: "bearer".into(),
            source: Some(source),
            token_claims: claims::decode(&token),
        };
    }
    let (kind, source) = if let Some(auth) = &http.authorization {
        (
            auth.kind.clone(),
            auth.credentials_file.as_ref().map(|f| f.written.clone()),
        )
    } else if let Some(basic) = &http.basic_auth {
        (
            "basic".to_string(),
            Some(format!("user {}", basic.username)),
        )
    } else if http.oauth2.is_some() {
        ("oauth2".to_string(), None)
    } else if http.tls.cert_file.is_some() {
        (
            "client-certificate".to_string(),
            http.tls.cert_file.as_ref().map(|f| f.written.clone()),
        )
    } else if http.bearer_token_file.is_some() || http.authorization.is_some() {
        ("bearer".to_string(), None)
    } else {
        ("none".to_string(), None)
    };
    Credentials {
        kind,
        source,
        token_claims: None,
    }
}

/// Works out how to reach the API server of `sd`.
pub fn plan(sd: &KubernetesSd, sd_location: &Location) -> Result<Plan, String> {
    if let Some(kubeconfig) = &sd.kubeconfig_file {
        return from_kubeconfig(kubeconfig);
    }
    if let Some(api_server) = &sd.api_server {
        return Ok(Plan {
            api_server: api_server.clone(),
            credentials: credentials_of(&sd.http),
            http: sd.http.clone(),
            own_namespace: None,
            scratch: None,
        });
    }
    in_cluster(sd, sd_location)
}

fn in_cluster(sd: &KubernetesSd, location: &Location) -> Result<Plan, String> {
    let (Ok(host), Ok(port)) = (
        std::env::var("KUBERNETES_SERVICE_HOST"),
        std::env::var("KUBERNETES_SERVICE_PORT"),
    ) else {
        return Err("no api_server and no kubeconfig_file: Prometheus would use the in-cluster service account, and this machine is not in a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)".into());
    };
    let dir = Path::new(IN_CLUSTER_DIR);
    let own_namespace = if sd.own_namespace {
        let text = std::fs::read_to_string(dir.join("namespace"))
            .map_err(|e| format!("could not determine the pod's namespace: {e}"))?;
        if text.is_empty() {
            return Err("could not read own namespace name (empty file)".into());
        }
        Some(text)
    } else {
        None
    };
    let mut http = HttpClientConfig {
        follow_redirects: true,
        enable_http2: true,
        bearer_token_file: Some(file_ref(dir.join("token"), location)),
        ..HttpClientConfig::default()
    };
    http.tls.ca_file = Some(file_ref(dir.join("ca.crt"), location));
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    Ok(Plan {
        api_server: format!("https://{host}:{port}"),
        credentials: credentials_of(&http),
        http,
        own_namespace,
        scratch: None,
    })
}

fn pem_path(pem: &Pem, scratch: &mut Option<Scratch>, name: &str) -> Result<PathBuf, String> {
    match pem {
        Pem::File(path) => Ok(path.clone()),
        Pem::Data(data) => {
            if scratch.is_none() {
                *scratch = Some(Scratch::new()?);
            }
            match scratch {
                Some(s) => s.write(name, data),
                None => Err("failed to create a scratch directory".into()),
            }
        }
    }
}

fn from_kubeconfig(file: &FileRef) -> Result<Plan, String> {
    let text = std::fs::read_to_string(&file.resolved)
        .map_err(|e| format!("failed to read kubeconfig_file {}: {e}", file.written))?;
    let resolved = kubeconfig::resolve(&file.resolved, &text)?;
    let at = &file.location;
    let mut scratch = None;
    let mut http = HttpClientConfig {
        follow_redirects: true,
        enable_http2: true,
        proxy_url: resolved.proxy_url.clone(),
        ..HttpClientConfig::default()
    };
    if let Some(ca) = &resolved.ca {
        http.tls.ca_file = Some(file_ref(pem_path(ca, &mut scratch, "ca.crt")?, at));
    }
    if let Some(cert) = &resolved.client_certificate {
        http.tls.cert_file = Some(file_ref(pem_path(cert, &mut scratch, "client.crt")?, at));
    }
    if let Some(key) = &resolved.client_key {
        http.tls.key_file = Some(file_ref(pem_path(key, &mut scratch, "client.key")?, at));
    }
    http.tls.server_name = resolved.server_name.clone();
    http.tls.insecure_skip_verify = resolved.insecure_skip_verify;
    match &resolved.auth {
        UserAuth::None => {}
        UserAuth::Token(token) => http.bearer_token = Some(Secret::new(token.clone())),
        UserAuth::TokenFile(path) => http.bearer_token_file = Some(file_ref(path.clone(), at)),
        UserAuth::Basic { username, password } => {
            http.basic_auth = Some(BasicAuth {
                username: username.clone(),
                password: Some(Secret::new(password.clone())),
                ..BasicAuth::default()
            })
        }
    }
    let mut credentials = credentials_of(&http);
    credentials.source = Some(format!(
        "kubeconfig {} (context {}, user {})",
        file.written, resolved.context, resolved.user_name
    ));
    Ok(Plan {
        api_server: resolved.server,
        http,
        own_namespace: None,
        credentials,
        scratch,
    })
}
