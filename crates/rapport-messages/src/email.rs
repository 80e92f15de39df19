//! Email over SMTP (lettre): a text part and an HTML part of the same words, STARTTLS, TLS or,
//! for a relay on the same machine only, plain; a password that never reaches a log; and a
//! Message-ID stable per message, so that a resend after a crash is recognisable as the same.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// STARTTLS on the submission port (587), required.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine (`localhost`, `127.0.0.1`, `::1`).
    None,
}

/// The `[smtp]` settings.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    /// Better given as `RAPPORT_SMTP_PASSWORD`, to keep it out of the file.
    #[serde(default)]
    pub password: Option<String>,
    /// Who messages come from: `Security <security@example.com>`.
    pub from: String,
}

/// The password never reaches a log.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(hidden)"))
            .field("from", &self.from)
            .finish()
    }
}

/// Why an email was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The mail server refused it for good (5xx): trying again would not help.
    pub permanent: bool,
    pub message: String,
}

/// Settings that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("smtp.{field}: {message}")]
pub struct SmtpSettingsError {
    pub field: &'static str,
    pub message: String,
}

/// One email to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// The same for every attempt of the same message: `<rapport-message-42@example.com>`.
    pub message_id: String,
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The mail server, connected on demand and pooled.
#[derive(Clone)]
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChannel").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

/// How long one conversation with the mail server may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl EmailChannel {
    pub fn new(settings: &SmtpSettings) -> Result<EmailChannel, SmtpSettingsError> {
        let from: Mailbox = settings.from.parse().map_err(|error| SmtpSettingsError {
            field: "from",
            message: format!(
                "{:?} is not an address like \"Security <security@example.com>\": {error}",
                settings.from
            ),
        })?;
        let host = settings.host.trim();
        let tls = || {
            TlsParameters::new(host.to_owned())
                .map_err(|error| SmtpSettingsError { field: "host", message: format!("{host:?}: {error}") })
        };
        let (tls, port) = match settings.security {
            SmtpSecurity::Starttls => (Tls::Required(tls()?), 587),
            SmtpSecurity::Tls => (Tls::Wrapper(tls()?), 465),
            SmtpSecurity::None if matches!(host, "localhost" | "127.0.0.1" | "::1") => (Tls::None, 25),
            SmtpSecurity::None => {
                return Err(SmtpSettingsError {
                    field: "security",
                    message: format!(
                        "\"none\" is only for a relay on this machine, not {host:?}: use starttls or tls"
                    ),
                });
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(settings.port.unwrap_or(port))
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(username) = &settings.username {
            let password = settings.password.clone().unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        Ok(EmailChannel { transport: builder.build(), from })
    }

    /// Sends one email; an error says whether trying again could help.
    pub async fn send(&self, email: &Email) -> Result<(), SendError> {
        let refused = |message: String| SendError { permanent: true, message };
        let to = Mailbox::new(
            Some(email.to_name.clone()),
            email.to_address.parse().map_err(|error| refused(format!("{:?}: {error}", email.to_address)))?,
        );
        let built = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(email.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
            .map_err(|error| refused(format!("the email could not be built: {error}")))?;
        self.transport
            .send(built)
            .await
            .map(drop)
            .map_err(|error| SendError { permanent: error.is_permanent(), message: error.to_string() })
    }
}

/// The HTML part: the body's paragraphs, then the ask as a button to `link`; every piece of
/// text escaped.
pub fn html_of(body: &str, ask: &str, link: &str) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family: sans-serif; font-size: 16px; line-height: 1.5; color: #1b1f24\">",
    );
    for paragraph in body.split("\n\n") {
        let lines: Vec<String> = paragraph.lines().map(escape).collect();
        html.push_str(&format!("<p>{}</p>", lines.join("<br>")));
    }
    html.push_str(&format!(
        "<p><a href=\"{}\" style=\"display: inline-block; padding: 10px 16px; background: #0b5cab; \
         color: #ffffff; text-decoration: none; border-radius: 4px\">{}</a></p></body></html>",
        escape(link),
        escape(ask)
    ));
    html
}

/// The text part: the body, then the ask with its link.
pub fn text_of(body: &str, ask: &str, link: &str) -> String {
    format!("{body}\n\n{ask}\n{link}\n")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_escapes_every_text_and_links_the_ask() {
        let html = html_of(
            "Hi <Sam>,\n\nUpdate \"openssl\" & restart.",
            "Do it",
            "https://x.example/r/1.2.3?a=1&b=2",
        );
        assert!(
            html.contains("<p>Hi &lt;Sam&gt;,</p><p>Update &quot;openssl&quot; &amp; restart.</p>"),
            "{html}"
        );
        assert!(html.contains("href=\"https://x.example/r/1.2.3?a=1&amp;b=2\""), "{html}");
        assert!(html.contains(">Do it</a>"));
    }

    #[test]
    fn plain_smtp_is_refused_beyond_this_machine_and_the_password_never_shows() {
        let settings = SmtpSettings {
            host: "mail.example.com".into(),
            port: None,
            security: SmtpSecurity::None,
            username: Some("rapport".into()),
            password: Some("hunter2".into()),
            from: "Security <security@example.com>".into(),
        };
        let error = EmailChannel::new(&settings).unwrap_err();
        assert_eq!(error.field, "security");
        assert!(!format!("{settings:?}").contains("hunter2"));
        let bad_from = SmtpSettings { from: "not an address".into(), host: "localhost".into(), ..settings };
        assert_eq!(EmailChannel::new(&bad_from).unwrap_err().field, "from");
    }
}
