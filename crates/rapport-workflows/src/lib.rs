//! The application layer: one function per use case, called by the command line and by the
//! server alike, which only read their input and render the result. Each module is a family
//! of use cases (ARCHITECTURE.md says which file to open for which):
//!
//! - `import`: a scanner file or VEX document ([`import_file`]); `inventory`: device
//!   inventories and directories of people; `intel` and `fetch`: feeds, from files or URLs;
//!   `ownership`: who owns what, and `assign`: giving assets to a team from the pages; `refresh`: deciding and planning again after an import.
//! - `assess`: deciding every open finding with its evidence; `plan`: building the actions
//!   from the open findings; `actions`: each team's plan, the lists and where each action
//!   stands; `findings`: one finding with its decision and evidence; `policy`: its
//!   versions and acknowledgements.
//! - `listen`: the partners' answers and the security team's decisions on them.
//! - `follow_through`: advisories (new KEV entries, OSV and CSAF records, vendor release
//!   feeds) drafted into one thing to do for whom they concern, reviewed and sent.
//! - `clock`: what the passing of time brings (due soon, overdue, exceptions ending).
//!
//! Refusals are [`rapport_core::Refusal`]s (not found, forbidden, conflict, invalid), inside
//! [`PlanError::Refused`].

mod actions;
mod answer;
mod assess;
mod assign;
mod briefing;
mod campaign_answers;
mod campaigns;
mod clock;
mod deliver;
mod fetch;
mod findings;
mod follow_through;
mod health;
mod import;
mod incidents;
mod intel;
mod inventory;
mod listen;
mod message_facts;
mod messages;
mod ownership;
mod plan;
mod policy;
mod refresh;
mod stix;
mod templates;
mod unpack;

pub use actions::{
    ActionDetail, CodeFix, CodeSpot, ListedAction, action_detail, code_fix, list_actions, team_plans,
};
pub use answer::{
    AnswerChoices, LINK_LIFETIME, MessageAnswer, Offer, answer_choices, answer_link, answer_message,
    message_by_link,
};
pub use assess::{AssessError, AssessReport, apply_tree, assess_findings, compile_tree, current_tree};
pub use assign::{Assignment, Given, assign_owner};
pub use briefing::{
    BriefingFor, BriefingReport, CHART_MONTHS, answer_briefing, monthly_briefing, publish_briefing,
};
pub use campaign_answers::{reply_to_campaign_answer, unreplied_campaign_answers};
pub use campaigns::{
    CampaignFigures, CampaignPeople, CampaignReport, PersonInCampaign, TeamCampaignFigures, apply_campaign,
    campaign_figures, campaign_people, campaigns_in_force, choose_personal_series, compile_campaign,
    schedule_campaigns, switch_campaign,
};
pub use clock::{TickReport, tick};
pub use deliver::{Channels, DEFAULT_LEASE, DeliveryReport, deliver_due, webhook_client};
pub use fetch::{EPSS_URL, FetchError, Fetched, KEV_URL, feed_client, fetch_feed, use_ring_for_tls};
pub use findings::{FindingDetail, finding_detail};
pub use follow_through::{
    Drafted, PersonReached, Reach, TeamReached, WordingFor, apply_follow_through, dismiss_follow_through,
    draft_from_intel, edit_follow_through, fetch_release_feeds, follow_through_drafts, follow_through_reach,
    follow_through_settings, preview_follow_through, send_follow_through,
};
pub use health::{HealthReport, MOST_MONTHS, THANKS_WITHIN, ThankedWin, recognise_wins, team_health};
pub use import::{ImportReport, ImportRequest, IngestError, Progress, Waiting, import_file};
pub use incidents::{IncidentDetail, IncidentError, incident_detail, record_incident};
pub use intel::{IntelError, IntelOptions, IntelReport, Skipped, import_intel};
pub use inventory::{DirectoryReport, InventoryReport, import_directory, import_inventory};
pub use listen::{
    Answered, MAX_ANSWER_CHARS, Reachability, answer_reachability, decide_exception, declare_emergency,
    dispute_ownership, give_feedback, mark_done, reply_to_answer, request_exception,
};
pub use messages::{
    ComposeReport, Preferences, Preview, choose_channel, choose_rhythm, compose_messages,
    message_preferences, preview_message,
};
pub use ownership::{
    Explanation, MatchingRule, OwnershipChange, OwnershipError, OwnershipPlan, apply_ownership,
    check_ownership, explain_ownership, own_new_assets,
};
pub use plan::{BuildReport, PlanError, build_actions};
pub use policy::{
    AppliedPolicy, PolicyChange, TeamPolicy, acknowledge_policy, apply_policy, compile_policy,
    current_policy, directory_principal, preview_policy, team_policy,
};
pub use refresh::{RefreshError, Refreshed, refresh, resume_refresh};
pub use stix::{StixError, StixReport, import_stix, stix_counted};
pub use templates::{
    TemplateState, apply_template, preview_template, reset_template, template_states, templates_in_force,
};
