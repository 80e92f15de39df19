//! What a person can do on their own device, and why, in plain words: that it check in when
//! inventory has not heard from it for weeks, what each hygiene campaign whose gap it shows
//! asks (in the campaign's own words, so the page and the nudges say the same), and the IT
//! team's failing checks.

use serde::Serialize;

use crate::{Audience, Campaign, Reported};

/// Days without word from a device after which what inventory knows of it is stale.
pub const SILENT_AFTER_DAYS: i64 = 14;

/// One thing to do on a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceAdvice {
    /// What to do, as an instruction.
    pub what: String,
    /// Why it matters to the person, in everyday words.
    pub why: String,
    /// The campaign that asks it, when one does.
    pub campaign: Option<String>,
}

/// The advice for one device at `now` (Unix seconds), from what inventory reported of it and
/// the campaigns in force. Empty when inventory knows of nothing to
/// do; a fact inventory did not report gives no advice. A device silent for weeks is first
/// asked to check in, since everything else said of it may be out of date.
pub fn device_advice(device: &Reported<'_>, now: i64, campaigns: &[Campaign]) -> Vec<DeviceAdvice> {
    let Reported { facts, last_seen, .. } = *device;
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
            campaign: None,
        });
    }
    for campaign in campaigns.iter().filter(|campaign| campaign.shows_gap(device)) {
        if let Some(nudge) = campaign.nudges_for(Audience::EndUser).next() {
            advice.push(DeviceAdvice {
                what: nudge.ask.clone(),
                why: nudge.body.clone(),
                campaign: Some(campaign.name.clone()),
            });
        }
    }
    if !facts.failing_policies.is_empty() {
        advice.push(DeviceAdvice {
            what: format!("Fix what the IT team's checks found: {}.", facts.failing_policies.join("; ")),
            why: "These are the checks your IT team agreed every device should pass; ask them if \
                  one is unclear."
                .into(),
            campaign: None,
        });
    }
    advice
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DayRange, DeviceFacts, DeviceTest, Exposures, Nudge};

    const DAY: i64 = 86_400;

    fn encryption() -> Campaign {
        Campaign {
            name: "disk-encryption".into(),
            goal: "Every disk is encrypted.".into(),
            gap: vec![DeviceTest { disk_encrypted: Some(false), ..DeviceTest::default() }],
            habit: vec![DeviceTest { disk_encrypted: Some(true), ..DeviceTest::default() }],
            exposures: Exposures {
                grace_days: 1,
                gaps_days: vec![3],
                lifetime: 1,
                per_week: 1,
                per_day: 1,
                rearm_after_days: 182,
            },
            nudges: vec![Nudge {
                audience: Audience::EndUser,
                subject: "Keep your files safe".into(),
                body: "A lost laptop with an encrypted disk shows nobody your files.".into(),
                ask: "Turn on disk encryption.".into(),
            }],
            thanks: "Your disk is encrypted.".into(),
            personal: false,
        }
    }

    #[test]
    fn a_well_kept_device_needs_nothing() {
        let facts = DeviceFacts { disk_encrypted: Some(true), ..DeviceFacts::default() };
        assert!(
            device_advice(&Reported::facts(&facts, Some(102 * DAY)), 103 * DAY, &[encryption()]).is_empty()
        );
        assert!(
            device_advice(&Reported::facts(&DeviceFacts::default(), None), 0, &[encryption()]).is_empty(),
            "nothing known"
        );
    }

    #[test]
    fn each_campaign_gap_is_asked_in_the_campaigns_words_and_failing_checks_after() {
        let facts = DeviceFacts {
            disk_encrypted: Some(false),
            failing_policies: vec!["Gatekeeper enabled".into()],
            ..DeviceFacts::default()
        };
        let advice = device_advice(&Reported::facts(&facts, Some(30 * DAY)), 31 * DAY, &[encryption()]);
        let what: Vec<&str> = advice.iter().map(|a| a.what.as_str()).collect();
        assert_eq!(
            what,
            ["Turn on disk encryption.", "Fix what the IT team's checks found: Gatekeeper enabled."]
        );
        assert_eq!(advice[0].why, "A lost laptop with an encrypted disk shows nobody your files.");
        assert_eq!(advice[0].campaign.as_deref(), Some("disk-encryption"));
    }

    #[test]
    fn a_device_silent_for_weeks_is_asked_to_check_in_first() {
        let restart = Campaign {
            gap: vec![DeviceTest {
                days_since_restart: Some(DayRange { at_least: Some(7), below: None }),
                ..DeviceTest::default()
            }],
            ..encryption()
        };
        let facts =
            DeviceFacts { last_reboot: Some(0), disk_encrypted: Some(false), ..DeviceFacts::default() };
        let advice =
            device_advice(&Reported::facts(&facts, Some(2 * DAY)), 1_924 * DAY, &[encryption(), restart]);
        assert_eq!(advice.len(), 2, "uptime counts to the last report, not to now: {advice:?}");
        assert!(advice[0].what.starts_with("Connect this device to the network"), "{advice:?}");
        assert!(advice[0].why.contains("1922 days"), "{}", advice[0].why);
        assert_eq!(
            device_advice(&Reported::facts(&facts, Some(2 * DAY)), 15 * DAY, &[encryption()]).len(),
            1,
            "13 days is not yet silent"
        );
    }
}
