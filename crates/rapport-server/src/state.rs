//! What every request shares: the store, the settings, the metrics and the sign-in limiter.

use std::sync::Arc;

use rapport_storage::{AuditEvent, Store, StoreError};
use time::OffsetDateTime;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::metrics::Metrics;
use crate::oidc::Oidc;
use crate::throttle::SignInLimits;

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServerConfig>,
    pub metrics: Arc<Metrics>,
    /// How fast passwords may be tried, and the browsers known to have signed in.
    pub sign_in_limits: Arc<SignInLimits>,
    /// Sign-in with the organisation's OpenID Connect provider, when configured.
    pub oidc: Option<Arc<Oidc>>,
    /// The channels messages are delivered by.
    pub channels: Arc<rapport_workflows::Channels>,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Result<AppState, ServerError> {
        let oidc = config.oidc.clone().map(Oidc::new).transpose()?.map(Arc::new);
        let channels = config.channels().map_err(ServerError::Internal)?;
        Ok(AppState {
            store,
            oidc,
            channels: Arc::new(channels),
            metrics: Arc::new(Metrics::default()),
            sign_in_limits: Arc::new(SignInLimits::new(config.login_attempts_per_minute)),
            config: Arc::new(config),
        })
    }

    /// The server reads the clock here, and only here.
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// Runs a workflow over the whole estate (deciding and planning stream rows, and their
    /// futures are not `Send`) on a thread of its own, with the store and the time now.
    pub async fn on_own_thread<T, Work, Done>(&self, work: Work) -> Result<T, tokio::task::JoinError>
    where
        Work: FnOnce(Store, OffsetDateTime) -> Done + Send + 'static,
        Done: Future<Output = T>,
        T: Send + 'static,
    {
        let (store, now) = (self.store.clone(), self.now());
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || runtime.block_on(work(store, now))).await
    }

    /// Forgets what no longer matters: expired sessions, known browsers and the sign-in
    /// limiter's memory of allowances that are whole again.
    pub async fn sweep(&self) -> Result<(), StoreError> {
        let sessions = self.store.delete_expired_sessions(self.now()).await?;
        self.sign_in_limits.sweep(self.now());
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
