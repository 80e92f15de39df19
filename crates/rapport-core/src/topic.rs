//! What a message is about, and who it is written for: the events of the stream that people
//! are told of. Several events share a topic ("done and confirmed" and "closed by a scan" are
//! both the work being finished); some are told to no one (a decision that changed, a policy
//! acknowledged), since the pages show them and a message would only be noise.

use serde::{Deserialize, Serialize};

use crate::{Audience, EventKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// New work for a team.
    ActionOpened,
    ActionDueSoon,
    ActionOverdue,
    /// The work is finished: confirmed by a scan, or its findings gone.
    ActionFinished,
    /// The work is back: a scan still shows it after "done", or its findings came back.
    ActionReopened,
    /// The security team granted or refused an exception.
    ExceptionDecided,
    ExceptionEnding,
    EmergencyDeclared,
    /// A new version of the policy waits for the team's acknowledgement.
    PolicyChanged,
    /// A team said an action is not theirs: told to the security team.
    OwnershipDisputed,
    /// The security team answered someone's feedback or "not ours".
    SecurityReplied,
    /// Many messages that could wait, gathered into one: told of no single event.
    Digest,
    /// One of a campaign's nudges toward a habit, to the person whose device shows the gap.
    Nudge,
    /// Thanks, once the person's devices show the habit they were nudged toward.
    HabitThanks,
    /// The security team answered someone's "I can't" to a nudge.
    CampaignReplied,
    /// An advisory rewritten into one thing to do, for the people and teams it concerns.
    FollowThrough,
    /// Thanks to a team for a win, with the managers' managers in copy for a large one.
    Win,
    /// The month's briefing: the executives' across every team, each manager's of their team.
    Briefing,
}

impl Topic {
    pub const ALL: [Topic; 18] = [
        Topic::ActionOpened,
        Topic::ActionDueSoon,
        Topic::ActionOverdue,
        Topic::ActionFinished,
        Topic::ActionReopened,
        Topic::ExceptionDecided,
        Topic::ExceptionEnding,
        Topic::EmergencyDeclared,
        Topic::PolicyChanged,
        Topic::OwnershipDisputed,
        Topic::SecurityReplied,
        Topic::Digest,
        Topic::Nudge,
        Topic::HabitThanks,
        Topic::CampaignReplied,
        Topic::FollowThrough,
        Topic::Win,
        Topic::Briefing,
    ];

    /// The topic an event is told under, if it is told at all.
    pub fn of(kind: EventKind) -> Option<Topic> {
        Some(match kind {
            EventKind::ActionOpened => Topic::ActionOpened,
            EventKind::ActionDueSoon => Topic::ActionDueSoon,
            EventKind::ActionOverdue => Topic::ActionOverdue,
            EventKind::ActionVerified | EventKind::ActionClosed => Topic::ActionFinished,
            EventKind::ActionReopened | EventKind::DoneRefuted => Topic::ActionReopened,
            EventKind::ExceptionGranted | EventKind::ExceptionRejected => Topic::ExceptionDecided,
            EventKind::ExceptionExpiring => Topic::ExceptionEnding,
            EventKind::EmergencyDeclared => Topic::EmergencyDeclared,
            EventKind::PolicyApplied => Topic::PolicyChanged,
            EventKind::OwnershipDisputed => Topic::OwnershipDisputed,
            EventKind::SecurityReplied => Topic::SecurityReplied,
            EventKind::CampaignNudged => Topic::Nudge,
            EventKind::HabitShown => Topic::HabitThanks,
            EventKind::CampaignReplied => Topic::CampaignReplied,
            EventKind::FollowThroughSent => Topic::FollowThrough,
            EventKind::WinRecognised => Topic::Win,
            EventKind::BriefingPublished => Topic::Briefing,
            EventKind::DecisionChanged
            | EventKind::ActionMarkedDone
            | EventKind::ExceptionRequested
            | EventKind::ExceptionExpired
            | EventKind::FeedbackGiven
            | EventKind::PolicyAcknowledged
            | EventKind::ReachabilityAnswered
            | EventKind::ActionAcknowledged
            | EventKind::TemplateChanged
            | EventKind::CampaignChanged
            | EventKind::CampaignAnswered
            | EventKind::FollowThroughDrafted
            | EventKind::FollowThroughEdited
            | EventKind::FollowThroughDismissed
            | EventKind::FollowThroughSettingsApplied
            | EventKind::BriefingAnswered
            | EventKind::StixImported
            | EventKind::IncidentRecorded => return None,
        })
    }

