//! The commands about the work: `plan`, `actions`, `action`, `policy`, `exception` and
//! `emergency`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use rapport_core::words::{count, is_one};
use rapport_core::{ActionState, Outcome, ScheduledAction, TeamPlan};
use rapport_formats::{DEFAULT_POLICY, defaulted_sections};
use rapport_storage::{ExceptionRequest, ExceptionState, Store};
use rapport_workflows::{
    Answered, BuildReport, CodeFix, CodeSpot, acknowledge_policy, action_detail, apply_policy, build_actions,
    code_fix, compile_policy, current_policy, decide_exception, declare_emergency, directory_principal,
    list_actions, mark_done, request_exception, team_plans, team_policy,
};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::assess::parse_since;
use crate::commands::{now, open};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// One team's plan, week by week; without it, a line per team.
    #[arg(long)]
    team: Option<String>,
    /// Weeks to lay out (default: the policy's `capacity.plan_weeks`).
    #[arg(long)]
    weeks: Option<u32>,
    /// Show the actions as last built instead of building them from the findings first.
    #[arg(long)]
    no_refresh: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ActionsArgs {
    #[arg(long)]
    team: Option<String>,
    /// open, verifying, accepted or closed (default: all but closed), most urgent first.
    #[arg(long, value_parser = parse_state)]
    state: Option<ActionState>,
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print one JSON object per action.
    #[arg(long)]
    json: bool,
}

