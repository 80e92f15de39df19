//! Rapport's readability scores against Python's `textstat` 0.7.13 (pinned: its syllable
//! counter moved to the CMU dictionary in 2024), which `scripts/test` installs and names in
//! RAPPORT_READABILITY_PYTHON; without it this test says so and, in CI, fails.
//!
//! The texts: every default message for its sample facts, every nudge and thanks of the
//! campaigns Rapport ships, and prose paragraphs from the shared corpus's essays. Rapport counts syllables by rules where `textstat` looks them up,
//! so the scores agree within a tolerance, stated here: each text's grade within 1.0 and
//! reading ease within 7 points, and on average within 0.4 and 3 points.

use std::io::Write;
use std::process::{Command, Stdio};

use rapport_core::{Audience, ReadingTarget, Topic, readability};
use rapport_messages::{Facts, TemplateName, Templates, compose};
use serde_json::Value;

const GRADE_EACH: f64 = 1.0;
const EASE_EACH: f64 = 7.0;
const GRADE_MEAN: f64 = 0.4;
const EASE_MEAN: f64 = 3.0;

fn judge(texts: &[String]) -> Option<Vec<Value>> {
    let Some(python) = std::env::var_os("RAPPORT_READABILITY_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAPPORT_READABILITY_PYTHON is not set: run the tests with scripts/test"
        );
        eprintln!(
            "skipped: RAPPORT_READABILITY_PYTHON is not set (scripts/test installs textstat and sets it)"
        );
        return None;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/readability_judge.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for text in texts {
        input.push_str(&serde_json::to_string(text).unwrap());
        input.push('\n');
    }
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines = String::from_utf8(output.stdout).unwrap();
    Some(lines.lines().map(|line| serde_json::from_str(line).unwrap()).collect())
}

