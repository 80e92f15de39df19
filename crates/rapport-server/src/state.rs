//! What every request shares: the store, the settings, the metrics and the sign-in limiter.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rapport_storage::{AuditEvent, Store, StoreError};
use time::OffsetDateTime;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::metrics::Metrics;
use crate::oidc::Oidc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServerConfig>,
    pub metrics: Arc<Metrics>,
    /// Sign-in attempts per account, so many addresses together cannot guess one
    /// account's password quickly.
    pub logins_by_account: Arc<DefaultKeyedRateLimiter<String>>,
    /// Sign-in attempts per address, ten times the account's allowance: one address may
    /// be a whole office behind a NAT, but must not try passwords on every account.
    pub logins_by_address: Arc<DefaultKeyedRateLimiter<String>>,
    /// Sign-in with the organisation's OpenID Connect provider, when configured.
    pub oidc: Option<Arc<Oidc>>,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Result<AppState, ServerError> {
        let per_minute = NonZeroU32::new(config.login_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        let per_address = per_minute.saturating_mul(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN));
        let oidc = config.oidc.clone().map(Oidc::new).transpose()?.map(Arc::new);
        Ok(AppState {
            store,
            oidc,
            metrics: Arc::new(Metrics::default()),
            logins_by_account: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            logins_by_address: Arc::new(RateLimiter::keyed(Quota::per_minute(per_address))),
            config: Arc::new(config),
        })
    }

    /// The server reads the clock here, and only here.
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// Forgets what no longer matters: expired sessions, and the sign-in limiter's memory of
    /// addresses and emails whose allowance is whole again (else spraying many emails would
    /// grow it without bound).
    pub async fn sweep(&self) -> Result<(), StoreError> {
        let sessions = self.store.delete_expired_sessions(self.now()).await?;
        for limiter in [&self.logins_by_account, &self.logins_by_address] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        tracing::debug!(sessions, "swept expired sessions and the sign-in limiter");
        Ok(())
    }

    /// Records a security-relevant act.
    pub async fn audit(
        &self,
        actor: Option<&str>,
        act: &str,
        target: Option<String>,
        detail: String,
        source: Option<String>,
    ) -> Result<(), StoreError> {
        let event = AuditEvent {
            at: self.now(),
            actor: actor.map(str::to_owned),
            act: act.to_owned(),
            target,
            detail,
            source,
        };
        self.store.record_audit(&event).await
    }
}
