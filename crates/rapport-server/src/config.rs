//! The server's settings: defaults, then a TOML file, then `RAPPORT_*` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {file}: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("configuration file {file}: {message}")]
    Parse { file: PathBuf, message: String },
    #[error("environment variable {name}={value:?}: expected {expected}")]
    Environment { name: &'static str, value: String, expected: &'static str },
    #[error("the message channels: {message}")]
    Channels { message: String },
}

/// What `rapport serve` runs with.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Where to listen; loopback unless the file or `RAPPORT_LISTEN` says otherwise.
    pub listen: SocketAddr,
    /// How long a browser stays signed in without signing in again.
    pub session_hours: u32,
    /// Marks cookies `Secure`. Browsers accept such cookies over plain HTTP only from
    /// localhost, so turn it off only behind a proxy that terminates TLS on another host.
    pub secure_cookies: bool,
    /// Sign-in attempts allowed a minute from one address at one account; ten times as many
    /// at one account from all addresses, and from one address at all accounts (see
    /// `throttle.rs`).
    pub login_attempts_per_minute: u32,
    /// The largest scanner file the imports page accepts, in MiB.
    pub max_upload_mib: u32,
    /// How long a server holds a delivery it claimed, in seconds, before another server on the
    /// same database takes it over (when the first died mid-send). Longer than the slowest
    /// channel takes to accept a batch of 64, or a slow send may go twice.
    pub delivery_lease_seconds: u32,
    /// Reverse proxies (their addresses) whose `X-Forwarded-For` names the client: behind one,
    /// every request comes from the proxy, and the sign-in limit per address would be shared by
    /// everyone. Empty: the connection's address is the client's.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Sign-in with the organisation's OpenID Connect provider, besides passwords.
    pub oidc: Option<OidcConfig>,
    /// This server as its readers reach it (`https://rapport.example.com`): the links in the
    /// messages it sends start with it. `http://` and the listening address when not given.
    pub public_url: Option<String>,
    /// The mail server messages are sent through (`[smtp]`); without one, messages are still
    /// composed, and each person's inbox page shows them. The password may come from
    /// `RAPPORT_SMTP_PASSWORD` instead, to keep it out of the file.
    pub smtp: Option<rapport_messages::SmtpSettings>,
    /// Offers Slack to readers (`[slack]`): each pastes their own incoming webhook, which must
    /// be on one of `hosts` (hooks.slack.com when not given).
    pub slack: Option<rapport_messages::ChatSettings>,
    /// Offers Microsoft Teams to readers (`[teams]`): each pastes their own Workflows webhook.
    pub teams: Option<rapport_messages::ChatSettings>,
    /// The organisation's own receiver (`[webhook]`): messages to readers who choose it are
    /// posted there, signed by the Standard Webhooks scheme with `secret`, which may come from
    /// `RAPPORT_WEBHOOK_SECRET` instead.
    pub webhook: Option<rapport_messages::WebhookSettings>,
}

/// An OpenID Connect provider (`[oidc]` in the file). The client secret may come from
/// `RAPPORT_OIDC_CLIENT_SECRET` instead, to keep it out of the file.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The issuer, as its discovery document names it (`https://login.example.com/realms/acme`).
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// This server's `/login/oidc/callback`, as registered with the provider.
    pub redirect_url: String,
    /// The words on the sign-in page's button.
    #[serde(default = "default_button_label")]
    pub button_label: String,
}

fn default_button_label() -> String {
    "Sign in with your organisation's account".to_owned()
}

/// The secret never reaches a log.
impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "(hidden)"))
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            session_hours: 12,
            secure_cookies: true,
            login_attempts_per_minute: 5,
            max_upload_mib: 512,
            delivery_lease_seconds: 120,
            trusted_proxies: Vec::new(),
            oidc: None,
            public_url: None,
            smtp: None,
            slack: None,
            teams: None,
            webhook: None,
        }
    }
}

