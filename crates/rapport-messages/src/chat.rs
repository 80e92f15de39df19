//! Chat: a message posted to the reader's own Slack incoming webhook (Block Kit) or Microsoft
//! Teams Workflows webhook (an Adaptive Card), kept within each service's limits: for Slack 50
//! blocks, 3,000 characters a section and one message a second per channel; for Teams 28 KB a
//! card and four requests a second per webhook.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{Quota, RateLimiter, clock::DefaultClock, state::keyed::HashMapStateStore};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::email::SendError;
use crate::http::{AddressError, checked_address, post_json};

/// Which chat service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatService {
    Slack,
    Teams,
}

impl ChatService {
    pub fn name(self) -> &'static str {
        match self {
            ChatService::Slack => "Slack",
            ChatService::Teams => "Teams",
        }
    }

    /// Where the service's webhooks live when the settings do not say.
    fn default_hosts(self) -> Vec<String> {
        let hosts: &[&str] = match self {
            ChatService::Slack => &["hooks.slack.com"],
            ChatService::Teams => &["*.logic.azure.com", "*.environment.api.powerplatform.com"],
        };
        hosts.iter().map(|host| (*host).to_owned()).collect()
    }

    /// The least time between two posts to one webhook.
    fn spacing(self) -> Duration {
        match self {
            ChatService::Slack => Duration::from_secs(1),
            ChatService::Teams => Duration::from_millis(250),
        }
    }
}

/// The `[slack]` or `[teams]` settings: the section's presence offers the channel to readers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// The hosts a reader's webhook may be on; the service's own when not given.
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
}

/// One message as a chat post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatPost {
    pub subject: String,
    pub body: String,
    pub ask: String,
    pub link: String,
}

type PerWebhook = RateLimiter<String, HashMapStateStore<String>, DefaultClock>;

/// A chat service the server posts to, at most as often as the service allows per webhook.
#[derive(Clone)]
pub struct ChatChannel {
    service: ChatService,
    hosts: Vec<String>,
    client: reqwest::Client,
    pace: Arc<PerWebhook>,
}

impl std::fmt::Debug for ChatChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatChannel").field("service", &self.service).field("hosts", &self.hosts).finish()
    }
}

impl ChatChannel {
    pub fn new(service: ChatService, settings: &ChatSettings, client: reqwest::Client) -> ChatChannel {
        let quota = Quota::with_period(service.spacing())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN);
        ChatChannel {
            service,
            hosts: settings.hosts.clone().unwrap_or_else(|| service.default_hosts()),
            client,
            pace: Arc::new(RateLimiter::hashmap(quota)),
        }
    }

    pub fn service(&self) -> ChatService {
        self.service
    }

    /// Whether a reader's webhook address may be posted to.
    pub fn check_address(&self, address: &str) -> Result<(), AddressError> {
        checked_address(address, &self.hosts, self.service.name()).map(drop)
    }

    /// Posts `post` to the webhook at `address`, waiting its turn.
    pub async fn send(&self, address: &str, post: &ChatPost) -> Result<(), SendError> {
        let url = checked_address(address, &self.hosts, self.service.name())
            .map_err(|error| SendError { permanent: true, message: error.to_string() })?;
        let payload = match self.service {
            ChatService::Slack => slack_payload(post),
            ChatService::Teams => teams_payload(post),
        };
        self.pace.until_key_ready(&url.as_str().to_owned()).await;
        post_json(&self.client, &url, &[], payload.to_string().into_bytes()).await
    }
}

const SLACK_BLOCKS: usize = 50;
const SLACK_SECTION: usize = 3000;
const SLACK_HEADER: usize = 150;
const SLACK_BUTTON: usize = 75;
/// Slack shows this much of the text in a notification.
const SLACK_NOTIFICATION: usize = 4000;

/// A Block Kit message: the subject as its header, the body in sections, the ask as a button.
pub fn slack_payload(post: &ChatPost) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": cut(&post.subject, SLACK_HEADER) },
    })];
    let room = SLACK_BLOCKS - 2;
    let mut sections = packed(&slack_escape(&post.body), SLACK_SECTION);
    if sections.len() > room {
        sections.truncate(room - 1);
        sections.push("_The rest is on the page._".into());
    }
    blocks.extend(
        sections
            .into_iter()
            .map(|text| json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })),
    );
    blocks.push(json!({
        "type": "actions",
        "elements": [{
            "type": "button",
            "text": { "type": "plain_text", "text": cut(&post.ask, SLACK_BUTTON) },
            "url": post.link,
            "style": "primary",
        }],
    }));
    json!({ "text": cut(&format!("{}: {}", post.subject, post.ask), SLACK_NOTIFICATION), "blocks": blocks })
}

/// Slack reads `&`, `<` and `>` as markup (links, mentions); everything else is text.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The card's size limit, with room for what the service wraps around it.
const TEAMS_BYTES: usize = 27 * 1024;