fn parse_state(word: &str) -> Result<ActionState, String> {
    ActionState::parse(word).ok_or_else(|| format!("{word:?} is not open, verifying, accepted or closed"))
}

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// What to do, where, what it fixes, why, and its history.
    Show {
        id: i64,
        /// Print the action as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mark an action done; the next scan of its places confirms or refutes it.
    Done {
        id: i64,
        /// Your email, as in the directory.
        #[arg(long)]
        by: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the policy in force (or the default one) and which teams acknowledged it; with
    /// --team, the policy as that team reads it: its rules in sentences and what changed
    /// since the version the team acknowledged.
    Show {
        #[arg(long, conflicts_with = "team")]
        default: bool,
        #[arg(long)]
        team: Option<String>,
    },
    /// Check a policy file without applying it.
    Check { file: PathBuf },
    /// Apply a policy file as the next version; shows what changed, which teams must
    /// acknowledge it again.
    Apply {
        file: PathBuf,
        #[arg(long)]
        by: Option<String>,
    },
    /// Record that a team acknowledges the policy in force.
    Ack {
        #[arg(long)]
        team: String,
        /// A member of the team, by email.
        #[arg(long)]
        by: String,
    },
    /// Every version applied.
    History,
}

#[derive(Debug, Subcommand)]
pub enum ExceptionCommand {
    /// Ask for an exception (or, with --risk-acceptance, accept the risk) on an action.
    Request {
        action: i64,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
        /// What reduces the risk meanwhile.
        #[arg(long)]
        control: Option<String>,
        /// The last day it should last (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        until: Date,
        #[arg(long)]
        risk_acceptance: bool,
    },
    /// Approve a request (a security team member other than the requester).
    Approve {
        id: i64,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
    /// Reject a request, with the reason.
    Reject {
        id: i64,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
    /// Requests and decisions, newest first.
    List {
        /// requested, approved, rejected or expired.
        #[arg(long, value_parser = parse_exception_state)]
        state: Option<ExceptionState>,
        #[arg(long)]
        team: Option<String>,
    },
}

fn parse_exception_state(word: &str) -> Result<ExceptionState, String> {
    ExceptionState::parse(word)
        .ok_or_else(|| format!("{word:?} is not requested, approved, rejected or expired"))
}

fn parse_day(text: &str) -> Result<Date, String> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("{text:?} is not a day like 2026-12-31"))
}

#[derive(Debug, Subcommand)]
pub enum EmergencyCommand {
    /// Declare an action an emergency outside the policy's criteria (recorded, reviewed).
    Declare {
        action: i64,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
    /// Every override, for the monthly review.
    List {
        /// Since this day (YYYY-MM-DD) or moment.
        #[arg(long, value_parser = parse_since)]
        since: Option<OffsetDateTime>,
    },
}

pub fn print_build(out: &mut impl Write, report: &BuildReport) -> std::io::Result<()> {
    writeln!(
        out,
        "{} → {} for {} ({} new, {} changed, {} closed, {} reopened, {} refuted).",
        count(report.findings, "open finding", "open findings"),
        count(report.actions, "action", "actions"),
        count(report.teams, "team", "teams"),
        report.opened,
        report.changed,
        report.closed,
        report.reopened,
        report.refuted
    )?;
    if report.unowned_findings > 0 {
        writeln!(
            out,
            "{} {} on assets no team owns: see `rapport assets --unowned` and the ownership file.",
            count(report.unowned_findings, "finding", "findings"),
            if is_one(report.unowned_findings) { "is" } else { "are" }
        )?;
    }
    if report.undecided_findings > 0 {
        writeln!(
            out,
            "{} no decision yet: run `rapport assess`.",
            count(report.undecided_findings, "finding has", "findings have")
        )?;
    }
    Ok(())
}

pub async fn plan(database: &str, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    let report = if args.no_refresh { None } else { Some(build_actions(&store, now()).await?) };
    let (policy, stored) = current_policy(&store, now()).await?;
    let weeks = args.weeks.unwrap_or(policy.spec.capacity.plan_weeks);
    let today = now().date();
    let acks = store.policy_acks().await?;
    let plans = team_plans(&store, args.team.as_deref(), &policy, today, weeks).await?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &json!({ "policy": stored.id, "plans": plans }))?;
        writeln!(out)?;
    } else {
        if let Some(report) = &report {
            print_build(&mut out, report)?;
        }
        writeln!(out, "Policy version {} ({}).\n", stored.id, stored.name)?;
        let acknowledged =
            |team: &str| acks.iter().any(|a| a.policy == stored.id && a.team.eq_ignore_ascii_case(team));
        if args.team.is_some() {
            for plan in &plans {
                print_team_plan(&mut out, plan, acknowledged(&plan.team), weeks)?;
            }
        } else {
            writeln!(
                out,
                "{:<24} {:>7} {:>5} {:>6} {:>5} {:>14} {:>5}  policy",
                "team", "actions", "act", "attend", "emerg", "2 weeks (h)", "late"
            )?;
            for plan in &plans {
                let two_weeks: (f64, f64) =
                    plan.weeks.iter().take(2).fold((0.0, 0.0), |(booked, capacity), week| {
                        (booked + week.booked_hours, capacity + week.capacity_hours)
                    });
                let count = |outcome| plan.actions.iter().filter(|a| a.outcome == outcome).count();
                writeln!(
                    out,
                    "{:<24} {:>7} {:>5} {:>6} {:>5} {:>6.1} of {:<5.1} {:>5}  {}",
                    plan.team,
                    plan.actions.len(),
                    count(Outcome::Act),
                    count(Outcome::Attend),
                    plan.actions.iter().filter(|a| a.emergency.is_some()).count(),
                    two_weeks.0,
                    two_weeks.1,
                    plan.actions.iter().filter(|a| a.late).count(),
                    if acknowledged(&plan.team) { "acknowledged" } else { "not acknowledged" }
                )?;
            }
            writeln!(out, "\nOne team's plan: rapport plan --team NAME")?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The demo's last part: the sample policy applied, then each team's plan with its reasons.
pub async fn demo_plan(store: &Store, samples: &std::path::Path, at: OffsetDateTime) -> anyhow::Result<()> {
    let file = samples.join("policy/policy.toml");
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let applied = apply_policy(store, &file.display().to_string(), &text, None, at).await?;
    let mut out = crate::printable::stdout();
    writeln!(out, "\n{}: policy version {}.", file.display(), applied.version)?;
    print_build(&mut out, &build_actions(store, at).await?)?;
    let (policy, _) = current_policy(store, at).await?;
    let weeks = policy.spec.capacity.plan_weeks;
    for plan in team_plans(store, None, &policy, at.date(), weeks).await? {
        writeln!(out)?;
        print_team_plan(&mut out, &plan, false, weeks)?;
    }
    Ok(())
}

fn print_team_plan(
    out: &mut impl Write,
    plan: &TeamPlan,
    acknowledged: bool,
    weeks: u32,
) -> anyhow::Result<()> {
    let assumed = if plan.capacity_assumed { " (not stated by the team: the policy's default)" } else { "" };
    writeln!(
        out,
        "Plan for {} from {}: {:.1} h a week{assumed}.",
        plan.team, plan.today, plan.weekly_capacity_hours
    )?;
    if !acknowledged {
        writeln!(out, "The team has not acknowledged the policy in force: `rapport policy ack --team ...`.")?;
    }
    for line in &plan.shortfall {
        writeln!(out, "! {line}")?;
    }
    let by_id = |id: i64| plan.actions.iter().find(|a| a.id == id);
    let mut shown = std::collections::HashSet::new();
    for week in &plan.weeks {
        let frozen = week.frozen.as_deref().map(|why| format!(" — frozen: {why}")).unwrap_or_default();
        writeln!(
            out,
            "\nWeek of {}: {:.1} h booked of {:.1} h{frozen}",
            week.starts, week.booked_hours, week.capacity_hours
        )?;
        for id in &week.actions {
            match by_id(*id) {
                // Work longer than a week's hours goes on the next week.
                Some(action) if !shown.insert(*id) => writeln!(out, "  #{id} continued: {}", action.what)?,
                Some(action) => print_scheduled(out, action)?,
                None => {}
            }
        }
    }
    let horizon = plan.weeks.last().map(|w| w.starts + time::Duration::days(7));
    let later: Vec<&ScheduledAction> =
        plan.actions.iter().filter(|a| a.starts.zip(horizon).is_none_or(|(s, h)| s >= h)).collect();
    if !later.is_empty() {
        let late = later.iter().filter(|a| a.late).count();
        writeln!(
            out,
            "\nAfter these {}: {} more ({late} of them late against policy).",
            count(weeks, "week", "weeks"),
            count(later.len(), "action", "actions")
        )?;
    }
    if !plan.excepted.is_empty() {
        writeln!(out, "\nUnder an approved exception:")?;
        for aside in &plan.excepted {
            let until = aside.until.map(|d| d.to_string()).unwrap_or_default();
            writeln!(out, "  #{} {} [{}] until {until}", aside.id, aside.what, aside.outcome.label())?;
        }
    }
    if !plan.verifying.is_empty() {
        writeln!(out, "\nDone, waiting for a scan to confirm:")?;
        for aside in &plan.verifying {
            writeln!(out, "  #{} {}", aside.id, aside.what)?;
        }
    }
    writeln!(out)?;
    Ok(())
}

fn print_scheduled(out: &mut impl Write, action: &ScheduledAction) -> std::io::Result<()> {
    let emergency = match &action.emergency {
        Some(rapport_core::Emergency::Criteria) => " EMERGENCY",
        Some(rapport_core::Emergency::Override { .. }) => " EMERGENCY (override)",
        None => "",
    };
    let due = action.due.map(|d| format!(", due {d}")).unwrap_or_default();
    let late = if action.late { ", LATE" } else { "" };
    writeln!(
        out,
        "  #{} [{}{emergency}] {} — {} finding{}, {:.1} h{due}{late}",
        action.id,
        action.outcome.label(),
        action.what,
        action.findings,
        if action.findings == 1 { "" } else { "s" },
        action.effort_hours
    )?;
    if !action.reason.is_empty() {
        writeln!(out, "      why: {}", action.reason)?;
    }
    Ok(())
}

pub async fn actions(database: &str, args: ActionsArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    if args.state != Some(ActionState::Closed) {
        build_actions(&store, now()).await?;
    }
    let listed = list_actions(&store, args.team.as_deref(), args.state, args.limit, now()).await?;
    if listed.is_empty() && !args.json {
        writeln!(
            out,
            "No actions{}: an action comes from open findings on assets a team owns \
             (`rapport import FILE`, then `rapport owners apply` and `rapport assets --unowned`).",
            if args.team.is_some() || args.state.is_some() { " match" } else { " yet" }
        )?;
    }
    for listed in &listed {
        let (stored, action) = (&listed.stored, &listed.stored.action);
        if args.json {
            let line = json!({
                "id": stored.id, "state": stored.state, "standing": listed.standing.words(),
                "opened_at": stored.opened_at.format(&Rfc3339)?, "action": action,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "#{:<6} {:<20} {:<7} {} — {} on {}; {}",
                stored.id,
                stored.team,
                action.outcome.label(),
                action.what,
                count(action.findings, "finding", "findings"),
                count(action.places.len(), "place", "places"),
                listed.standing.words()
            )?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Where in the code, and what the rule says.
fn print_code_fix(out: &mut impl Write, code: &CodeFix) -> std::io::Result<()> {
    writeln!(out, "The rule: {}", code.rule)?;
    if let Some(text) = &code.text {
        writeln!(out, "  {text}")?;
    }
    if let Some(help) = &code.help {
        writeln!(out, "  Help: {help}")?;
    }
    writeln!(out, "In the code:")?;
    for spot in &code.spots {
        writeln!(out, "  {}", spot_words(spot))?;
    }
    if code.more > 0 {
        writeln!(out, "  and {} more", code.more)?;
    }
    Ok(())
}

/// `repository: src/parse.c:42`.
fn spot_words(spot: &CodeSpot) -> String {
    let path = spot.path.as_deref().unwrap_or("(no file named)");
    let line = spot.line.map(|line| format!(":{line}")).unwrap_or_default();
    format!("{}: {path}{line}", spot.target)
}

fn code_json(code: &CodeFix) -> serde_json::Value {
    let spots: Vec<_> =
        code.spots.iter().map(|s| json!({"target": s.target, "path": s.path, "line": s.line})).collect();
    json!({"rule": code.rule, "text": code.text, "help": code.help, "spots": spots, "more": code.more})
}

pub async fn action(database: &str, command: ActionCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    match command {
        ActionCommand::Show { id, json: as_json } => {
            let detail = action_detail(&store, id, now()).await?;
            let action = &detail.action;
            let code = code_fix(&store, action).await?;
            if as_json {
                let history: Vec<_> = detail.history.iter().map(crate::events::event_json).collect();
                let line = json!({
                    "id": id, "team": detail.team, "state": detail.state, "standing": detail.standing.words(),
                    "emergency": detail.emergency.as_ref().map(rapport_core::Emergency::words),
                    "due": detail.due.map(|due| due.to_string()), "pending_exception": detail.pending_exception,
                    "action": action, "command": action.command(), "code": code.as_ref().map(code_json),
                    "history": history,
                });
                serde_json::to_writer_pretty(&mut out, &line)?;
                writeln!(out)?;
            } else {
                writeln!(out, "#{id} {} ({}, {})", action.what, detail.team, detail.standing.words())?;
                if let Some(emergency) = detail.emergency_aside() {
                    writeln!(out, "{emergency}")?;
                }
                if let Some(due) = detail.due {
                    writeln!(out, "Due: {due}")?;
                }
                if let Some(pending) = detail.pending_exception {
                    writeln!(out, "Exception #{pending} waits for the security team's decision.")?;
                }
                writeln!(out, "Decision: {} — {}", action.outcome.label(), action.reason)?;
                if let Some(assessment) = action.assessment {
                    writeln!(
                        out,
                        "  (evidence: assessment {assessment}; `rapport why` on any of its vulnerabilities)"
                    )?;
                }
                let [act, attend, track_star, track] = action.by_outcome;
                writeln!(
                    out,
                    "Fixes {} (Act {act}, Attend {attend}, Track* {track_star}, Track {track}): {}",
                    count(action.findings, "finding", "findings"),
                    action.fixes.iter().take(12).cloned().collect::<Vec<_>>().join(", ")
                )?;
                let more = action.fixes.len().saturating_sub(12) + action.more_fixes as usize;
                if more > 0 {
                    writeln!(out, "  and {more} more")?;
                }
                if let Some(instructions) = &action.instructions {
                    writeln!(out, "Instructions: {instructions}")?;
                }
                if let Some(command) = action.command() {
                    writeln!(out, "Command: {command}")?;
                }
                writeln!(out, "Where:")?;
                for place in &action.places {
                    let versions = match (&place.installed, &place.fix) {
                        (Some(installed), Some(fix)) => format!(" {installed} → {fix}"),
                        (None, Some(fix)) => format!(" → {fix}"),
                        _ => String::new(),
                    };
                    writeln!(
                        out,
                        "  {} ({}){versions}, {}",
                        place.target.name,
                        place.target.kind.as_str(),
                        count(place.findings, "finding", "findings")
                    )?;
                }
                if let Some(code) = &code {
                    print_code_fix(&mut out, code)?;
                }
                writeln!(out, "History:")?;
                for event in &detail.history {
                    let actor = event.actor.email().map(|a| format!(" by {a}")).unwrap_or_default();
                    writeln!(
                        out,
                        "  {} {}{actor}: {}",
                        crate::printable::moment(event.at),
                        event.kind.label(),
                        event.detail
                    )?;
                }
            }
        }
        ActionCommand::Done { id, by, note } => {
            let by = directory_principal(&store, &by, now()).await?;
            mark_done(&store, id, &by, &note, now()).await?;
            writeln!(out, "Action #{id} is marked done; the next scan of its places will confirm it.")?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn policy(database: &str, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let mut out = crate::printable::stdout();
    match command {
        PolicyCommand::Show { default: true, .. } => write!(out, "{DEFAULT_POLICY}")?,
        PolicyCommand::Check { file } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let policy = compile_policy(&file.display().to_string(), &text)?;
            writeln!(out, "{}: \"{}\" is a sound policy.", file.display(), policy.spec.name)?;
            writeln!(out, "Emergencies: {}.", policy.emergency_words())?;
            print_defaulted(&mut out, &text)?;
        }
        command => {
            let store = open(database).await?;
            policy_with_store(&store, &mut out, command).await?;
            store.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn policy_with_store(
    store: &Store,
    out: &mut impl Write,
    command: PolicyCommand,
) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Show { team: Some(team), .. } => print_team_policy(store, out, &team).await?,
        PolicyCommand::Show { .. } => {
            let (_, stored) = current_policy(store, now()).await?;
            write!(out, "{}", stored.content)?;
            print_acks(store, out, stored.id).await?;
        }
        PolicyCommand::Apply { file, by } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let applied =
                apply_policy(store, &file.display().to_string(), &text, by.as_deref(), now()).await?;
            if applied.new {
                writeln!(out, "{}: applied as policy version {}.", file.display(), applied.version)?;
                print_defaulted(out, &text)?;
                write!(out, "{}", applied.difference)?;
                print_acks(store, out, applied.version).await?;
            } else {
                writeln!(out, "{}: is already policy version {}.", file.display(), applied.version)?;
            }
        }
        PolicyCommand::Ack { team, by } => {
            let by = directory_principal(store, &by, now()).await?;
            let (version, added) = acknowledge_policy(store, &team, &by, now()).await?;
            let already = if added { "" } else { " (already recorded)" };
            writeln!(out, "{team} acknowledges policy version {version}{already}.")?;
        }
        PolicyCommand::History => {
            for stored in store.policies().await? {
                let by = stored.applied_by.map(|b| format!(" by {b}")).unwrap_or_default();
                writeln!(
                    out,
                    "v{}  {}{by}  {}",
                    stored.id,
                    crate::printable::moment(stored.applied_at),
                    stored.name
                )?;
            }
        }
        PolicyCommand::Check { .. } => {}
    }
    Ok(())
}

/// The policy as a team reads it, as its policy page shows it.
async fn print_team_policy(store: &Store, out: &mut impl Write, team: &str) -> anyhow::Result<()> {
    let read = team_policy(store, team, now()).await?;
    writeln!(out, "{}, version {}, as {} reads it:", read.stored.name, read.stored.id, read.team)?;
    for term in &read.terms {
        writeln!(out, "- {term}")?;
    }
    match &read.acknowledged {
        Some(ack) if ack.policy == read.stored.id => {
            writeln!(out, "{} acknowledged this version ({}).", read.team, ack.acknowledged_by)?;
        }
        Some(ack) => writeln!(
            out,
            "{} acknowledged version {} ({}); this one is not acknowledged yet.",
            read.team, ack.policy, ack.acknowledged_by
        )?,
        None => writeln!(out, "{} has not acknowledged any version yet.", read.team)?,
    }
    if let Some(change) = &read.since_acknowledged {
        writeln!(out, "\nWhat changed since version {}:", change.from_version)?;
        for term in &change.added {
            writeln!(out, "  now:    {term}")?;
        }
        for term in &change.removed {
            writeln!(out, "  before: {term}")?;
        }
        write!(out, "{}", change.difference)?;
    }
    Ok(())
}

/// Names the sections a policy file leaves to the defaults, so a file cut short shows.
fn print_defaulted(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    let defaulted = defaulted_sections(text);
    if !defaulted.is_empty() {
        writeln!(
            out,
            "Not in the file, so the defaults apply (`rapport policy show --default`): {}.",
            defaulted.join(", ")
        )?;
    }
    Ok(())
}

async fn print_acks(store: &Store, out: &mut impl Write, version: i64) -> anyhow::Result<()> {
    let acks = store.policy_acks().await?;
    let teams = store.teams().await?;
    writeln!(out, "\nAcknowledgements of version {version}:")?;
    for team in teams {
        match acks.iter().find(|a| a.policy == version && a.team.eq_ignore_ascii_case(&team.name)) {
            Some(ack) => writeln!(
                out,
                "  {}: acknowledged by {} on {}",
                team.name,
                ack.acknowledged_by,
                ack.acknowledged_at.date()
            )?,
            None => {
                let earlier =
                    acks.iter().filter(|a| a.team.eq_ignore_ascii_case(&team.name)).map(|a| a.policy).max();
                let note = earlier.map(|v| format!(" (acknowledged version {v})")).unwrap_or_default();
                writeln!(out, "  {}: asked to acknowledge{note}", team.name)?
            }
        }
    }
    Ok(())
}

pub async fn exception(database: &str, command: ExceptionCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    match command {
        ExceptionCommand::Request { action, by, reason, control, until, risk_acceptance } => {
            let by = directory_principal(&store, &by, now()).await?;
            let request = ExceptionRequest {
                action,
                risk_acceptance,
                requested_by: by.email.clone(),
                reason,
                compensating_control: control,
                until,
            };
            let Answered { id, .. } = request_exception(&store, &request, &by, now()).await?;
            writeln!(out, "Exception #{id} requested on action #{action}; the security team decides it.")?;
        }
        ExceptionCommand::Approve { id, by, reason } => {
            let by = directory_principal(&store, &by, now()).await?;
            decide_exception(&store, id, true, &by, &reason, now()).await?;
            writeln!(out, "Exception #{id} approved.")?;
        }
        ExceptionCommand::Reject { id, by, reason } => {
            let by = directory_principal(&store, &by, now()).await?;
            decide_exception(&store, id, false, &by, &reason, now()).await?;
            writeln!(out, "Exception #{id} rejected.")?;
        }
        ExceptionCommand::List { state, team } => {
            for exception in store.exceptions(state, team.as_deref()).await? {
                let request = &exception.request;
                let kind = if request.risk_acceptance { "risk acceptance" } else { "exception" };
                writeln!(
                    out,
                    "#{} {} {kind} on action #{} ({}: {}) until {}, asked by {} on {}: {}",
                    exception.id,
                    exception.state.as_str(),
                    request.action,
                    exception.team,
                    exception.what,
                    request.until,
                    request.requested_by,
                    exception.requested_at.date(),
                    request.reason
                )?;
                if let Some(control) = &request.compensating_control {
                    writeln!(out, "    meanwhile: {control}")?;
                }
                if let (Some(by), Some(reason)) = (&exception.decided_by, &exception.decision_reason) {
                    writeln!(out, "    {} by {by}: {reason}", exception.state.as_str())?;
                }
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn emergency(database: &str, command: EmergencyCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    match command {
        EmergencyCommand::Declare { action, by, reason } => {
            let by = directory_principal(&store, &by, now()).await?;
            let id = declare_emergency(&store, action, &by, &reason, now()).await?;
            writeln!(
                out,
                "Override #{id}: action #{action} is an emergency, outside the policy's criteria."
            )?;
            writeln!(out, "It is listed for the monthly review (`rapport emergency list`).")?;
        }
        EmergencyCommand::List { since } => {
            let overrides = store.emergency_overrides(since, None).await?;
            writeln!(out, "{} emergencies declared outside the policy's criteria:", overrides.len())?;
            for o in overrides {
                let policy = o.policy.map(|v| format!(" (policy v{v})")).unwrap_or_default();
                writeln!(
                    out,
                    "#{} {} by {}{policy}: action #{} ({}: {}) — {}",
                    o.id,
                    crate::printable::moment(o.declared_at),
                    o.declared_by,
                    o.action,
                    o.team,
                    o.what,
                    o.reason
                )?;
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