impl ServerConfig {
    /// The defaults, overridden by `file` when given, then by the environment `variable`
    /// returns (`RAPPORT_LISTEN`, `RAPPORT_SESSION_HOURS`, `RAPPORT_SECURE_COOKIES`,
    /// `RAPPORT_LOGIN_ATTEMPTS_PER_MINUTE`, `RAPPORT_MAX_UPLOAD_MIB`, `RAPPORT_OIDC_CLIENT_SECRET`,
    /// `RAPPORT_PUBLIC_URL`, `RAPPORT_SMTP_PASSWORD`, `RAPPORT_WEBHOOK_SECRET`).
    pub fn load(
        file: Option<&Path>,
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let mut config = match file {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|source| ConfigError::Read { file: file.to_owned(), source })?;
                Self::parse(&text).map_err(|message| ConfigError::Parse { file: file.to_owned(), message })?
            }
            None => ServerConfig::default(),
        };
        if let Some(value) = variable("RAPPORT_LISTEN") {
            config.listen = value.parse().map_err(|_| ConfigError::Environment {
                name: "RAPPORT_LISTEN",
                value,
                expected: "an address and port such as 127.0.0.1:8080",
            })?;
        }
        if let Some(value) = variable("RAPPORT_SESSION_HOURS") {
            config.session_hours = positive(value, "RAPPORT_SESSION_HOURS")?;
        }
        if let Some(value) = variable("RAPPORT_SECURE_COOKIES") {
            config.secure_cookies = match value.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(ConfigError::Environment {
                        name: "RAPPORT_SECURE_COOKIES",
                        value,
                        expected: "true or false",
                    });
                }
            };
        }
        if let Some(value) = variable("RAPPORT_LOGIN_ATTEMPTS_PER_MINUTE") {
            config.login_attempts_per_minute = positive(value, "RAPPORT_LOGIN_ATTEMPTS_PER_MINUTE")?;
        }
        if let Some(value) = variable("RAPPORT_MAX_UPLOAD_MIB") {
            config.max_upload_mib = positive(value, "RAPPORT_MAX_UPLOAD_MIB")?;
        }
        if let Some(secret) = variable("RAPPORT_OIDC_CLIENT_SECRET") {
            match config.oidc.as_mut() {
                Some(oidc) => oidc.client_secret = Some(secret),
                None => {
                    return Err(ConfigError::Environment {
                        name: "RAPPORT_OIDC_CLIENT_SECRET",
                        value: "(hidden)".into(),
                        expected: "an [oidc] section in the configuration file for it to belong to",
                    });
                }
            }
        }
        if let Some(url) = variable("RAPPORT_PUBLIC_URL") {
            config.public_url = Some(url);
        }
        if let Some(password) = variable("RAPPORT_SMTP_PASSWORD") {
            match config.smtp.as_mut() {
                Some(smtp) => smtp.password = Some(password),
                None => {
                    return Err(ConfigError::Environment {
                        name: "RAPPORT_SMTP_PASSWORD",
                        value: "(hidden)".into(),
                        expected: "an [smtp] section in the configuration file for it to belong to",
                    });
                }
            }
        }
        if let Some(secret) = variable("RAPPORT_WEBHOOK_SECRET") {
            match config.webhook.as_mut() {
                Some(webhook) => webhook.secret = Some(secret),
                None => {
                    return Err(ConfigError::Environment {
                        name: "RAPPORT_WEBHOOK_SECRET",
                        value: "(hidden)".into(),
                        expected: "a [webhook] section in the configuration file for it to belong to",
                    });
                }
            }
        }
        config.channels().map_err(|message| ConfigError::Channels { message })?;
        Ok(config)
    }

    /// The channels these settings set up.
    pub fn channels(&self) -> Result<rapport_workflows::Channels, String> {
        let email = self.smtp.as_ref().map(rapport_messages::EmailChannel::new).transpose();
        let email = email.map_err(|error| error.to_string())?;
        let client =
            rapport_workflows::webhook_client().map_err(|error| format!("an HTTP client: {error}"))?;
        let chat = |service, settings: &Option<rapport_messages::ChatSettings>| {
            settings
                .as_ref()
                .map(|settings| rapport_messages::ChatChannel::new(service, settings, client.clone()))
        };
        let webhook = self
            .webhook
            .as_ref()
            .map(|settings| rapport_messages::WebhookChannel::new(settings, client.clone()));
        Ok(rapport_workflows::Channels {
            email,
            slack: chat(rapport_messages::ChatService::Slack, &self.slack),
            teams: chat(rapport_messages::ChatService::Teams, &self.teams),
            webhook: webhook.transpose().map_err(|error| error.to_string())?,
            public_url: self.public_url(),
            lease: time::Duration::seconds(i64::from(self.delivery_lease_seconds)),
        })
    }

    /// The address links in messages start with.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen))
    }

    /// Reads the TOML text; the message names the line and column of a mistake.
    fn parse(text: &str) -> Result<ServerConfig, String> {
        let config: ServerConfig = toml::from_str(text).map_err(|error| error.to_string())?;
        if config.session_hours == 0 || config.login_attempts_per_minute == 0 || config.max_upload_mib == 0 {
            return Err(
                "session_hours, login_attempts_per_minute and max_upload_mib must be at least 1".to_owned()
            );
        }
        if !(5..=3600).contains(&config.delivery_lease_seconds) {
            return Err(format!(
                "delivery_lease_seconds: expected 5 to 3600 (a delivery's lease, in seconds), got {}",
                config.delivery_lease_seconds
            ));
        }
        Ok(config)
    }
}

