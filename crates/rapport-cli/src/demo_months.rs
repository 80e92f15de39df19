//! `rapport demo --months N`: the sample estate lived through N months up to now on a moving
//! clock, through the same use cases people, scanners and the clock use, so that health, wins
//! and briefings have real shapes. The sample scans arrive one after another over the months;
//! each Monday every team acknowledges its new work from its messages and fixes some at its own
//! pace (one team is quick, one slow, which asks for more time once, one steady), and rates the
//! work the scans confirmed from the message that told it so; each Tuesday the security team
//! answers what waits for it; each Wednesday the scans run again without what was fixed; the
//! sample laptop takes up its habits a third of the way in; and the clock ticks every morning,
//! composing the messages. Nothing is written but what those use cases write.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rapport_core::words::count;
use rapport_core::{ActionState, Audience, Person, Topic};
use rapport_storage::{ExceptionRequest, ExceptionState, MessageFilter, Store, StoredMessage};
use rapport_workflows::{
    ImportRequest, MessageAnswer, PlanError, compose_messages, decide_exception, directory_principal,
    import_file, import_inventory, list_actions, mark_done, refresh, reply_to_answer, request_exception,
    templates_in_force, tick,
};
use serde_json::Value;
use time::{Duration, OffsetDateTime, Weekday};

/// How a team works through its plan.
#[derive(Clone, Copy, Debug)]
struct Pace {
    /// Fixes it makes on a Monday, every how many weeks.
    fixes: usize,
    every_weeks: i64,
    /// How it rates the work once a scan confirms it, 1 to 5.
    rating: u8,
    /// Whether it asks for more time, once.
    asks_for_time: bool,
}

/// The partner teams' paces, in the order of their names: quick, slow, steady, and again.
const PACES: [Pace; 3] = [
    Pace { fixes: 2, every_weeks: 1, rating: 5, asks_for_time: false },
    Pace { fixes: 1, every_weeks: 3, rating: 3, asks_for_time: true },
    Pace { fixes: 1, every_weeks: 1, rating: 4, asks_for_time: false },
];

/// Days in a simulated month.
const MONTH_DAYS: i64 = 30;

/// When the simulation starts: `months` months before `end`, at nine in the morning (UTC).
pub fn start_of(end: OffsetDateTime, months: u32) -> OffsetDateTime {
    if months == 0 {
        return end;
    }
    let day = (end - Duration::days(MONTH_DAYS * i64::from(months))).date();
    day.midnight().assume_utc() + Duration::hours(9)
}

/// The scans imported at the start, and those that arrive later, each with the day it arrives
/// on: spread evenly over the months, so that each month brings new work.
pub fn arrivals(files: Vec<PathBuf>, months: u32) -> Scans {
    let total = files.len().max(1) as i64;
    let days = MONTH_DAYS * i64::from(months);
    let (first, later): (Vec<_>, Vec<_>) = files
        .into_iter()
        .enumerate()
        .map(|(index, path)| (index as i64 * days / total, path))
        .partition(|(day, _)| *day == 0);
    Scans { first: first.into_iter().map(|(_, path)| path).collect(), later }
}

/// What living through the months did, for the closing line.
#[derive(Debug, Default)]
struct Lived {
    days: i64,
    scans: usize,
    acknowledged: usize,
    marked_done: usize,
    rated: usize,
    replies: usize,
    exceptions: usize,
    messages: u64,
}

impl std::fmt::Display for Lived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Lived {} up to now: {} run; {} acknowledged from their messages, {} marked done and {} rated from \
             the message that confirmed it; {} replied to by the security team; {} asked and decided; {} \
             composed. See `rapport health --months 6`, `rapport briefing --month` for each month, and the wins \
             each team was thanked for.",
            count(self.days, "day", "days"),
            count(self.scans, "scan", "scans"),
            count(self.acknowledged, "piece of work", "pieces of work"),
            self.marked_done,
            self.rated,
            count(self.replies, "answer", "answers"),
            count(self.exceptions, "exception", "exceptions"),
            count(self.messages, "message", "messages"),
        )
    }
}

