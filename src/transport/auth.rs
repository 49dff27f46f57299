//! Credentials from a job's HTTP client config, turned into an `Authorization` header per
//! request. Secret files are re-read on every request and trimmed, as prometheus/common does.
//! Values are held as [`Secret`]s and never appear in errors or `Debug` output.

use base64::Engine;

use crate::config::model::{FileRef, HttpClientConfig, Secret};

/// Where a request's credentials come from.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    #[default]
    None,
    /// `Authorization: <kind> <credentials>` (bearer_token[_file] is kind `Bearer`).
    Authorization { kind: String, source: SecretSource },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        username: SecretSource,
        password: Option<SecretSource>,
    },
}

/// An inline secret or a file read at request time.
#[derive(Debug, Clone)]
pub enum SecretSource {
    Inline(Secret),
    File(FileRef),
}

/// Why credentials could not be prepared; the wording follows prometheus/common.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("unable to read {what} file {path}: {reason}")]
    ReadFile {
        what: &'static str,
        path: String,
        reason: String,
    },
}

impl SecretSource {
    fn read(&self, what: &'static str) -> Result<Secret, CredentialsError> {
        match self {
            SecretSource::Inline(s) => Ok(s.clone()),
            SecretSource::File(f) => match std::fs::read_to_string(&f.resolved) {
                Ok(text) => Ok(Secret::new(text.trim().to_string())),
                Err(e) => Err(CredentialsError::ReadFile {
                    what,
                    path: f.written.clone(),
                    reason: e.kind().to_string(),
                }),
            },
        }
    }
}

impl Credentials {
    /// The credentials a job's HTTP client config sends, in prometheus/common's precedence:
    /// `authorization` (which `bearer_token[_file]` is converted into), then `basic_auth`.
    pub fn from_config(http: &HttpClientConfig) -> Credentials {
        if let Some(a) = &http.authorization {
            let kind = if a.kind.is_empty() {
                "Bearer".to_string()
            } else {
                a.kind.clone()
            };
            if let Some(f) = &a.credentials_file {
                return Credentials::Authorization {
                    kind,
                    source: SecretSource::File(f.clone()),
                };
            }
            if let Some(s) = &a.credentials {
                return Credentials::Authorization {
                    kind,
                    source: SecretSource::Inline(s.clone()),
                };
            }
        }
        if let Some(f) = &http.bearer_token_file {
            return Credentials::Authorization {
                kind: "Bearer".into(),
                source: SecretSource::File(f.clone()),
            };
        }
        if let Some(s) = &http.bearer_token {
            return Credentials::Authorization {
                kind: "Bearer".into(),
                source: SecretSource::Inline(s.clone()),
            };
        }
        if let Some(b) = &http.basic_auth {
            let username = match &b.username_file {
                Some(f) => SecretSource::File(f.clone()),
                None => SecretSource::Inline(Secret::new(b.username.clone())),
            };
            let password = match (&b.password_file, &b.password) {
                (Some(f), _) => Some(SecretSource::File(f.clone())),
                (None, Some(p)) => Some(SecretSource::Inline(p.clone())),
                (None, None) => None,
            };
            return Credentials::Basic { username, password };
        }
        Credentials::None
    }

    /// The `Authorization` header value for one request, read fresh. `Ok(None)` when the job
    /// sends no credentials. The value is a secret: never print it.
    pub fn header(&self) -> Result<Option<Secret>, CredentialsError> {
        match self {
            Credentials::None => Ok(None),
            Credentials::Authorization { kind, source } => {
                let secret = source.read("authorization credentials")?;
                Ok(Some(Secret::new(format!("{kind} {}", secret.expose()))))
            }
            Credentials::Basic { username, password } => {
                let user = username.read("basic auth username")?;
                let pass = match password {
                    Some(p) => p.read("basic auth password")?,
                    None => Secret::default(),
                };
                let raw = format!("{}:{}", user.expose(), pass.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
                Ok(Some(Secret::new(format!("Basic {encoded}"))))
            }
        }
    }

    /// Every secret text these credentials put on the wire, for scrubbing server answers that
    /// echo them: the header's credentials (bearer token, or basic auth's base64 pair) and
    /// the basic-auth password itself. Unreadable sources are left out. Secrets: never print.
    pub fn wire_secrets(&self) -> Vec<Secret> {
        let mut out = Vec::new();
        if let Ok(Some(header)) = self.header() {
            if let Some((_, credentials)) = header.expose().split_once(' ') {
                out.push(Secret::new(credentials.to_string()));
            }
        }
        if let Credentials::Basic {
            password: Some(p), ..
        } = self
        {
            if let Ok(pass) = p.read("basic auth password") {
                out.push(pass);
            }
        }
        out
    }

    /// The bearer token itself, when the credentials are a `Bearer` authorization, so a 401 can
    /// be explained from its claims. A secret: decode it, never print it.
    pub fn bearer_token(&self) -> Option<Secret> {
        match self {
            Credentials::Authorization { kind, source } if kind.eq_ignore_ascii_case("bearer") => {
                source.read("authorization credentials").ok()
            }
            _ => None,
        }
    }

    /// A short description that names no secret: `bearer token file token`, `basic auth`, `none`.
    pub fn describe(&self) -> String {
        match self {
            Credentials::None => "none".into(),
            Credentials::Authorization { kind, source } => match source {
                SecretSource::Inline(_) => format!("{kind} credentials (inline)"),
                SecretSource::File(f) => format!("{kind} credentials from {}", f.written),
            },
            Credentials::Basic { .. } => "basic auth".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::{Authorization, BasicAuth};
    use crate::source::Location;

    fn file(path: &std::path::Path) -> FileRef {
        FileRef {
            written: "token".into(),
            resolved: path.to_path_buf(),
            location: Location {
                file: std::sync::Arc::from(std::path::Path::new("prometheus.yml")),
                line: 1,
                column: 1,
            },
        }
    }

    #[test]
    fn bearer_file_is_reread_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token");
        std::fs::write(&p, "abc\n").unwrap();
        let http = HttpClientConfig {
            bearer_token_file: Some(file(&p)),
            ..Default::default()
        };
        let c = Credentials::from_config(&http);
        assert_eq!(c.header().unwrap().unwrap().expose(), "Bearer abc");
        std::fs::write(&p, "  def  ").unwrap();
        assert_eq!(c.header().unwrap().unwrap().expose(), "Bearer def");
        std::fs::remove_file(&p).unwrap();
        let err = c.header().unwrap_err().to_string();
        assert!(err.starts_with("unable to read authorization credentials file token"));
        assert!(!format!("{c:?}").contains("def"));
    }

    #[test]
    fn authorization_type_and_basic_auth() {
        let http = HttpClientConfig {
            authorization: Some(Authorization {
                kind: "Token".into(),
                credentials: Some(Secret::new("s3".into())),
                credentials_file: None,
            }),
            ..Default::default()
        };
        let c = Credentials::from_config(&http);
        assert_eq!(c.header().unwrap().unwrap().expose(), "Token s3");
        assert!(c.bearer_token().is_none());
        let http = HttpClientConfig {
            basic_auth: Some(BasicAuth {
                username: "u".into(),
                password: Some(Secret::new("p".into())),
                ..Default::default()
            }),
            ..Default::default()
        };
        let c = Credentials::from_config(&http);
        assert_eq!(c.header().unwrap().unwrap().expose(), "Basic dTpw");
    }
}
