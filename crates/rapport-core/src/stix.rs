//! What is shared with peers: STIX 2.1 objects as kept, and the Traffic Light Protocol
//! marking each carries. TLP 2.0 is the one Rapport speaks; the four TLP 1.0 markings older
//! peers still send are read as their TLP 2.0 equivalents (WHITE is CLEAR).

use std::fmt;

/// A TLP 2.0 level, least restrictive first, so a greater level shares with fewer people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// The marking-definition ids of TLP 2.0, fixed by the STIX 2.1 TLP extension.
const TLP2: [(Tlp, &str); 5] = [
    (Tlp::Clear, "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"),
    (Tlp::Green, "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
    (Tlp::Amber, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
    (Tlp::AmberStrict, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
    (Tlp::Red, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"),
];

/// The marking-definition ids of TLP 1.0, fixed by the STIX 2.1 specification (7.2.1.4).
const TLP1: [(Tlp, &str); 4] = [
    (Tlp::Clear, "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
    (Tlp::Green, "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"),
    (Tlp::Amber, "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"),
    (Tlp::Red, "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"),
];

impl Tlp {
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    /// The id of this level's TLP 2.0 marking definition.
    pub fn marking_id(self) -> &'static str {
        TLP2.iter().find(|(tlp, _)| *tlp == self).map_or("", |(_, id)| id)
    }

    /// The level a marking-definition id stands for, TLP 2.0 or 1.0; `None` for any other
    /// marking (a statement, a peer's own).
    pub fn of_marking(id: &str) -> Option<Tlp> {
        TLP2.iter().chain(TLP1.iter()).find(|(_, known)| *known == id).map(|(tlp, _)| *tlp)
    }

    /// Whether `id` is one of the TLP 1.0 markings, which are kept as their TLP 2.0 ids.
    pub fn is_tlp1_marking(id: &str) -> bool {
        TLP1.iter().any(|(_, known)| *known == id)
    }

    /// As written in TLP 2.0 and on the command line: `clear`, `green`, `amber`,
    /// `amber+strict`, `red`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    pub fn parse(text: &str) -> Option<Tlp> {
        let text = text.trim().to_ascii_lowercase();
        let text = text.strip_prefix("tlp:").unwrap_or(&text);
        Tlp::ALL.into_iter().find(|tlp| tlp.as_str() == text)
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLP:{}", self.as_str().to_ascii_uppercase())
    }
}

/// One version of a STIX object as kept: its identity and version pulled out for finding it,
/// and the object itself as JSON text, which is what is served again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StixObject {
    /// `type--uuid`.
    pub id: String,
    /// The object's `type`.
    pub kind: String,
    pub spec_version: String,
    /// Its `modified`, or `created` when it has none (a marking definition), as RFC 3339
    /// with nine fractional digits so that versions sort as text; empty for an object that
    /// is not versioned (a cyber-observable).
    pub version: String,
    /// The most restrictive TLP marking among its `object_marking_refs`.
    pub tlp: Option<Tlp>,
    /// The object as JSON, with any TLP 1.0 marking replaced by its TLP 2.0 id.
    pub json: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp1_markings_are_read_as_their_tlp2_levels() {
        assert_eq!(
            Tlp::of_marking("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(
            Tlp::of_marking("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"),
            Some(Tlp::Red)
        );
        assert_eq!(Tlp::of_marking(Tlp::AmberStrict.marking_id()), Some(Tlp::AmberStrict));
        assert!(Tlp::is_tlp1_marking("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"));
        assert!(!Tlp::is_tlp1_marking(Tlp::Amber.marking_id()));
        // One digit off is not a TLP marking.
        assert_eq!(Tlp::of_marking("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec"), None);
    }

    #[test]
    fn levels_are_ordered_by_how_few_they_reach_and_read_as_written() {
        assert!(Tlp::Clear < Tlp::Green && Tlp::Amber < Tlp::AmberStrict && Tlp::AmberStrict < Tlp::Red);
        assert_eq!(Tlp::parse("TLP:AMBER+STRICT"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("green"), Some(Tlp::Green));
        assert_eq!(Tlp::parse("white"), None);
        assert_eq!(Tlp::Red.to_string(), "TLP:RED");
        assert!(Tlp::ALL.iter().all(|tlp| Tlp::of_marking(tlp.marking_id()) == Some(*tlp)));
    }
}