/// Every default message, as its reader reads it (the link aside).
fn messages() -> Vec<String> {
    let templates = Templates::defaults().unwrap();
    TemplateName::all()
        .map(|name| {
            let message =
                compose(&templates, name, &Facts::sample(name.topic, name.audience), "https://example.org/")
                    .unwrap();
            format!("{}\n\n{}", message.body, message.ask)
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct CampaignWords {
    /// None for a series for people's own devices, which thanks nobody.
    thanks: Option<String>,
    #[serde(default)]
    personal: bool,
    nudge: Vec<NudgeWords>,
}

#[derive(serde::Deserialize)]
struct NudgeWords {
    audience: String,
    body: String,
    ask: String,
}

/// Every nudge and thanks of the campaigns Rapport ships, as its end user reads it. The files
/// are read here as data: `rapport-formats` checks them, and this crate does not depend on it.
fn campaign_messages() -> Vec<String> {
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rapport-formats/src/data/campaigns");
    let templates = Templates::defaults().unwrap();
    let written = |topic: Topic, facts: &Facts| {
        let name = TemplateName { topic, audience: Audience::EndUser };
        let message = compose(&templates, name, facts, "https://example.org/").unwrap();
        format!("{}\n\n{}", message.body, message.ask)
    };
    let mut files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    let mut texts = Vec::new();
    for file in files {
        let campaign: CampaignWords = toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for nudge in campaign.nudge.iter().filter(|nudge| nudge.audience == "end_user") {
            let mut facts = Facts::sample(Topic::Nudge, Audience::EndUser);
            facts.campaign.as_mut().unwrap().personal = campaign.personal;
            let said = facts.campaign.as_mut().and_then(|campaign| campaign.nudge.as_mut()).unwrap();
            said.body = nudge.body.trim().to_owned();
            said.ask = nudge.ask.clone();
            texts.push(written(Topic::Nudge, &facts));
        }
        if let Some(thanks) = &campaign.thanks {
            let mut facts = Facts::sample(Topic::HabitThanks, Audience::EndUser);
            facts.campaign.as_mut().unwrap().thanks = thanks.clone();
            texts.push(written(Topic::HabitThanks, &facts));
        }
    }
    texts
}

#[test]
fn every_shipped_nudge_and_thanks_reads_at_grade_6_or_lower_by_textstat() {
    let texts = campaign_messages();
    assert!(texts.len() >= 50, "only {} nudges and thanks", texts.len());
    let Some(judged) = judge(&texts) else { return };
    let target = ReadingTarget::for_audience(Audience::EndUser);
    let over: Vec<String> = texts
        .iter()
        .zip(&judged)
        .filter(|(_, theirs)| theirs["grade"].as_f64().unwrap() > target.max_grade)
        .map(|(text, theirs)| format!("grade {} by textstat: {text:?}", theirs["grade"]))
        .collect();
    assert!(over.is_empty(), "{}", over.join("\n"));
    let highest = judged.iter().map(|theirs| theirs["grade"].as_f64().unwrap()).fold(f64::MIN, f64::max);
    eprintln!("{} nudges and thanks: grade {highest:.1} at most by textstat", texts.len());
}

/// Paragraphs of plain prose from the essays in the shared corpus.
fn essays() -> Vec<String> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    let mut files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            text.split("\n\n")
                .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|paragraph| (300..2000).contains(&paragraph.len()))
                .take(12)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn scores_agree_with_textstat() {
    let texts: Vec<String> = messages().into_iter().chain(campaign_messages()).chain(essays()).collect();
    assert!(texts.len() > 50, "only {} texts", texts.len());
    let Some(judged) = judge(&texts) else { return };
    assert_eq!(judged.len(), texts.len());
    let (mut grade_total, mut ease_total) = (0.0, 0.0);
    let mut apart = Vec::new();
    for (text, theirs) in texts.iter().zip(&judged) {
        let ours = readability(text);
        let grade = (ours.grade - theirs["grade"].as_f64().unwrap()).abs();
        let ease = (ours.reading_ease - theirs["reading_ease"].as_f64().unwrap()).abs();
        assert_eq!(u64::from(ours.words), theirs["words"].as_u64().unwrap(), "words of {text:?}");
        assert_eq!(u64::from(ours.sentences), theirs["sentences"].as_u64().unwrap(), "sentences of {text:?}");
        grade_total += grade;
        ease_total += ease;
        if grade > GRADE_EACH || ease > EASE_EACH {
            apart.push(format!(
                "grade {:.2} vs {}, ease {:.1} vs {}: {text:?}",
                ours.grade, theirs["grade"], ours.reading_ease, theirs["reading_ease"]
            ));
        }
    }
    let count = texts.len() as f64;
    let (grade_mean, ease_mean) = (grade_total / count, ease_total / count);
    eprintln!(
        "{} texts: mean difference {grade_mean:.2} grades, {ease_mean:.2} points of reading ease",
        texts.len()
    );
    assert!(apart.is_empty(), "{}", apart.join("\n"));
    assert!(
        grade_mean <= GRADE_MEAN && ease_mean <= EASE_MEAN,
        "mean difference {grade_mean:.2} grades, {ease_mean:.2} points"
    );
}

/// A follow-through draft's first words for each kind of advisory, as each reader reads them.
fn follow_through_messages() -> Vec<(Audience, String)> {
    use rapport_core::{Advisory, KevEntry, Release, VendorFeed, VulnId, VulnRecord};
    let templates = Templates::defaults().unwrap();
    let feed = |category: &str, product: &str| VendorFeed {
        url: "https://vendor.example/feed".into(),
        name: format!("{product} releases"),
        product: product.into(),
        category: category.into(),
        software: vec![product.into()],
        only: Vec::new(),
    };
    let release = Release { id: "1".into(), title: "Version 24.8.3 is out".into(), ..Release::default() };
    let kev = KevEntry {
        cve: VulnId::new("CVE-2026-1000"),
        vendor: "Example".into(),
        product: "Gateway".into(),
        name: "Example Gateway path traversal".into(),
        date_added: time::Date::from_calendar_date(2026, time::Month::December, 1).unwrap(),
        due_date: None,
        ransomware: false,
        description: String::new(),
        required_action: String::new(),
        notes: String::new(),
    };
    let mut record = VulnRecord::new(VulnId::new("GHSA-jfh8-c2jp-5v3q"), "osv");
    record.title = Some("Remote code injection in Log4j".into());
    let advisories = [
        Advisory::of_release(&feed(rapport_messages::BROWSER_CATEGORY, "Google Chrome"), &release).unwrap(),
        Advisory::of_release(&feed("office", "Office Suite"), &release).unwrap(),
        Advisory::of_kev(&kev),
        Advisory::of_record(&record),
    ];
    let mut texts = Vec::new();
    for advisory in &advisories {
        let wording = rapport_messages::draft_wording(advisory);
        for audience in [Audience::EndUser, Audience::Manager] {
            let mut facts = Facts::sample(Topic::FollowThrough, audience);
            let words = if audience == Audience::EndUser { &wording.end_user } else { &wording.team };
            let said = facts.follow_through.as_mut().unwrap();
            said.subject = words.subject.clone();
            said.body = words.body.clone();
            said.ask = words.ask.clone();
            let name = TemplateName { topic: Topic::FollowThrough, audience };
            let message = compose(&templates, name, &facts, "https://example.org/").unwrap();
            texts.push((audience, format!("{}\n\n{}", message.body, message.ask)));
        }
    }
    texts
}

#[test]
fn every_follow_through_draft_reads_within_its_readers_grade_by_textstat() {
    let texts = follow_through_messages();
    let Some(judged) = judge(&texts.iter().map(|(_, text)| text.clone()).collect::<Vec<_>>()) else { return };
    let over: Vec<String> = texts
        .iter()
        .zip(&judged)
        .filter(|((audience, _), theirs)| {
            theirs["grade"].as_f64().unwrap() > ReadingTarget::for_audience(*audience).max_grade
        })
        .map(|((audience, text), theirs)| {
            format!("{audience:?}: grade {} by textstat: {text:?}", theirs["grade"])
        })
        .collect();
    assert!(over.is_empty(), "{}", over.join("\n"));
}

/// Every kind of win, as each of its readers reads it.
fn win_messages() -> Vec<(Audience, String)> {
    let templates = Templates::defaults().unwrap();
    let habit = Facts::sample(Topic::Win, Audience::EndUser);
    let mut texts = Vec::new();
    for audience in Topic::Win.audiences().iter().copied() {
        for kind in ["on_time", "large_risk_removed", "on_time_weeks", "habit_across_the_team"] {
            let mut facts = Facts::sample(Topic::Win, audience);
            let win = facts.win.as_mut().unwrap();
            win.kind = kind.into();
            win.large = kind == "large_risk_removed";
            if !win.large {
                win.in_copy.clear();
            }
            match kind {
                "on_time_weeks" => win.weeks = Some(8),
                "habit_across_the_team" => {
                    win.people = Some(5);
                    facts.campaign = habit.campaign.clone();
                }
                _ => {}
            }
            if facts.action.is_none() && kind.starts_with("on_time") | kind.starts_with("large") {
                facts.action = Facts::sample(Topic::ActionFinished, audience).action;
            }
            let name = TemplateName { topic: Topic::Win, audience };
            let message = compose(&templates, name, &facts, "https://example.org/").unwrap();
            texts.push((audience, format!("{}\n\n{}", message.body, message.ask)));
        }
    }
    texts
}

#[test]
fn every_kind_of_win_reads_within_its_readers_grade_by_textstat() {
    let texts = win_messages();
    assert_eq!(texts.len(), 16);
    let Some(judged) = judge(&texts.iter().map(|(_, text)| text.clone()).collect::<Vec<_>>()) else { return };
    let over: Vec<String> = texts
        .iter()
        .zip(&judged)
        .filter(|((audience, text), theirs)| {
            let target = ReadingTarget::for_audience(*audience);
            theirs["grade"].as_f64().unwrap() > target.max_grade
                || !target.misses(&readability(text)).is_empty()
        })
        .map(|((audience, text), theirs)| {
            format!("{audience:?}: grade {} by textstat: {text:?}", theirs["grade"])
        })
        .collect();
    assert!(over.is_empty(), "{}", over.join("\n"));
}

/// A busy month's briefing for the executives and for a manager, every part of it.
fn briefing_texts() -> Vec<(Audience, String)> {
    use rapport_core::{
        CloseBand, Coming, Feat, Health, Outcome, Reader, SecurityMonth, Spread, TeamMonth, Win, briefing,
    };
    let november = time::Date::from_calendar_date(2026, time::Month::November, 1).unwrap();
    let october = time::Date::from_calendar_date(2026, time::Month::October, 1).unwrap();
    let month = |closed, on_time, overdue| TeamMonth {
        closed,
        closed_on_time: on_time,
        overdue_at_end: overdue,
        open_work: 20,
        exceptions_in_force: 1,
        exceptions_granted: 1,
        disputes: 2,
        emergencies: 1,
        habits_shown: 4,
        close_rate: Some(0.04),
        close_band: Some(CloseBand::BelowLow),
        ..TeamMonth::default()
    };
    let security = SecurityMonth {
        answered: Some(Spread { p50: 2.0, p90: 5.0 }),
        exceptions_decided: Some(Spread { p50: 1.0, p90: 2.0 }),
        waiting_at_end: 3,
        decisions_lowered: 2,
        messages_counted: 40,
        messages_gathered: 10,
        messages_dropped: 2,
        ..SecurityMonth::default()
    };
    let health = Health {
        months: vec![october, november],
        teams: [("Payments".to_owned(), vec![month(2, 2, 1), month(5, 4, 3)])].into_iter().collect(),
        security: vec![SecurityMonth::default(), security],
    };
    let at = november.midnight().assume_utc() + time::Duration::days(10);
    let wins: Vec<Win> = [
        Feat::OnTime { action: 1 },
        Feat::LargeRiskRemoved { action: 2 },
        Feat::OnTimeWeeks { weeks: 4 },
        Feat::HabitAcrossTheTeam { campaign: "restart-weekly".into(), people: 5 },
    ]
    .into_iter()
    .map(|feat| Win { team: "Payments".into(), at, feat, once: String::new() })
    .collect();
    let coming = [
        Coming { team: "Payments", outcome: Outcome::Act, hours: 2.0 },
        Coming { team: "Payments", outcome: Outcome::Attend, hours: 3.0 },
    ];
    let drivers = [
        "75% of the new work is on one place: web-01.".to_owned(),
        "3 of the 4 new pieces of work must be acted on first.".to_owned(),
    ];
    let manager = Reader::Manager {
        team: "Payments",
        measured_on: Some("successful payments"),
        weekly_hours: 6.0,
        drivers: &drivers,
    };
    [(Audience::Executive, Reader::Executives), (Audience::Manager, manager)]
        .into_iter()
        .map(|(audience, reader)| {
            let written = briefing(&health, &wins, &coming, november, reader);
            let parts = [written.accomplishments, written.issues, written.responses, written.plans];
            let mut text: Vec<String> = parts.into_iter().flatten().collect();
            text.push(written.feedback);
            (audience, text.join("\n"))
        })
        .collect()
}

#[test]
fn a_briefing_reads_within_its_readers_grade_by_textstat() {
    let texts = briefing_texts();
    let Some(judged) = judge(&texts.iter().map(|(_, text)| text.clone()).collect::<Vec<_>>()) else { return };
    for ((audience, text), theirs) in texts.iter().zip(&judged) {
        let target = ReadingTarget::for_audience(*audience);
        let grade = theirs["grade"].as_f64().unwrap();
        assert!(grade <= target.max_grade, "{audience:?}: grade {grade} by textstat: {text}");
        assert!(
            target.misses(&readability(text)).is_empty(),
            "{audience:?}: {:?}: {text}",
            target.misses(&readability(text))
        );
    }
}
