//! Rapport's domain model: what a scanner found, how it is identified, how serious the
//! scanner says it is, what suppliers' VEX statements say about it; the assets that exist,
//! the people and teams, and the rules that say who owns what.
//!
//! This crate is pure: no I/O, no async runtime, no clock. Time, randomness and ids are
//! parameters. Everything above it (formats, storage, ingest, the binary) speaks these types.

mod access;
mod assess;
mod asset;
mod briefing;
mod campaign;
mod clock;
mod cvss;
mod delivery;
mod device_care;
mod drivers;
mod exposure;
mod finding;
mod fingerprint;
mod fix_command;
mod follow_through;
mod health;
mod incident;
mod intel;
mod lifecycle;
mod noise;
mod ownership;
mod people;
mod plain_words;
mod plan;
mod policy;
mod policy_terms;
mod readability;
mod recipients;
mod recognition;
mod refusal;
mod remedy;
mod severity;
mod ssvc;
mod stix;
pub mod text_limits;
mod topic;
mod version;
mod vex;
mod vuln_id;
pub mod words;

pub use access::{Principal, Role};
pub use assess::{
    Assessment, AssetEvidence, Because, Decision, EpssEvidence, Evidence, Inputs, KevEvidence, Ruled, Said,
    TreeVersion, VulnEvidence, assess, decide, explain_change, without_open_question,
};
pub use asset::{
    AssetId, DeviceFacts, DeviceReport, Setting, Software, SoftwareChange, apply_software_changes,
};
pub use briefing::{Briefing, Coming, Reader, across_teams, briefing, month_name};
pub use campaign::{
    Campaign, DayRange, DeviceTest, Exposures, Nudge, Platform, Reported, SoftwareTest, VersionRange,
    os_version_number,
};
pub use clock::{ClockEvent, RunningException, due_events, ending_exceptions};
pub use cvss::{Cvss, CvssVersion};
pub use delivery::{Channel, MAX_ATTEMPTS, retry_after};
pub use device_care::{DeviceAdvice, device_advice};
pub use drivers::drivers;
pub use exposure::{CampaignStep, Enrolment, NextNudge, Shown, campaign_steps, next_nudge, rearmed};
pub use finding::{Component, Finding, FindingKind, Location, Scope, Status, Target, TargetKind, Tool};
pub use fingerprint::{Fingerprint, ScopeKey};
pub use fix_command::fix_command;
pub use follow_through::{
    Advisory, AffectedSoftware, DraftState, DraftWording, FollowThroughSettings, KEV_CATEGORY,
    RECORD_CATEGORY, Release, VendorFeed, Wording, release_version,
};
pub use health::{
    CloseBand, Composed, Happened, Health, SecurityMonth, Sent, Spread, TeamMonth, compared, health,
    months_to, next_month,
};
pub use incident::{Incident, Indicator, IndicatorKind, Moment, is_technique_id};
pub use intel::{
    AffectedPackage, Edition, EpssScore, ExploitSignal, Feed, KevEntry, Remediation, VulnRecord,
};
pub use lifecycle::{
    ANSWERED_FROM_MESSAGE, ActionState, Actor, By, Cause, Change, EventFacts, EventKind, Step, step,
};
pub use noise::{Hours, Recent, Rhythm, Route, Urgency, route};
pub use ownership::{
    AssetFacts, Conditions, Criticality, Decided, Exposure, Ownership, OwnershipSpec, Patterns, Resolution,
    RuleError, RuleSpec,
};
pub use people::{Audience, Directory, Person, Team};
pub use plan::{
    Emergency, PlanWeek, PlannedAction, ScheduledAction, SetAside, Standing, TeamPlan, plan_team,
};
pub use policy::{
    CapacityRules, DueDays, EffortModel, EffortRate, EmergencyCriteria, ExceptionRules, Freeze, MessageRules,
    Policy, PolicyError, PolicySpec, ReminderRules,
};
pub use policy_terms::changed_terms;
pub use readability::{Readability, ReadingTarget, readability};
pub use recipients::{Occasion, Recipient, recipients};
pub use recognition::{Feat, HABIT_PEOPLE, ON_TIME_WEEKS, Win, wins};
pub use refusal::Refusal;
pub use remedy::{
    Action, ActionDraft, Contribution, Place, Remedy, RemedyInput, RemedyKey, RemedyKind, advisory_fixes,
    remedy_of, risk_weight, routine,
};
pub use severity::Severity;
pub use ssvc::{
    Automatable, DecisionTree, EvidenceRules, Exploitation, HumanImpact, Outcome, Points, SystemExposure,
    TreeError, TreeSpec,
};
pub use stix::{StixObject, Tlp};
pub use topic::Topic;
pub use version::{VersionScheme, fixed_versions};
pub use vex::{VexIndex, VexNote, VexProduct, VexSource, VexStatement, VexStatus};
pub use vuln_id::{VulnId, VulnIdKind, parse_cwe};
