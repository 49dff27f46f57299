//! `kubeconfig_file`: the current context's cluster and user, as client-go's
//! `BuildConfigFromFlags("", path)` reads them (Prometheus ignores the context's namespace).
//!
//! Parsing and resolution are pure over the file's text; file paths inside the kubeconfig are
//! resolved against its directory, as client-go does.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    current_context: Option<String>,
    #[serde(default)]
    clusters: Option<Vec<Named<Cluster>>>,
    #[serde(default)]
    users: Option<Vec<Named<User>>>,
    #[serde(default)]
    contexts: Option<Vec<Named<Context>>>,
}

#[derive(Debug, Deserialize)]
struct Named<T> {
    name: String,
    #[serde(alias = "cluster", alias = "user", alias = "context")]
    #[serde(default = "Option::default")]
    value: Option<T>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Cluster {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    certificate_authority: Option<String>,
    #[serde(default)]
    certificate_authority_data: Option<String>,
    #[serde(default)]
    insecure_skip_tls_verify: Option<bool>,
    #[serde(default)]
    tls_server_name: Option<String>,
    #[serde(default)]
    proxy_url: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct User {
    #[serde(default)]
    token: Option<String>,
    #[serde(default, rename = "tokenFile")]
    token_file: Option<String>,
    #[serde(default)]
    client_certificate: Option<String>,
    #[serde(default)]
    client_certificate_data: Option<String>,
    #[serde(default)]
    client_key: Option<String>,
    #[serde(default)]
    client_key_data: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    exec: Option<serde_json::Value>,
    #[serde(default, rename = "auth-provider")]
    auth_provider: Option<serde_json::Value>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct Context {
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    user: String,
}

/// PEM from a file or inline base64 data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pem {
    File(PathBuf),
    Data(Vec<u8>),
}

/// How the kubeconfig's user authenticates. `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum UserAuth {
    None,
    Token(String),
    TokenFile(PathBuf),
    Basic { username: String, password: String },
}

/// The connection a kubeconfig describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub context: String,
    pub user_name: String,
    pub server: String,
    pub ca: Option<Pem>,
    pub insecure_skip_verify: bool,
    pub server_name: Option<String>,
    pub proxy_url: Option<String>,
    pub auth: UserAuth,
    pub client_certificate: Option<Pem>,
    pub client_key: Option<Pem>,
}

impl std::fmt::Debug for UserAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserAuth::None => f.write_str("none"),
            UserAuth::Token(_) => f.write_str("token <secret>"),
            UserAuth::TokenFile(p) => write!(f, "tokenFile {}", p.display()),
            UserAuth::Basic { username, .. } => write!(f, "basic {username} <secret>"),
        }
    }
}

fn index<T: Clone>(items: &Option<Vec<Named<T>>>, name: &str) -> Option<T> {
    items
        .as_ref()?
        .iter()
        .find(|n| n.name == name)
        .and_then(|n| n.value.clone())
}

fn decode_data(field: &str, data: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| format!("failed to decode {field}: {e}"))
}

fn pem(
    dir: &Path,
    file: Option<&String>,
    data: Option<&String>,
    field: &str,
) -> Result<Option<Pem>, String> {
    // client-go: inline data wins over the file.
    if let Some(data) = data.filter(|d| !d.is_empty()) {
        return Ok(Some(Pem::Data(decode_data(
            &format!("{field}-data"),
            data,
        )?)));
    }
    Ok(file
        .filter(|f| !f.is_empty())
        .map(|f| Pem::File(dir.join(f))))
}