/// An Adaptive Card in a Workflows message: the subject, the body's paragraphs, the ask as a
/// button. Paragraphs that would take the card past its size are left to the page.
pub fn teams_payload(post: &ChatPost) -> Value {
    let paragraphs: Vec<&str> = post.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
    let mut kept = paragraphs.len();
    loop {
        let mut shown: Vec<String> = paragraphs.iter().take(kept).map(|p| (*p).to_owned()).collect();
        if kept < paragraphs.len() {
            shown.push("The rest is on the page.".into());
        }
        let card = teams_card(post, &shown);
        if card.to_string().len() <= TEAMS_BYTES || kept == 0 {
            return card;
        }
        kept -= 1;
    }
}

fn teams_card(post: &ChatPost, paragraphs: &[String]) -> Value {
    let mut body = vec![json!({
        "type": "TextBlock", "text": cut(&post.subject, 500), "weight": "Bolder", "size": "Medium", "wrap": true,
    })];
    body.extend(
        paragraphs.iter().map(|p| json!({ "type": "TextBlock", "text": cut(p, 8000), "wrap": true })),
    );
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": [{ "type": "Action.OpenUrl", "title": post.ask, "url": post.link }],
            },
        }],
    })
}

/// The paragraphs of `text` put together into pieces of at most `limit` characters, each cut
/// at a space where one is near.
fn packed(text: &str, limit: usize) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        for part in split_long(paragraph, limit) {
            match pieces.last_mut() {
                Some(last) if last.chars().count() + 2 + part.chars().count() <= limit => {
                    last.push_str("\n\n");
                    last.push_str(&part);
                }
                _ => pieces.push(part),
            }
        }
    }
    pieces
}

fn split_long(paragraph: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = paragraph;
    while rest.chars().count() > limit {
        let end = rest.char_indices().nth(limit).map_or(rest.len(), |(at, _)| at);
        let head = rest.get(..end).unwrap_or(rest);
        // Cut at the last space in the piece's last fifth, else mid-word.
        let cut_at = head.rfind(' ').filter(|&at| at > end * 4 / 5).unwrap_or(end);
        parts.push(rest.get(..cut_at).unwrap_or(rest).trim_end().to_owned());
        rest = rest.get(cut_at..).unwrap_or_default().trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// `text` in at most `limit` characters, an ellipsis marking a cut.
fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut kept: String = text.chars().take(limit.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: &str) -> ChatPost {
        ChatPost {
            subject: "Update OpenSSL on pay-api by Friday".into(),
            body: body.into(),
            ask: "Open the task".into(),
            link: "https://rapport.example.com/r/1.2.abc".into(),
        }
    }

    #[test]
    fn a_slack_message_has_a_header_sections_and_one_button_with_markup_escaped() {
        let payload = slack_payload(&post("Hi Sam,\n\nUpgrade <openssl> & restart."));
        let blocks = payload["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0]["text"]["text"], "Update OpenSSL on pay-api by Friday");
        assert_eq!(blocks[1]["text"]["text"], "Hi Sam,\n\nUpgrade &lt;openssl&gt; &amp; restart.");
        assert_eq!(blocks[2]["elements"][0]["url"], "https://rapport.example.com/r/1.2.abc");
        assert_eq!(payload["text"], "Update OpenSSL on pay-api by Friday: Open the task");
    }

    #[test]
    fn a_long_slack_message_keeps_to_fifty_blocks_of_three_thousand_characters() {
        let word = "vulnerable ";
        let paragraph = word.repeat(400); // 4,400 characters: two sections.
        let body = vec![paragraph; 40].join("\n\n");
        let payload = slack_payload(&post(&body));
        let blocks = payload["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), SLACK_BLOCKS);
        for block in blocks.iter().filter(|b| b["type"] == "section") {
            assert!(block["text"]["text"].as_str().unwrap().chars().count() <= SLACK_SECTION);
        }
        assert_eq!(blocks[SLACK_BLOCKS - 2]["text"]["text"], "_The rest is on the page._");
    }

    #[test]
    fn a_long_paragraph_is_cut_at_a_space_and_nothing_is_lost() {
        let paragraph = "ab ".repeat(1500);
        let parts = split_long(paragraph.trim(), 1000);
        assert!(parts.iter().all(|part| part.chars().count() <= 1000 && !part.ends_with(' ')));
        assert_eq!(parts.join(" "), paragraph.trim());
        assert_eq!(split_long("ééé", 2), ["éé", "é"]);
    }

    #[test]
    fn a_teams_card_stays_under_its_size_and_says_where_the_rest_is() {
        let short = teams_payload(&post("Hi Sam,\n\nUpgrade openssl."));
        let card = &short["attachments"][0]["content"];
        assert_eq!(card["body"].as_array().unwrap().len(), 3);
        assert_eq!(card["actions"][0]["url"], "https://rapport.example.com/r/1.2.abc");
        let body = vec!["x".repeat(5000); 12].join("\n\n");
        let long = teams_payload(&post(&body));
        assert!(long.to_string().len() <= TEAMS_BYTES);
        let blocks = long["attachments"][0]["content"]["body"].as_array().unwrap();
        assert_eq!(blocks.last().unwrap()["text"], "The rest is on the page.");
    }
}
