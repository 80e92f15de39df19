//! Signing in with the organisation's OpenID Connect provider: the authorization code flow with
//! PKCE, a nonce and a state bound to the browser by a cookie; `openidconnect` checks the ID
//! token's signature (from the provider's published keys), issuer, audience, expiry and nonce.
//! Who may sign in, and as what, is the directory's say: the email the provider vouches for must
//! be a person there, and their role comes from it as it does for the command line.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use time::OffsetDateTime;
use tokio::sync::RwLock;

use crate::config::OidcConfig;
use crate::error::ServerError;

/// How long a browser has between leaving for the provider and coming back.
const FLOW_MINUTES: i64 = 10;

/// Sign-ins under way at most: each is a few hundred bytes held for ten minutes, and anyone may
/// start one, so there is a ceiling.
const MAX_FLOWS: usize = 10_000;

/// How long the provider's metadata and signing keys are trusted before being fetched again,
/// so a key the provider rotates in is picked up without a restart.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// A sign-in on its way through the provider.
struct Flow {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    next: String,
    started: OffsetDateTime,
}

/// openidconnect's HTTP requests, sent by our reqwest (openidconnect's own reqwest support is
/// for an older reqwest, which would be a second copy). Its futures are boxed as `Send` so the
/// handlers that await them stay `Send`.
struct Http(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = reqwest::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, reqwest::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let answer = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let mut response = HttpResponse::new(Vec::new());
            *response.status_mut() = answer.status();
            *response.headers_mut() = answer.headers().clone();
            *response.body_mut() = answer.bytes().await?.to_vec();
            Ok(response)
        })
    }
}

/// What a provider vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vouched {
    pub email: String,
    pub subject: String,
}

/// The relying party: the provider's settings, its metadata once fetched, and the sign-ins
/// under way (in memory, so one browser's flow must come back to the same server process).
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
    flows: Mutex<HashMap<String, Flow>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc").field("issuer", &self.config.issuer).finish_non_exhaustive()
    }
}

fn provider_error(what: &str, error: impl std::fmt::Display) -> ServerError {
    tracing::warn!(%error, "OpenID Connect: {what}");
    ServerError::BadGateway(format!("the sign-in provider: {what}"))
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Result<Oidc, ServerError> {
        rapport_workflows::use_ring_for_tls();
        // Following redirects from the provider's endpoints would open the server to SSRF.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| ServerError::Internal(format!("an HTTP client for sign-in: {error}")))?;
        Ok(Oidc { config, http, metadata: RwLock::new(None), flows: Mutex::new(HashMap::new()) })
    }

    /// The words on the sign-in page's button.
    pub fn label(&self) -> &str {
        &self.config.button_label
    }

    async fn provider_metadata(&self) -> Result<CoreProviderMetadata, ServerError> {
        if let Some((fetched, metadata)) = self.metadata.read().await.as_ref()
            && fetched.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|error| provider_error("the issuer is not a URL", error))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &Http(self.http.clone()))
            .await
            .map_err(|error| provider_error("its discovery document could not be read", error))?;
        *self.metadata.write().await = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    async fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        ServerError,
    > {
        let redirect = RedirectUrl::new(self.config.redirect_url.clone())
            .map_err(|error| ServerError::Internal(format!("oidc.redirect_url: {error}")))?;
        Ok(CoreClient::from_provider_metadata(
            self.provider_metadata().await?,
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the browser to sign in, and the state its cookie must carry back.
    pub async fn start(&self, next: String, now: OffsetDateTime) -> Result<(String, String), ServerError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let mut flows = self.flows.lock().map_err(|_| ServerError::Internal("sign-in flows".into()))?;
        flows.retain(|_, flow| now - flow.started < time::Duration::minutes(FLOW_MINUTES));
        if flows.len() >= MAX_FLOWS {
            return Err(ServerError::TooManyRequests(
                "too many sign-ins are under way: try again in a few minutes".into(),
            ));
        }
        flows.insert(state.secret().clone(), Flow { verifier, nonce, next, started: now });
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Finishes a sign-in the provider sent back: `state` from the query must be the one the
    /// browser's cookie holds. Returns who the provider vouched for and where they were going.
    pub async fn finish(
        &self,
        code: String,
        state: &str,
        cookie_state: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(Vouched, String), ServerError> {
        let stale = || {
            ServerError::Forbidden("this sign-in has expired or was started elsewhere: sign in again".into())
        };
        if !cookie_state.is_some_and(|cookie| crate::auth::same_secret(cookie, state)) {
            return Err(stale());
        }
        let flow = self
            .flows
            .lock()
            .map_err(|_| ServerError::Internal("sign-in flows".into()))?
            .remove(state)
            .filter(|flow| now - flow.started < time::Duration::minutes(FLOW_MINUTES))
            .ok_or_else(stale)?;
        let client = self.client().await?;
        let http = Http(self.http.clone());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|error| provider_error("it publishes no token endpoint", error))?
            .set_pkce_verifier(flow.verifier)
            .request_async(&http)
            .await
            .map_err(|error| provider_error("the code could not be exchanged", error))?;
        let id_token = tokens.id_token().ok_or_else(|| provider_error("no ID token came back", "none"))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &flow.nonce)
            .map_err(|error| provider_error("the ID token is not valid", error))?;
        let subject = claims.subject().clone();
        // Providers may keep the email out of the ID token and give it at userinfo instead
        // (oidc-provider does unless told otherwise), so ask there when the token has none.
        let (email, verified) = match claims.email() {
            Some(email) => (Some(email.as_str().to_owned()), claims.email_verified()),
            None => {
                let info: CoreUserInfoClaims = client
                    .user_info(tokens.access_token().clone(), Some(subject.clone()))
                    .map_err(|error| provider_error("it publishes no userinfo endpoint", error))?
                    .request_async(&http)
                    .await
                    .map_err(|error| provider_error("its userinfo could not be read", error))?;
                (info.email().map(|email| email.as_str().to_owned()), info.email_verified())
            }
        };
        let email = email.map(|email| email.trim().to_lowercase()).ok_or_else(|| {
            ServerError::Forbidden("the sign-in provider gave no email; Rapport knows people by email".into())
        })?;
        if verified == Some(false) {
            return Err(ServerError::Forbidden(format!(
                "the sign-in provider has not verified {email}; verify it there first"
            )));
        }
        Ok((Vouched { email, subject: subject.as_str().to_owned() }, flow.next))
    }
}
