//! An action in the words of people who do not read vulnerability ids: managers, executives
//! and end users read "2 flaws in log4j-core, which attackers are using now" where engineers
//! and the security team read "CVE-2021-44228, GHSA-jfh8-c2jp-5v3q".

use crate::remedy::unfixed_words;
use crate::words::count;
use crate::{Action, Exploitation, RemedyKind};

impl Action {
    /// How many vulnerabilities (or weaknesses, for code) it fixes, and whether attackers
    /// use them, without an id.
    pub fn fixes_in_words(&self) -> String {
        let flaws = self.flaw_count();
        let worst =
            self.points.iter().map(|points| points.exploitation).max_by_key(
                |exploitation| match exploitation {
                    Exploitation::None => 0,
                    Exploitation::PublicPoc => 1,
                    Exploitation::Active => 2,
                },
            );
        let one = self.fixes.len() + self.more_fixes as usize == 1;
        match worst {
            Some(Exploitation::Active) if one => format!("{flaws}, which attackers are using now"),
            Some(Exploitation::Active) => {
                format!("{flaws}, and attackers are using at least one of them now")
            }
            Some(Exploitation::PublicPoc) if one => {
                format!("{flaws}, with a way to exploit it already public")
            }
            Some(Exploitation::PublicPoc) => format!("{flaws}, with a way to exploit one already public"),
            _ => flaws,
        }
    }

    /// "2 flaws in log4j-core", "17 weaknesses the code scanner found": vulnerabilities by
    /// their number, and a rule's results (in code, settings, secrets) by theirs.
    fn flaw_count(&self) -> String {
        let all = self.fixes.len() + self.more_fixes as usize;
        let found = self.findings;
        match self.kind {
            RemedyKind::FixCode => {
                count(found, "weakness the code scanner found", "weaknesses the code scanner found")
            }
            RemedyKind::Reconfigure => count(found, "risky setting", "risky settings"),
            RemedyKind::RotateSecret => count(found, "exposed secret", "exposed secrets"),
            _ => format!("{} in {}", count(all, "flaw", "flaws"), self.subject),
        }
    }

    /// The line that says what to do, without vulnerability ids.
    pub fn what_in_words(&self) -> String {
        match self.kind {
            RemedyKind::MitigateOrAccept => {
                let all = self.fixes.len() + self.more_fixes as usize;
                let named = unfixed_words(&self.fixes, all);
                self.what.replacen(&named, &format!("{} in ", count(all, "flaw", "flaws")), 1)
            }
            RemedyKind::FixCode => {
                self.what.replacen(&format!("the code flagged by {}", self.subject), &self.flaw_count(), 1)
            }
            _ => self.what.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Action, Exploitation, Outcome, Points, RemedyKind};

    fn action(
        kind: RemedyKind,
        subject: &str,
        what: &str,
        fixes: &[&str],
        exploitation: Exploitation,
    ) -> Action {
        let mut points = Points::all().next().unwrap();
        points.exploitation = exploitation;
        Action {
            team: "Payments".into(),
            kind,
            subject: subject.into(),
            ecosystem: String::new(),
            what: what.into(),
            instructions: None,
            places: Vec::new(),
            findings: fixes.len() as u32,
            fixes: fixes.iter().map(|id| (*id).to_owned()).collect(),
            more_fixes: 0,
            outcome: Outcome::Attend,
            reason: String::new(),
            assessment: None,
            points: vec![points],
            by_outcome: [0, 1, 0, 0],
            risk: 1.0,
        }
    }

    #[test]
    fn people_who_read_no_ids_read_how_many_flaws_and_whether_attackers_use_them() {
        let upgrade = action(
            RemedyKind::Upgrade,
            "log4j-core",
            "Upgrade log4j-core to 2.15.0",
            &["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"],
            Exploitation::Active,
        );
        assert_eq!(
            upgrade.fixes_in_words(),
            "2 flaws in log4j-core, and attackers are using at least one of them now"
        );
        assert_eq!(upgrade.what_in_words(), "Upgrade log4j-core to 2.15.0");
        let one =
            action(RemedyKind::Upgrade, "openssl", "Update openssl", &["CVE-2024-1"], Exploitation::Active);
        assert_eq!(one.fixes_in_words(), "1 flaw in openssl, which attackers are using now");

        let unfixed = action(
            RemedyKind::MitigateOrAccept,
            "log4j-core",
            "No fix is known for CVE-2021-44832 and GHSA-8489-44mv-ggj8 in log4j-core: mitigate or accept the risk on x",
            &["CVE-2021-44832", "GHSA-8489-44mv-ggj8"],
            Exploitation::None,
        );
        assert_eq!(
            unfixed.what_in_words(),
            "No fix is known for 2 flaws in log4j-core: mitigate or accept the risk on x"
        );
        assert_eq!(unfixed.fixes_in_words(), "2 flaws in log4j-core");

        let mut code = action(
            RemedyKind::FixCode,
            "FF1004",
            "Fix the code flagged by FF1004 in flawfinder.sarif",
            &["FF1004"],
            Exploitation::None,
        );
        code.findings = 17;
        assert_eq!(code.what_in_words(), "Fix 17 weaknesses the code scanner found in flawfinder.sarif");
    }
}
