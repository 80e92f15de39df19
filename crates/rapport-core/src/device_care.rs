//! What a person can do on their own device, and why, in plain words: from what inventory
//! knows of it (disk encryption, firewall, screen lock, last restart, failing checks).

use serde::Serialize;

use crate::DeviceFacts;

/// Days without a restart after which updates are probably waiting for one.
pub const RESTART_AFTER_DAYS: i64 = 14;

/// Days without word from a device after which what inventory knows of it is stale.
pub const SILENT_AFTER_DAYS: i64 = 14;

/// One thing to do on a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceAdvice {
    /// What to do, as an instruction.
    pub what: String,
    /// Why it matters to the person, in everyday words.
    pub why: String,
}

/// The advice for one device at `now`, from the facts inventory reported at `last_seen`
/// (both Unix seconds), most protective first. Empty when inventory knows of nothing to do; a
/// fact inventory did not report gives no advice. A device silent for weeks is first asked to
/// check in, since everything else said of it may be out of date.
pub fn device_advice(facts: &DeviceFacts, last_seen: Option<i64>, now: i64) -> Vec<DeviceAdvice> {
    let mac = facts.platform.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("darwin"));
    let windows = facts.platform.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("windows"));
    let mut advice = Vec::new();
    let reported = last_seen.unwrap_or(now);
    let silent_days = (now - reported) / 86_400;
    if silent_days >= SILENT_AFTER_DAYS {
        advice.push(DeviceAdvice {
            what: "Connect this device to the network so it can check in, or tell the IT team you \
                   no longer use it."
                .into(),
            why: format!(
                "The IT team has not heard from it for {silent_days} days, so what this page says \
                 about it may be out of date, and a device nobody watches misses its updates."
            ),
        });
    }
    if facts.disk_encrypted == Some(false) {
        let how = match (mac, windows) {
            (true, _) => " (FileVault, in System Settings → Privacy & Security)",
            (_, true) => " (BitLocker, in Settings → Privacy & security → Device encryption)",
            _ => "",
        };
        advice.push(DeviceAdvice {
            what: format!("Turn on disk encryption{how}."),
            why: "If this device is lost or stolen, whoever has it can read everything on it; with \
                  encryption they see nothing without your password."
                .into(),
        });
    }
    if facts.screen_lock == Some(false) {
        advice.push(DeviceAdvice {
            what: "Make the screen lock by itself after a few minutes.".into(),
            why: "A screen left unlocked for a coffee is an open door to your email and files.".into(),
        });
    }
    if facts.firewall == Some(false) {
        advice.push(DeviceAdvice {
            what: "Turn on the firewall.".into(),
            why: "On shared networks (cafés, hotels, airports) it keeps other machines from \
                  reaching your device."
                .into(),
        });
    }
    if let Some(booted) = facts.last_reboot {
        // Uptime as the device reported it: counting on to now would blame the user for the
        // days inventory did not hear from it.
        let days = (reported - booted) / 86_400;
        if days >= RESTART_AFTER_DAYS {
            advice.push(DeviceAdvice {
                what: "Restart your device.".into(),
                why: format!(
                    "It has run for {days} days without a restart, and security updates that are \
                     already downloaded only start protecting you after one."
                ),
            });
        }
    }
    if !facts.failing_policies.is_empty() {
        advice.push(DeviceAdvice {
            what: format!("Fix what the IT team's checks found: {}.", facts.failing_policies.join("; ")),
            why: "These are the checks your IT team agreed every device should pass; ask them if \
                  one is unclear."
                .into(),
        });
    }
    advice
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn a_well_kept_device_needs_nothing() {
        let facts = DeviceFacts {
            disk_encrypted: Some(true),
            firewall: Some(true),
            screen_lock: Some(true),
            last_reboot: Some(100 * DAY),
            ..DeviceFacts::default()
        };
        assert!(device_advice(&facts, Some(102 * DAY), 103 * DAY).is_empty());
        assert!(device_advice(&DeviceFacts::default(), None, 0).is_empty(), "nothing known, nothing said");
    }

    #[test]
    fn each_gap_gets_what_to_do_and_why_in_the_platforms_words() {
        let facts = DeviceFacts {
            platform: Some("darwin".into()),
            disk_encrypted: Some(false),
            firewall: Some(false),
            screen_lock: Some(false),
            last_reboot: Some(0),
            failing_policies: vec!["Gatekeeper enabled".into()],
            ..DeviceFacts::default()
        };
        let advice = device_advice(&facts, Some(30 * DAY), 31 * DAY);
        let what: Vec<&str> = advice.iter().map(|a| a.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "Turn on disk encryption (FileVault, in System Settings → Privacy & Security).",
                "Make the screen lock by itself after a few minutes.",
                "Turn on the firewall.",
                "Restart your device.",
                "Fix what the IT team's checks found: Gatekeeper enabled.",
            ]
        );
        assert!(advice[3].why.contains("30 days"), "{}", advice[3].why);
        assert!(advice.iter().all(|a| !a.why.is_empty()));
    }

    #[test]
    fn a_restart_is_asked_for_only_after_two_weeks() {
        let facts = DeviceFacts { last_reboot: Some(0), ..DeviceFacts::default() };
        assert!(device_advice(&facts, None, 13 * DAY).is_empty());
        assert_eq!(device_advice(&facts, None, 14 * DAY).len(), 1);
    }

    #[test]
    fn uptime_is_counted_to_the_last_report_not_to_now() {
        let facts = DeviceFacts { last_reboot: Some(0), ..DeviceFacts::default() };
        let advice = device_advice(&facts, Some(2 * DAY), 3 * DAY);
        assert!(advice.is_empty(), "two days of uptime when last seen: {advice:?}");
    }

    #[test]
    fn a_device_silent_for_weeks_is_asked_to_check_in_first() {
        let facts = DeviceFacts { last_reboot: Some(0), firewall: Some(false), ..DeviceFacts::default() };
        let advice = device_advice(&facts, Some(2 * DAY), 1_924 * DAY);
        let what: Vec<&str> = advice.iter().map(|a| a.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "Connect this device to the network so it can check in, or tell the IT team you no \
                 longer use it.",
                "Turn on the firewall.",
            ]
        );
        assert!(advice[0].why.contains("1922 days"), "{}", advice[0].why);
        assert!(device_advice(&facts, Some(2 * DAY), 15 * DAY).len() == 1, "13 days is not yet silent");
    }
}
