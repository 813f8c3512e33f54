//! Bearer JWTs for MCP over HTTP: verified (signature, expiry, and audience and issuer when
//! configured) against an HS256 secret, a JWKS file or a JWKS URL, before any MCP message
//! is read. The verified claims go with the request to the tools, which map them to the
//! caller with the same [`tools::ClaimMapping`] as the Gateway's interceptor.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use tokio::sync::RwLock;

/// Where the keys that sign tokens come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A shared HS256 secret (local use).
    Hs256Secret(String),
    /// A JWKS document on disk.
    JwksFile(PathBuf),
    /// A JWKS URL (an identity provider's `jwks_uri`), fetched at start and again when a
    /// token names a key it does not hold (at most once a minute).
    JwksUrl(String),
}

/// How tokens are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// The keys.
    pub keys: KeySource,
    /// The `aud` every token must carry, if any.
    pub audience: Option<String>,
    /// The `iss` every token must carry, if any.
    pub issuer: Option<String>,
}

/// Why a verifier could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The secret is empty.
    #[error("the HS256 secret is empty")]
    EmptySecret,
    /// A JWKS verifier without audience or issuer would accept any token its keys signed.
    #[error(
        "a JWKS verifies who signed a token, not for whom: pass --jwt-audience or --jwt-issuer \
         (or both)"
    )]
    Unscoped,
    /// The JWKS file cannot be read.
    #[error("cannot read the JWKS file {path}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The JWKS URL cannot be fetched.
    #[error("cannot fetch the JWKS from {url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The JWKS does not parse.
    #[error("the JWKS {from} is not a JSON Web Key Set")]
    Parse {
        /// Where it came from.
        from: String,
        /// Why.
        source: serde_json::Error,
    },
}

/// The claims of a verified token, as the request's extension.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedClaims(pub Map<String, Value>);

/// Verifies bearer tokens.
#[derive(Debug)]
pub struct Verifier {
    keys: Keys,
    audience: Option<String>,
    issuer: Option<String>,
}

#[derive(Debug)]
enum Keys {
    Secret(DecodingKey),
    Jwks {
        set: RwLock<(JwkSet, Instant)>,
        url: Option<String>,
    },
}

/// How long after a fetch a token naming an unknown key may make the JWKS be fetched again.
const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// Why a token was refused (said in `WWW-Authenticate`, never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// No `Authorization: Bearer` header.
    #[error("a bearer token is required")]
    Missing,
    /// Past its `exp`.
    #[error("the token has expired")]
    Expired,
    /// Signed by another key, or altered.
    #[error("the token's signature does not verify")]
    Signature,
    /// For someone else, or from another issuer.
    #[error("the token is not for this server (audience or issuer)")]
    NotForUs,
    /// Anything else: unreadable, unknown key, missing `exp`.
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

impl Verifier {
    /// Sets the verifier up; a JWKS URL is fetched now, so a wrong URL stops the server
    /// at start rather than refusing every request.
    pub async fn new(config: VerifierConfig) -> Result<Self, SetupError> {
        let keys = match &config.keys {
            KeySource::Hs256Secret(secret) => Keys::Secret(
                DecodingKey::from_secret(secret.as_bytes()).map_err(|_| SetupError::EmptySecret)?,
            ),
            KeySource::JwksFile(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SetupError::File {
                    path: path.clone(),
                    source,
                })?;
                let set = parse_jwks(&text, &path.display().to_string())?;
                Keys::Jwks {
                    set: RwLock::new((set, Instant::now())),
                    url: None,
                }
            }
            KeySource::JwksUrl(url) => Keys::Jwks {
                set: RwLock::new((fetch(url).await?, Instant::now())),
                url: Some(url.clone()),
            },
        };
        if matches!(keys, Keys::Jwks { .. }) && config.audience.is_none() && config.issuer.is_none()
        {
            return Err(SetupError::Unscoped);
        }
        Ok(Self {
            keys,
            audience: config.audience,
            issuer: config.issuer,
        })
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        let mut required = vec!["exp"];
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        validation.leeway = 30;
        validation
    }

    /// The claims of `token` once verified.
    pub async fn verify(&self, token: &str) -> Result<Map<String, Value>, Refused> {
        let header = decode_header(token).map_err(|e| Refused::Invalid(e.to_string()))?;
        match &self.keys {
            Keys::Secret(key) => claims(token, key, &self.validation(Algorithm::HS256)),
            Keys::Jwks { set, url } => {
                let kid = header
                    .kid
                    .ok_or_else(|| Refused::Invalid("it names no key (kid)".into()))?;
                let mut jwk = set.read().await.0.find(&kid).cloned();
                if jwk.is_none() {
                    if let Some(url) = url {
                        jwk = self.refetch(set, url, &kid).await;
                    }
                }
                let jwk = jwk.ok_or_else(|| Refused::Invalid("it names an unknown key".into()))?;
                let key =
                    DecodingKey::from_jwk(&jwk).map_err(|e| Refused::Invalid(e.to_string()))?;
                // The algorithm the key is for (the token's own header may not choose it).
                let algorithm = jwk
                    .common
                    .key_algorithm
                    .and_then(|a| a.to_string().parse::<Algorithm>().ok())
                    .unwrap_or(Algorithm::RS256);
                claims(token, &key, &self.validation(algorithm))
            }
        }
    }

    async fn refetch(
        &self,
        set: &RwLock<(JwkSet, Instant)>,
        url: &str,
        kid: &str,
    ) -> Option<jsonwebtoken::jwk::Jwk> {
        let mut guard = set.write().await;
        if guard.1.elapsed() >= REFETCH_AFTER {
            match fetch(url).await {
                Ok(fresh) => *guard = (fresh, Instant::now()),
                Err(e) => tracing::warn!(error = %e, "refreshing the JWKS failed"),
            }
        }
        guard.0.find(kid).cloned()
    }
}

fn claims(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<Map<String, Value>, Refused> {
    decode::<Map<String, Value>>(token, key, validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => Refused::Expired,
            ErrorKind::InvalidSignature => Refused::Signature,
            ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer => Refused::NotForUs,
            _ => Refused::Invalid(e.to_string()),
        })
}

fn parse_jwks(text: &str, from: &str) -> Result<JwkSet, SetupError> {
    serde_json::from_str(text).map_err(|source| SetupError::Parse {
        from: from.to_owned(),
        source,
    })
}

async fn fetch(url: &str) -> Result<JwkSet, SetupError> {
    let failed = |reason: String| SetupError::Fetch {
        url: url.to_owned(),
        reason,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| failed(e.to_string()))?;
    let text = response.text().await.map_err(|e| failed(e.to_string()))?;
    parse_jwks(&text, url)
}

/// The middleware: a request without a verified bearer token is answered 401 with a
/// `WWW-Authenticate` challenge saying why, and never reaches the MCP service.
pub async fn require_bearer(
    State(verifier): State<Arc<Verifier>>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let verified = match token {
        Some(token) if !token.is_empty() => verifier.verify(&token).await,
        _ => Err(Refused::Missing),
    };
    match verified {
        Ok(claims) => {
            request.extensions_mut().insert(VerifiedClaims(claims));
            next.run(request).await
        }
        Err(refused) => {
            tracing::info!(reason = %refused, "request refused");
            let challenge = match &refused {
                Refused::Missing => r#"Bearer realm="hr-mcp""#.to_owned(),
                other => format!(
                    r#"Bearer realm="hr-mcp", error="invalid_token", error_description="{other}""#
                ),
            };
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, challenge)],
                format!("{refused}\n"),
            )
                .into_response()
        }
    }
}
