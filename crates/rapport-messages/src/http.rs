//! What the webhook channels share: which addresses the server may post to, and what a
//! receiver's answer means for trying again. A webhook's address is a secret (whoever holds it
//! can post there), so no error, log or page carries more of it than its host.

use reqwest::{StatusCode, Url};

use crate::email::SendError;

/// Why a webhook address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AddressError(pub String);

/// The address checked: https (or http to this machine) on one of `hosts`, where
/// `*.example.com` stands for any name under example.com.
pub(crate) fn checked_address(address: &str, hosts: &[String], what: &str) -> Result<Url, AddressError> {
    let url = Url::parse(address.trim())
        .map_err(|error| AddressError(format!("the {what} address is not a web address: {error}")))?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err(AddressError(format!("the {what} address must start with https://")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AddressError(format!("the {what} address may not carry a user name or password")));
    }
    if !hosts.iter().any(|allowed| host_matches(allowed, &host)) {
        return Err(AddressError(format!(
            "a {what} address must be on {}, not on {host}",
            hosts.join(" or ")
        )));
    }
    Ok(url)
}

fn host_matches(allowed: &str, host: &str) -> bool {
    let allowed = allowed.trim().to_ascii_lowercase();
    match allowed.strip_prefix("*.") {
        Some(domain) => host.strip_suffix(domain).is_some_and(|name| name.ends_with('.') && name.len() > 1),
        None => allowed == host,
    }
}

/// What may be shown of a secret address: its scheme and host.
pub fn address_shown(address: &str) -> String {
    match Url::parse(address) {
        Ok(url) => format!("{}://{}/…", url.scheme(), url.host_str().unwrap_or_default()),
        Err(_) => "(not a web address)".into(),
    }
}

/// Posts `body` as JSON to `url`; an error says whether trying again could help, and never
/// carries the address.
pub(crate) async fn post_json(
    client: &reqwest::Client,
    url: &Url,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<(), SendError> {
    let mut request = client.post(url.clone()).header(reqwest::header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|error| SendError { permanent: false, message: error_chain(&error.without_url()) })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let said = response.text().await.unwrap_or_default();
    let said: String = said.trim().chars().take(200).collect();
    Err(SendError {
        permanent: !transient(status),
        message: format!("the receiver answered {status}: {said}"),
    })
}

/// Too many requests, a timeout or the receiver's own fault: worth trying later.
fn transient(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &[&str]) -> Vec<String> {
        list.iter().map(|host| (*host).to_owned()).collect()
    }

    #[test]
    fn an_address_must_be_https_on_an_allowed_host_and_carry_no_password() {
        let slack = hosts(&["hooks.slack.com"]);
        assert!(checked_address("https://hooks.slack.com/services/T0/B0/x", &slack, "Slack").is_ok());
        let refused = |address: &str, hosts: &[String]| {
            checked_address(address, hosts, "Slack").map(drop).unwrap_err().to_string()
        };
        assert_eq!(
            refused("https://hooks.slack.com.evil.test/services/x", &slack),
            "a Slack address must be on hooks.slack.com, not on hooks.slack.com.evil.test"
        );
        assert_eq!(refused("http://hooks.slack.com/x", &slack), "the Slack address must start with https://");
        assert_eq!(
            refused("https://me:pw@hooks.slack.com/x", &slack),
            "the Slack address may not carry a user name or password"
        );
        assert!(refused("hooks.slack.com/x", &slack).starts_with("the Slack address is not a web address"));
        // Plain http only to this machine, and only when this machine is allowed.
        let local = hosts(&["127.0.0.1"]);
        assert!(checked_address("http://127.0.0.1:8080/slack", &local, "Slack").is_ok());
        assert!(checked_address("http://127.0.0.1:8080/slack", &slack, "Slack").is_err());
    }

    #[test]
    fn a_wildcard_host_stands_for_names_under_it_only() {
        assert!(host_matches("*.logic.azure.com", "prod-27.westeurope.logic.azure.com"));
        assert!(!host_matches("*.logic.azure.com", "logic.azure.com"));
        assert!(!host_matches("*.logic.azure.com", "evillogic.azure.com"));
        assert!(host_matches("Hooks.Slack.com", "hooks.slack.com"));
    }

    #[test]
    fn only_the_host_of_a_secret_address_is_shown() {
        assert_eq!(
            address_shown("https://hooks.slack.com/services/T0/B0/secret"),
            "https://hooks.slack.com/…"
        );
    }
}