/// The scans, those imported at the start and those still to arrive with their day.
pub struct Scans {
    pub first: Vec<PathBuf>,
    pub later: Vec<(i64, PathBuf)>,
}

/// Lives from `start` (the demo loaded as of then) to `end`. Returns a line saying what
/// happened.
pub async fn live(
    store: &Store,
    samples: &Path,
    scans: &Scans,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> anyhow::Result<String> {
    let work = std::env::temp_dir().join(format!("rapport-demo-{}", std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let lived = live_in(store, samples, scans, (start, end), &work).await;
    let _ = std::fs::remove_dir_all(&work);
    Ok(lived?.to_string())
}

async fn live_in(
    store: &Store,
    samples: &Path,
    Scans { first, later }: &Scans,
    (start, end): (OffsetDateTime, OffsetDateTime),
    work: &Path,
) -> anyhow::Result<Lived> {
    let mut scans = first.clone();
    let templates = templates_in_force(store).await?;
    let people = store.people().await?;
    let mut lived = Lived { days: (end - start).whole_days(), ..Lived::default() };
    let mut team = Teams::default();
    let habits_on = lived.days / 3;
    for day in 1..=lived.days {
        let now = start + Duration::days(day);
        let mut changed = false;
        for (_, path) in later.iter().filter(|(arrives, _)| *arrives == day) {
            import(store, path, None, now).await?;
            scans.push(path.clone());
            lived.scans += 1;
            changed = true;
        }
        // Mid-month, the teams whose scans name their target release again.
        if day % MONTH_DAYS == MONTH_DAYS / 2 {
            for scan in first.iter().chain(later.iter().map(|(_, path)| path)) {
                if let Some(release) = new_release(scan, day / MONTH_DAYS + 1, work)? {
                    import(store, &release, None, now).await?;
                    scans.push(release);
                    lived.scans += 1;
                    changed = true;
                }
            }
        }
        match now.weekday() {
            Weekday::Monday => team.work(store, &people, now, day / 7, &mut lived).await?,
            Weekday::Tuesday => security_work(store, &people, now, &mut lived).await?,
            Weekday::Wednesday => {
                for scan in &scans {
                    if let Some(rescanned) = without_fixed(scan, &team.fixed, work)? {
                        import(store, &rescanned, Some(scan), now).await?;
                        lived.scans += 1;
                        changed = true;
                    }
                }
            }
            _ => {}
        }
        if day == habits_on {
            for device in inventories(samples)? {
                let updated = with_habits(&device, work, now)?;
                import_inventory(store, &updated, None, || now).await?;
                changed = true;
            }
        }
        if changed {
            refresh(store, now).await?;
        }
        tick(store, now).await?;
        lived.messages += compose_messages(store, &templates, now).await?.messages;
    }
    Ok(lived)
}

async fn import(store: &Store, path: &Path, shown: Option<&Path>, now: OffsetDateTime) -> anyhow::Result<()> {
    let request = ImportRequest {
        path: path.to_owned(),
        format: None,
        source: None,
        name: shown.map(|shown| shown.display().to_string()),
        progress: None,
        waiting: None,
    };
    import_file(store, request, || now).await?;
    Ok(())
}

/// What the teams have done so far.
#[derive(Debug, Default)]
struct Teams {
    /// The packages, products or rules fixed, with the target each was fixed on: the rescans
    /// of that target no longer find them.
    fixed: BTreeSet<(String, String)>,
    /// Actions marked done, each once.
    marked: BTreeSet<i64>,
    /// Whether the slow team has asked for more time yet.
    asked: bool,
}

impl Teams {
    /// A Monday: each team acknowledges its new work and rates what the scans confirmed, from
    /// their messages, and fixes what its pace allows.
    async fn work(
        &mut self,
        store: &Store,
        people: &[Person],
        now: OffsetDateTime,
        week: i64,
        lived: &mut Lived,
    ) -> anyhow::Result<()> {
        let open = list_actions(store, None, Some(ActionState::Open), 1_000, now).await?;
        let (policy, _) = rapport_workflows::current_policy(store, now).await?;
        let mut teams: Vec<String> = store.teams().await?.into_iter().map(|team| team.name).collect();
        teams.retain(|team| !team.eq_ignore_ascii_case(&policy.spec.security_team));
        teams.sort();
        for (index, name) in teams.iter().enumerate() {
            let name = name.as_str();
            let Some(pace) = PACES.get(index % PACES.len()).copied() else { continue };
            let Pace { fixes, every_weeks: every, rating, asks_for_time } = pace;
            let Some(email) = manager_of(people, name) else { continue };
            let by = directory_principal(store, &email, now).await?;
            for message in answerable(store, &email).await? {
                let answer = match message.message.topic {
                    Topic::ActionOpened => MessageAnswer::Acknowledge,
                    Topic::ActionFinished => MessageAnswer::Feedback {
                        rating: Some(rating),
                        words: feedback_words(rating).to_owned(),
                    },
                    _ => continue,
                };
                let finished = matches!(answer, MessageAnswer::Feedback { .. });
                if accepted(rapport_workflows::answer_message(store, &message, answer, now).await)? {
                    if finished { lived.rated += 1 } else { lived.acknowledged += 1 }
                }
            }
            if week % every != 0 {
                continue;
            }
            let mine = open.iter().filter(|listed| listed.stored.action.team == name);
            let todo: Vec<_> = mine.filter(|listed| !self.marked.contains(&listed.stored.id)).collect();
            for listed in todo.iter().take(fixes) {
                let id = listed.stored.id;
                self.marked.insert(id);
                if accepted(mark_done(store, id, &by, "Fixed, and the fix is deployed.", now).await)? {
                    let action = &listed.stored.action;
                    for place in &action.places {
                        self.fixed.insert((place.target.name.clone(), action.subject.clone()));
                    }
                    lived.marked_done += 1;
                }
            }
            // The slow team asks for more time once, for the next piece of its work.
            if asks_for_time
                && !self.asked
                && let Some(next) = todo.get(fixes)
            {
                self.asked = true;
                let request = ExceptionRequest {
                    action: next.stored.id,
                    risk_acceptance: false,
                    requested_by: email.clone(),
                    reason: "The team is in a release freeze until the end of the month.".into(),
                    compensating_control: Some(
                        "The service is only reachable from the office network.".into(),
                    ),
                    until: (now + Duration::days(MONTH_DAYS)).date(),
                };
                if accepted(request_exception(store, &request, &by, now).await.map(drop))? {
                    lived.exceptions += 1;
                }
            }
        }
        Ok(())
    }
}

fn feedback_words(rating: u8) -> &'static str {
    match rating {
        5 => "Clear ask and a fair due date. Thank you.",
        4 => "Fine, though the first message was long.",
        _ => "It landed in a busy week; more notice would help.",
    }
}

/// A Tuesday: the security team replies to the answers waiting for it and decides the
/// requests for more time.
async fn security_work(
    store: &Store,
    people: &[Person],
    now: OffsetDateTime,
    lived: &mut Lived,
) -> anyhow::Result<()> {
    let (policy, _) = rapport_workflows::current_policy(store, now).await?;
    let analyst = people.iter().find(|person| {
        person.active
            && person
                .team
                .as_deref()
                .is_some_and(|team| team.eq_ignore_ascii_case(&policy.spec.security_team))
    });
    let Some(email) = analyst.and_then(|person| person.email.clone()) else { return Ok(()) };
    let by = directory_principal(store, &email, now).await?;
    for answer in store.unreplied_answers().await? {
        let reply = "Thank you. We read every answer, and it shapes next month's plan.";
        if accepted(reply_to_answer(store, answer.id, &by, reply, now).await)? {
            lived.replies += 1;
        }
    }
    for exception in store.exceptions(Some(ExceptionState::Requested), None).await? {
        let reason = "Granted until the freeze ends; keep the service off the internet until then.";
        accepted(decide_exception(store, exception.id, true, &by, reason, now).await)?;
    }
    Ok(())
}

/// Whether a use case did it; a refusal (already answered, no longer open) is a step that
/// did not happen, anything else stops the demo.
fn accepted<T>(result: Result<T, PlanError>) -> anyhow::Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(PlanError::Refused(_)) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// The team's manager (or, with none, anyone of it who reads as an engineer), by email.
fn manager_of(people: &[Person], team: &str) -> Option<String> {
    let of_team = |person: &&Person| {
        person.active && person.team.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(team))
    };
    let members: Vec<&Person> = people.iter().filter(of_team).collect();
    let pick = |audience: Audience| members.iter().find(|person| person.audience == audience);
    pick(Audience::Manager).or_else(|| pick(Audience::Engineer)).and_then(|person| person.email.clone())
}

/// The messages to `email` on work, newest first, that may still be answered.
async fn answerable(store: &Store, email: &str) -> anyhow::Result<Vec<StoredMessage>> {
    let filter =
        MessageFilter { recipient: Some(email.to_owned()), limit: Some(500), ..MessageFilter::default() };
    Ok(store.messages(&filter).await?.into_iter().filter(|stored| stored.message.action.is_some()).collect())
}

/// The device inventories among the samples.
fn inventories(samples: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let folder = samples.join("inventory");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|extension| extension == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// A Fleet host report showing the habits the campaigns ask for: the system updated, a
/// restart in the last day, reported now.
fn with_habits(device: &Path, work: &Path, now: OffsetDateTime) -> anyhow::Result<PathBuf> {
    let text = std::fs::read_to_string(device).with_context(|| format!("reading {}", device.display()))?;
    let mut report: Value =
        serde_json::from_str(&text).with_context(|| format!("reading {}", device.display()))?;
    let seen = now.format(&time::format_description::well_known::Rfc3339)?;
    if let Some(host) = report.get_mut("host").and_then(Value::as_object_mut) {
        host.insert("os_version".into(), Value::from("macOS 15.7.2"));
        host.insert("uptime".into(), Value::from(86_400_000_000_000_u64));
        for field in ["seen_time", "detail_updated_at", "updated_at"] {
            host.insert(field.into(), Value::from(seen.clone()));
        }
    }
    let updated = work.join(device.file_name().unwrap_or_default());
    std::fs::write(&updated, serde_json::to_vec(&report)?)?;
    Ok(updated)
}

/// Where a scan's target's name is kept, in the formats whose releases the demo makes.
const TARGET_NAMES: [&str; 3] = ["/metadata/component/name", "/source/target/userInput", "/ArtifactName"];

/// The name of the target a CycloneDX, Grype or Trivy document scanned.
fn target_of(document: &Value) -> Option<&str> {
    TARGET_NAMES.iter().find_map(|pointer| document.pointer(pointer)?.as_str())
}

/// A new release of what `scan` scanned, numbered `number`, with the same packages: the new
/// work a team's next release brings. None for a scan of a format without a target name.
fn new_release(scan: &Path, number: i64, work: &Path) -> anyhow::Result<Option<PathBuf>> {
    let Ok(text) = std::fs::read_to_string(scan) else { return Ok(None) };
    let Ok(mut document) = serde_json::from_str::<Value>(&text) else { return Ok(None) };
    let pointers = TARGET_NAMES.iter().take(2);
    let Some(pointer) =
        pointers.clone().find(|pointer| document.pointer(pointer).is_some_and(Value::is_string))
    else {
        return Ok(None);
    };
    let Some(name) = document.pointer_mut(pointer) else { return Ok(None) };
    let renamed = format!("{}-release-{number}", name.as_str().unwrap_or_default());
    *name = Value::from(renamed);
    let stem = scan.file_stem().unwrap_or_default().to_string_lossy();
    let release = work.join(format!("{stem}-release-{number}.json"));
    std::fs::write(&release, serde_json::to_vec(&document)?)?;
    Ok(Some(release))
}

/// `scan` as a rescan finds it once the packages, products or rules in `fixed` are fixed,
/// written under `work`; none when that changes nothing, or the format is not one the demo
/// knows how to fix (its work stays open, and a "done" on it is refuted).
fn without_fixed(
    scan: &Path,
    fixed: &BTreeSet<(String, String)>,
    work: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    if fixed.is_empty() {
        return Ok(None);
    }
    let Ok(text) = std::fs::read_to_string(scan) else { return Ok(None) };
    let Ok(mut document) = serde_json::from_str::<Value>(&text) else { return Ok(None) };
    let removed = remove_fixed(&mut document, fixed);
    if removed == 0 {
        return Ok(None);
    }
    let rescanned = work.join(scan.file_name().unwrap_or_default());
    std::fs::write(&rescanned, serde_json::to_vec(&document)?)?;
    Ok(Some(rescanned))
}

/// Removes the findings of fixed packages from a CycloneDX, Grype, Trivy, OSV-Scanner or
/// SARIF document; returns how many went. A package fixed on one target stays on the others;
/// where the document names no target the demo knows how to read, a fix counts everywhere.
fn remove_fixed(document: &mut Value, fixed: &BTreeSet<(String, String)>) -> usize {
    let target = target_of(document).map(str::to_owned);
    let is_fixed = |name: Option<&str>| {
        name.is_some_and(|name| {
            fixed
                .iter()
                .any(|(on, subject)| subject == name && target.as_ref().is_none_or(|target| target == on))
        })
    };
    let mut removed = 0;
    let mut keep = |items: Option<&mut Value>, fixed_item: &dyn Fn(&Value) -> bool| {
        if let Some(items) = items.and_then(Value::as_array_mut) {
            let before = items.len();
            items.retain(|item| !fixed_item(item));
            removed += before - items.len();
        }
    };
    if document.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let names: std::collections::HashMap<String, String> = document
            .get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|component| {
                Some((
                    component.get("bom-ref")?.as_str()?.to_owned(),
                    component.get("name")?.as_str()?.to_owned(),
                ))
            })
            .collect();
        keep(document.get_mut("vulnerabilities"), &|vulnerability| {
            vulnerability.get("affects").and_then(Value::as_array).into_iter().flatten().any(|affected| {
                is_fixed(
                    affected
                        .get("ref")
                        .and_then(Value::as_str)
                        .and_then(|reference| names.get(reference))
                        .map(String::as_str),
                )
            })
        });
    } else if document.get("matches").is_some() {
        keep(document.get_mut("matches"), &|found| {
            is_fixed(found.pointer("/artifact/name").and_then(Value::as_str))
        });
    } else if let Some(results) = document.get_mut("Results").and_then(Value::as_array_mut) {
        for result in results {
            keep(result.get_mut("Vulnerabilities"), &|found| {
                is_fixed(found.get("PkgName").and_then(Value::as_str))
            });
        }
    } else if let Some(runs) = document.get_mut("runs").and_then(Value::as_array_mut) {
        for run in runs {
            keep(run.get_mut("results"), &|found| is_fixed(found.get("ruleId").and_then(Value::as_str)));
        }
    } else if let Some(results) = document.get_mut("results").and_then(Value::as_array_mut) {
        for result in results {
            keep(result.get_mut("packages"), &|found| {
                is_fixed(found.pointer("/package/name").and_then(Value::as_str))
            });
        }
    }
    removed
}
