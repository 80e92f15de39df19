//! Messages for people. One event becomes a different message for each reader: the exact fix
//! for an engineer, the cost against the team's time for a manager, one line of impact for an
//! executive, and a friendly word about their own device for an end user. The words are
//! templates the security team may edit (`templates.rs`), filled with facts already in the
//! reader's words (`facts.rs`), and every message is scored for how easy it is to read
//! (`compose.rs`). The channels that carry messages live here too (`email.rs`: SMTP;
//! `chat.rs`: Slack and Teams webhooks; `webhook.rs`: a signed JSON webhook); they are the
//! crate's only I/O.

mod chat;
mod compose;
mod defaults;
mod email;
mod facts;
mod follow_through;
mod http;
mod templates;
mod webhook;

pub use chat::{ChatChannel, ChatPost, ChatService, ChatSettings, slack_payload, teams_payload};
pub use compose::{Message, compose};
pub use email::{
    Email, EmailChannel, SendError, SmtpSecurity, SmtpSettings, SmtpSettingsError, html_of, text_of,
};
pub use facts::{
    ActionFacts, AnswerFacts, BriefingFacts, CampaignFacts, DigestFacts, DigestItem, EmergencyFacts,
    ExceptionFacts, Facts, FollowThroughFacts, NudgeFacts, PersonFacts, PlaceFacts, PolicyFacts, TeamFacts,
    VARIABLES, WinFacts,
};
pub use follow_through::{BROWSER_CATEGORY, draft_wording};
pub use http::{AddressError, address_shown};
pub use templates::{BLOCKS, Rendered, TemplateError, TemplateName, Templates};
pub use webhook::{WebhookChannel, WebhookMessage, WebhookSettings, WebhookSettingsError};
