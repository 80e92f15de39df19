//! How much of each imported text Rapport keeps. Scanners repeat whatever they were fed, so a
//! title can be 200 MB; stored whole it would be read back by every findings list. A text
//! over its limit keeps its start and says it was cut, how long it was and a digest of the
//! whole, so two long names that differ only past the cut stay two names.

use sha2::{Digest, Sha256};

use crate::{Cvss, Finding, VulnId, VulnRecord};

/// A title, shown in every list.
pub const TITLE_BYTES: usize = 1024;
/// A description, evidence or a solution: read on one finding's page.
pub const TEXT_BYTES: usize = 64 * 1024;
/// A name, path, package, version, id, reference or severity word.
pub const NAME_BYTES: usize = 4 * 1024;
/// Ids, references, scores and weaknesses listed on one finding or record.
pub const LIST_ITEMS: usize = 256;

/// Cuts `text` to at most `limit` bytes (which must leave room for the marker, under 100
/// bytes), keeping its start at a character boundary and ending it with what was cut. True
/// when it was cut.
pub fn cut(text: &mut String, limit: usize) -> bool {
    if text.len() <= limit {
        return false;
    }
    let digest = Sha256::digest(text.as_bytes());
    let short: String = digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect();
    let marker = format!(" … [cut by Rapport: {} bytes in all, sha256 {short}…]", text.len());
    let mut keep = limit.saturating_sub(marker.len());
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    text.truncate(keep);
    text.push_str(&marker);
    true
}

fn cut_optional(text: &mut Option<String>, limit: usize) -> bool {
    text.as_mut().is_some_and(|text| cut(text, limit))
}

/// Keeps the first `LIST_ITEMS` of a list. True when it was cut.
fn cut_list<T>(items: &mut Vec<T>) -> bool {
    let over = items.len() > LIST_ITEMS;
    items.truncate(LIST_ITEMS);
    over
}

/// Cuts every text to `limit`; true when any was cut.
fn cut_all<'a>(texts: impl IntoIterator<Item = &'a mut String>, limit: usize) -> bool {
    texts.into_iter().fold(false, |was, text| cut(text, limit) | was)
}

/// The lists a finding and an intel record both carry: ids, references, scores and weaknesses,
/// each cut to `LIST_ITEMS`, and their texts to `NAME_BYTES`.
fn cut_evidence_lists(
    ids: &mut Vec<VulnId>,
    references: &mut Vec<String>,
    cvss: &mut Vec<Cvss>,
    cwes: &mut Vec<u32>,
) -> bool {
    let lists = cut_list(ids) | cut_list(references) | cut_list(cvss) | cut_list(cwes);
    let texts = ids
        .iter_mut()
        .map(|id| &mut id.0)
        .chain(references.iter_mut())
        .chain(cvss.iter_mut().map(|cvss| &mut cvss.vector));
    lists | cut_all(texts, NAME_BYTES)
}

impl Finding {
    /// Cuts every text over its limit; true when any was. Call it before the fingerprint is
    /// taken, so the same long finding is the same finding on every import.
    pub fn keep_within_limits(&mut self) -> bool {
        let lists = cut_evidence_lists(&mut self.ids, &mut self.references, &mut self.cvss, &mut self.cwes);
        let names = cut_all([&mut self.tool.name, &mut self.target.name], NAME_BYTES);
        let component = self.component.as_mut().is_some_and(|component| {
            cut(&mut component.name, NAME_BYTES)
                | cut_optional(&mut component.purl, NAME_BYTES)
                | cut_optional(&mut component.ecosystem, NAME_BYTES)
                | cut_optional(&mut component.installed_version, NAME_BYTES)
                | cut_optional(&mut component.fixed_version, NAME_BYTES)
        });
        let place = cut_optional(&mut self.location.path, NAME_BYTES)
            | cut_optional(&mut self.location.service, NAME_BYTES)
            | cut_optional(&mut self.tool.version, NAME_BYTES)
            | cut_optional(&mut self.tool_severity, NAME_BYTES)
            | cut_optional(&mut self.tool_fingerprint, NAME_BYTES);
        let texts = cut(&mut self.title, TITLE_BYTES)
            | cut_optional(&mut self.description, TEXT_BYTES)
            | cut_optional(&mut self.evidence, TEXT_BYTES)
            | cut_optional(&mut self.solution, TEXT_BYTES);
        lists | names | component | place | texts
    }
}

impl VulnRecord {
    /// Cuts the record's free text and lists over their limits; true when any was.
    pub fn keep_within_limits(&mut self) -> bool {
        let lists =
            cut_evidence_lists(&mut self.aliases, &mut self.references, &mut self.cvss, &mut self.cwes);
        let texts =
            cut_optional(&mut self.title, TITLE_BYTES) | cut_optional(&mut self.description, TEXT_BYTES);
        lists | texts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FindingKind, Target, TargetKind, Tool};

    fn finding() -> Finding {
        let tool = Tool { name: "trivy".to_owned(), version: None };
        let target = Target { kind: TargetKind::ContainerImage, name: "debian:12".to_owned() };
        Finding::new(tool, target, FindingKind::Vulnerability, VulnId("CVE-2024-0001".to_owned()))
    }

    #[test]
    fn a_short_text_is_kept_whole() {
        let mut text = "héllo".to_owned();
        assert!(!cut(&mut text, 128));
        assert_eq!(text, "héllo");
    }

    #[test]
    fn a_long_text_keeps_its_start_and_says_how_long_it_was() {
        let mut text = "é".repeat(10_000);
        assert!(cut(&mut text, 1024));
        assert!(text.len() <= 1024, "{}", text.len());
        assert!(text.starts_with("éé"));
        assert!(text.contains(" … [cut by Rapport: 20000 bytes in all, sha256 "), "{text}");
    }

    #[test]
    fn two_long_texts_that_differ_past_the_cut_stay_different() {
        let mut one = format!("{}a", "x".repeat(5000));
        let mut two = format!("{}b", "x".repeat(5000));
        cut(&mut one, NAME_BYTES);
        cut(&mut two, NAME_BYTES);
        assert_ne!(one, two);
    }

    #[test]
    fn a_finding_within_its_limits_is_untouched() {
        let mut within = finding();
        within.description = Some("d".repeat(TEXT_BYTES));
        let before = within.clone();
        assert!(!within.keep_within_limits());
        assert_eq!(within, before);
    }

    #[test]
    fn every_text_and_list_of_a_finding_is_cut_to_its_limit() {
        let mut huge = finding();
        huge.title = "t".repeat(200_000);
        huge.evidence = Some("e".repeat(200_000));
        huge.target.name = "n".repeat(200_000);
        huge.references = vec!["https://example.com/".to_owned(); 10_000];
        assert!(huge.keep_within_limits());
        assert!(huge.title.len() <= TITLE_BYTES);
        assert!(huge.evidence.as_ref().is_some_and(|e| e.len() <= TEXT_BYTES));
        assert!(huge.target.name.len() <= NAME_BYTES);
        assert_eq!(huge.references.len(), LIST_ITEMS);
        assert!(!huge.keep_within_limits(), "cutting again changes nothing");
    }

    #[test]
    fn a_records_text_is_cut_too() {
        let mut record = VulnRecord::new(VulnId("GHSA-xxxx".to_owned()), "osv");
        record.description = Some("d".repeat(TEXT_BYTES + 1));
        assert!(record.keep_within_limits());
        assert!(record.description.is_some_and(|d| d.len() <= TEXT_BYTES));
    }
}