    /// The event kind a sample of this topic is shown for (previews, template checks).
    pub fn example_kind(self) -> EventKind {
        EventKind::ALL
            .into_iter()
            .find(|kind| Topic::of(*kind) == Some(self))
            .unwrap_or(EventKind::ActionOpened)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::ActionOpened => "action_opened",
            Topic::ActionDueSoon => "action_due_soon",
            Topic::ActionOverdue => "action_overdue",
            Topic::ActionFinished => "action_finished",
            Topic::ActionReopened => "action_reopened",
            Topic::ExceptionDecided => "exception_decided",
            Topic::ExceptionEnding => "exception_ending",
            Topic::EmergencyDeclared => "emergency_declared",
            Topic::PolicyChanged => "policy_changed",
            Topic::OwnershipDisputed => "ownership_disputed",
            Topic::SecurityReplied => "security_replied",
            Topic::Digest => "digest",
            Topic::Nudge => "nudge",
            Topic::HabitThanks => "habit_thanks",
            Topic::CampaignReplied => "campaign_replied",
            Topic::FollowThrough => "follow_through",
            Topic::Win => "win",
            Topic::Briefing => "briefing",
        }
    }

    pub fn parse(word: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|topic| topic.as_str() == word)
    }

    /// Who is written to about it. Executives hear of emergencies, of the policy they stand
    /// behind, and of answers to what they asked; routine work reaches them in briefings.
    /// End users hear of work on their own devices. Disputes go to the security team, who
    /// read as engineers or managers.
    pub fn audiences(self) -> &'static [Audience] {
        use Audience::{EndUser, Engineer, Executive, Manager};
        match self {
            Topic::ActionOpened | Topic::ActionDueSoon | Topic::ActionOverdue | Topic::ActionFinished => {
                &[Engineer, Manager, EndUser]
            }
            Topic::ActionReopened
            | Topic::ExceptionDecided
            | Topic::ExceptionEnding
            | Topic::OwnershipDisputed => &[Engineer, Manager],
            Topic::PolicyChanged => &[Manager, Executive],
            Topic::EmergencyDeclared | Topic::SecurityReplied | Topic::Digest => {
                &[Engineer, Manager, Executive, EndUser]
            }
            // Habits are asked of everyone as the person who uses the device.
            Topic::Nudge | Topic::HabitThanks | Topic::CampaignReplied => &[EndUser],
            Topic::FollowThrough => &[Engineer, Manager, EndUser],
            // End users hear of the habits they took up together.
            Topic::Win => &[Engineer, Manager, Executive, EndUser],
            Topic::Briefing => &[Manager, Executive],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_but_the_digest_is_told_of_an_event_and_its_name_reads_back() {
        for topic in Topic::ALL {
            let told = EventKind::ALL.into_iter().any(|kind| Topic::of(kind) == Some(topic));
            assert_eq!(told, topic != Topic::Digest, "{topic:?}");
            assert_eq!(Topic::parse(topic.as_str()), Some(topic));
            assert!(!topic.audiences().is_empty());
        }
    }

    #[test]
    fn what_the_pages_already_show_is_not_a_message() {
        assert_eq!(Topic::of(EventKind::DecisionChanged), None);
        assert_eq!(Topic::of(EventKind::PolicyAcknowledged), None);
    }
}