fn positive(value: String, name: &'static str) -> Result<u32, ConfigError> {
    match value.parse::<u32>() {
        Ok(number) if number > 0 => Ok(number),
        _ => Err(ConfigError::Environment { name, value, expected: "a whole number of at least 1" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_the_defaults() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("server.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nsession_hours = 8\n").unwrap();
        let from_file = ServerConfig::load(Some(&file), none).unwrap();
        assert_eq!(from_file.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(from_file.session_hours, 8);
        assert!(from_file.secure_cookies);
        let env = |name: &str| (name == "RAPPORT_LISTEN").then(|| "127.0.0.1:7000".to_owned());
        let both = ServerConfig::load(Some(&file), env).unwrap();
        assert_eq!(both.listen, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(both.session_hours, 8);
    }

    #[test]
    fn a_mistake_names_the_file_and_the_place() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("server.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:8080\"\nsession_hour = 8\n").unwrap();
        let error = ServerConfig::load(Some(&file), none).unwrap_err().to_string();
        assert!(error.contains("server.toml"), "{error}");
        assert!(error.contains("line 2"), "{error}");
        assert!(error.contains("session_hour"), "{error}");
        let env = |name: &str| (name == "RAPPORT_SESSION_HOURS").then(|| "zero".to_owned());
        let error = ServerConfig::load(None, env).unwrap_err().to_string();
        assert!(error.contains("RAPPORT_SESSION_HOURS=\"zero\": expected a whole number"), "{error}");
    }

    #[test]
    fn a_delivery_lease_is_between_five_seconds_and_an_hour() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("server.toml");
        std::fs::write(&file, "delivery_lease_seconds = 1\n").unwrap();
        let error = ServerConfig::load(Some(&file), none).unwrap_err().to_string();
        assert!(
            error.contains("server.toml") && error.contains("delivery_lease_seconds: expected 5 to 3600"),
            "{error}"
        );
        std::fs::write(&file, "delivery_lease_seconds = 30\n").unwrap();
        let channels = ServerConfig::load(Some(&file), none).unwrap().channels().unwrap();
        assert_eq!(channels.lease, time::Duration::seconds(30));
        assert_eq!(ServerConfig::default().channels().unwrap().lease, rapport_workflows::DEFAULT_LEASE);
    }

    #[test]
    fn the_oidc_secret_may_come_from_the_environment_and_is_never_printed() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("server.toml");
        std::fs::write(
            &file,
            "[oidc]\nissuer = \"https://login.example.com\"\nclient_id = \"rapport\"\n\
             redirect_url = \"https://rapport.example.com/login/oidc/callback\"\n",
        )
        .unwrap();
        let env = |name: &str| (name == "RAPPORT_OIDC_CLIENT_SECRET").then(|| "s3cret-value".to_owned());
        let config = ServerConfig::load(Some(&file), env).unwrap();
        let oidc = config.oidc.as_ref().unwrap();
        assert_eq!(oidc.client_secret.as_deref(), Some("s3cret-value"));
        assert_eq!(oidc.button_label, "Sign in with your organisation's account");
        assert!(!format!("{config:?}").contains("s3cret-value"));
        let error = ServerConfig::load(None, env).unwrap_err().to_string();
        assert!(error.contains("an [oidc] section") && !error.contains("s3cret-value"), "{error}");
    }

    #[test]
    fn the_webhook_secret_comes_from_the_environment_is_checked_and_is_never_printed() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("server.toml");
        std::fs::write(&file, "[webhook]\nurl = \"https://hooks.example.com/rapport/T0KEN\"\n[slack]\n")
            .unwrap();
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let env = |name: &str| (name == "RAPPORT_WEBHOOK_SECRET").then(|| secret.to_owned());
        let config = ServerConfig::load(Some(&file), env).unwrap();
        let shown = format!("{config:?} {:?}", config.channels().unwrap());
        assert!(!shown.contains("MfKQ9r8") && !shown.contains("T0KEN"), "{shown}");
        let error = ServerConfig::load(Some(&file), none).unwrap_err().to_string();
        assert!(error.contains("webhook.secret: missing"), "{error}");
        let short = |name: &str| (name == "RAPPORT_WEBHOOK_SECRET").then(|| "whsec_c2hvcnQ=".to_owned());
        let error = ServerConfig::load(Some(&file), short).unwrap_err().to_string();
        assert!(error.contains("expected 24 to 64 bytes of key, not 5"), "{error}");
        let error = ServerConfig::load(None, env).unwrap_err().to_string();
        assert!(error.contains("a [webhook] section") && !error.contains("MfKQ9r8"), "{error}");
    }
}