/// Resolves the current context of the kubeconfig `text` read from `path`.
pub fn resolve(path: &Path, text: &str) -> Result<Resolved, String> {
    let file: File = serde_saphyr::from_str(text)
        .map_err(|e| format!("failed to parse kubeconfig {}: {e}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let context_name = file
        .current_context
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| format!("kubeconfig {} has no current-context", path.display()))?;
    let context = index(&file.contexts, &context_name).ok_or_else(|| {
        format!(
            "context {context_name:?} not found in kubeconfig {}",
            path.display()
        )
    })?;
    let cluster = index(&file.clusters, &context.cluster).ok_or_else(|| {
        format!(
            "cluster {:?} of context {context_name:?} not found in kubeconfig {}",
            context.cluster,
            path.display()
        )
    })?;
    let user = if context.user.is_empty() {
        User::default()
    } else {
        index(&file.users, &context.user).ok_or_else(|| {
            format!(
                "user {:?} of context {context_name:?} not found in kubeconfig {}",
                context.user,
                path.display()
            )
        })?
    };
    if user.exec.is_some() || user.auth_provider.is_some() {
        return Err(format!(
            "user {:?} in kubeconfig {} authenticates with an exec plugin or auth provider, which prom-preflight does not run",
            context.user,
            path.display()
        ));
    }
    let server = cluster
        .server
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            format!(
                "cluster {:?} in kubeconfig {} has no server",
                context.cluster,
                path.display()
            )
        })?;
    let auth = match (&user.token, &user.token_file, &user.username) {
        (Some(token), _, _) if !token.is_empty() => UserAuth::Token(token.clone()),
        (_, Some(file), _) if !file.is_empty() => UserAuth::TokenFile(dir.join(file)),
        (_, _, Some(username)) if !username.is_empty() => UserAuth::Basic {
            username: username.clone(),
            password: user.password.clone().unwrap_or_default(),
        },
        _ => UserAuth::None,
    };
    Ok(Resolved {
        context: context_name,
        user_name: context.user.clone(),
        server,
        ca: pem(
            dir,
            cluster.certificate_authority.as_ref(),
            cluster.certificate_authority_data.as_ref(),
            "certificate-authority",
        )?,
        insecure_skip_verify: cluster.insecure_skip_tls_verify.unwrap_or(false),
        server_name: cluster.tls_server_name.clone().filter(|s| !s.is_empty()),
        proxy_url: cluster.proxy_url.clone().filter(|s| !s.is_empty()),
        auth,
        client_certificate: pem(
            dir,
            user.client_certificate.as_ref(),
            user.client_certificate_data.as_ref(),
            "client-certificate",
        )?,
        client_key: pem(
            dir,
            user.client_key.as_ref(),
            user.client_key_data.as_ref(),
            "client-key",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: stage
  cluster:
    server: https://127.0.0.10:6443
    certificate-authority: ca.crt
    tls-server-name: kubernetes
- name: other
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: aGVsbG8=
users:
- name: stage
  user:
    tokenFile: sa.token
- name: admin
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
contexts:
- name: stage
  context:
    cluster: stage
    user: stage
    namespace: default
- name: other
  context: {cluster: other, user: admin}
current-context: stage
";

    #[test]
    fn current_context_with_files_relative_to_the_kubeconfig() {
        let r = resolve(Path::new("/etc/kube/config"), KUBECONFIG).unwrap();
        assert_eq!(r.server, "https://127.0.0.10:6443");
        assert_eq!(r.ca, Some(Pem::File(PathBuf::from("/etc/kube/ca.crt"))));
        assert_eq!(r.server_name.as_deref(), Some("kubernetes"));
        assert_eq!(
            r.auth,
            UserAuth::TokenFile(PathBuf::from("/etc/kube/sa.token"))
        );
    }

    #[test]
    fn inline_data_and_client_certificates() {
        let text = KUBECONFIG.replace("current-context: stage", "current-context: other");
        let r = resolve(Path::new("/k/config"), &text).unwrap();
        assert_eq!(r.ca, Some(Pem::Data(b"hello".to_vec())));
        assert_eq!(r.client_certificate, Some(Pem::Data(b"cert".to_vec())));
        assert_eq!(r.client_key, Some(Pem::Data(b"key".to_vec())));
        assert_eq!(r.auth, UserAuth::None);
    }

    #[test]
    fn missing_pieces_are_named() {
        let text = KUBECONFIG.replace("current-context: stage", "current-context: nope");
        let e = resolve(Path::new("/k/config"), &text).unwrap_err();
        assert!(e.contains("context \"nope\" not found"), "{e}");
        assert!(resolve(Path::new("/k/config"), "a: [").is_err());
    }
}
