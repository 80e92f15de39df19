//! Who may see and do what: the six roles and the one place their permissions are decided.
//! The server asks these questions for every request; nothing else grants access.

use serde::{Deserialize, Serialize};

/// What a person is to Rapport. Team roles belong to exactly one team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs Rapport: accounts, tokens, and everything an analyst may do.
    Admin,
    /// The security team: every team's data, approvals, overrides, imports and policy.
    SecurityAnalyst,
    /// Leads a partner team: its plan, acknowledgements and answers for the team.
    TeamManager,
    /// Works in a partner team: its plan and answers on its actions.
    TeamEngineer,
    /// Reads every team's plan and the measures; changes nothing.
    Executive,
    /// Sees their own devices and messages only.
    EndUser,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::SecurityAnalyst,
        Role::TeamManager,
        Role::TeamEngineer,
        Role::Executive,
        Role::EndUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SecurityAnalyst => "security_analyst",
            Role::TeamManager => "team_manager",
            Role::TeamEngineer => "team_engineer",
            Role::Executive => "executive",
            Role::EndUser => "end_user",
        }
    }

    /// Reads the stored name or the words (`security_analyst`, `Security analyst`,
    /// `administrator`), with spaces, hyphens or underscores.
    pub fn parse(word: &str) -> Option<Role> {
        let normal = |text: &str| text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        let word = normal(word);
        Role::ALL.into_iter().find(|role| role.as_str() == word || normal(role.label()) == word)
    }

    /// In plain words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "administrator",
            Role::SecurityAnalyst => "security analyst",
            Role::TeamManager => "team manager",
            Role::TeamEngineer => "team engineer",
            Role::Executive => "executive",
            Role::EndUser => "end user",
        }
    }

    /// Whether an account with this role must name its team.
    pub fn needs_team(self) -> bool {
        matches!(self, Role::TeamManager | Role::TeamEngineer)
    }
}

/// Someone signed in: who they are, their role and, for team roles, their team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub email: String,
    pub role: Role,
    pub team: Option<String>,
}

impl Principal {
    /// The security team's roles.
    pub fn is_security(&self) -> bool {
        matches!(self.role, Role::Admin | Role::SecurityAnalyst)
    }

    fn in_team(&self, team: &str) -> bool {
        self.role.needs_team() && self.team.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(team))
    }

    /// Reading a team's plan, actions and evidence.
    pub fn may_read_team(&self, team: &str) -> bool {
        self.is_security() || self.role == Role::Executive || self.in_team(team)
    }

    /// Answering on a team's actions: done, please verify; asking for an exception;
    /// feedback; "not ours".
    pub fn may_answer_for_team(&self, team: &str) -> bool {
        self.is_security() || self.in_team(team)
    }

    /// Acknowledging the policy in force on behalf of a team: its manager.
    pub fn may_acknowledge_for_team(&self, team: &str) -> bool {
        self.role == Role::TeamManager && self.in_team(team)
    }

    /// Every team's data at once, the findings, assets, imports and the audit log.
    pub fn may_read_everything(&self) -> bool {
        self.is_security() || self.role == Role::Executive
    }

    /// Engineers and the security team read vulnerability ids (CVE-2021-44228); everyone else
    /// reads how many flaws there are and whether attackers use them.
    pub fn reads_vulnerability_ids(&self) -> bool {
        self.is_security() || self.role == Role::TeamEngineer
    }

    /// The messages written to `recipient` (an email): their own, and everyone's for the
    /// security team, who answer for what Rapport says.
    pub fn may_read_messages_of(&self, recipient: &str) -> bool {
        self.is_security() || self.email.eq_ignore_ascii_case(recipient)
    }

    /// Approvals, overrides, imports and policy changes.
    pub fn may_decide(&self) -> bool {
        self.is_security()
    }

    /// Accounts and tokens of other people.
    pub fn may_administer(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, team: Option<&str>) -> Principal {
        Principal { email: "x@example.org".into(), role, team: team.map(str::to_owned) }
    }

    #[test]
    fn roles_read_back_from_their_names_and_words() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(Role::parse(role.label()), Some(role));
        }
        assert_eq!(Role::parse("Security-Analyst"), Some(Role::SecurityAnalyst));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn a_partner_reads_and_answers_for_its_own_team_only() {
        let engineer = principal(Role::TeamEngineer, Some("Payments"));
        assert!(engineer.may_read_team("payments"));
        assert!(engineer.may_answer_for_team("Payments"));
        assert!(!engineer.may_acknowledge_for_team("Payments"));
        assert!(!engineer.may_read_team("Web"));
        assert!(!engineer.may_answer_for_team("Web"));
        assert!(!engineer.may_read_everything());
        let manager = principal(Role::TeamManager, Some("Payments"));
        assert!(manager.may_acknowledge_for_team("Payments"));
        assert!(!manager.may_acknowledge_for_team("Web"));
    }

    #[test]
    fn a_team_name_on_a_role_without_a_team_grants_nothing() {
        let user = principal(Role::EndUser, Some("Payments"));
        assert!(!user.may_read_team("Payments"));
        assert!(!user.may_answer_for_team("Payments"));
    }

    #[test]
    fn executives_read_everything_and_change_nothing() {
        let executive = principal(Role::Executive, None);
        assert!(executive.may_read_team("Payments"));
        assert!(executive.may_read_everything());
        assert!(!executive.may_answer_for_team("Payments"));
        assert!(!executive.may_decide());
        assert!(!executive.may_administer());
    }

    #[test]
    fn only_admins_administer() {
        for role in Role::ALL {
            assert_eq!(principal(role, None).may_administer(), role == Role::Admin, "{role:?}");
            assert_eq!(
                principal(role, None).may_decide(),
                matches!(role, Role::Admin | Role::SecurityAnalyst),
                "{role:?}"
            );
        }
    }
}
