//! The decision tree file (TOML): its name, how evidence becomes decision points, and one
//! row per combination of points. Syntax errors and unknown keys are reported by line and
//! column; rows that make no sense by row number, once compiled by
//! `rapport_core::DecisionTree`.

use rapport_core::TreeSpec;

use crate::ownership_file::line_column;
use crate::{ParseError, Position};

/// The tree Rapport decides with until the security team applies its own: CERT/CC's SSVC
/// deployer tree with CISA's outcome words.
pub const DEFAULT_TREE: &str = include_str!("data/default_tree.toml");

pub fn parse_tree(text: &str) -> Result<TreeSpec, ParseError> {
    toml::from_str(text).map_err(|error| {
        let position = error.span().map_or(Position::Start, |span| line_column(text, span.start));
        ParseError::invalid(position, error.message().trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use rapport_core::{
        Automatable, DecisionTree, Exploitation, HumanImpact, Outcome, Points, SystemExposure,
    };

    use super::*;

    #[test]
    fn the_default_tree_is_complete_and_has_no_inversions() {
        let tree = DecisionTree::compile(&parse_tree(DEFAULT_TREE).unwrap()).unwrap();
        assert!(tree.inversions().is_empty(), "{:?}", tree.inversions());
        let worst = Points {
            exploitation: Exploitation::Active,
            exposure: SystemExposure::Open,
            automatable: Automatable::Yes,
            human_impact: HumanImpact::VeryHigh,
        };
        assert_eq!(tree.outcome(worst), Outcome::Act);
        let calm = Points {
            exploitation: Exploitation::None,
            exposure: SystemExposure::Small,
            automatable: Automatable::No,
            human_impact: HumanImpact::Low,
        };
        assert_eq!(tree.outcome(calm), Outcome::Track);
    }

    #[test]
    fn mistakes_are_placed() {
        let text = DEFAULT_TREE.replace("epss_poc_probability", "epss_threshold");
        let error = parse_tree(&text).unwrap_err().to_string();
        assert!(error.contains("unknown field `epss_threshold`"), "{error}");
        assert!(error.starts_with("at line 98, column 1"), "{error}");
        let text = DEFAULT_TREE.replacen(
            r#"["none", "small", "no", "low", "track"]"#,
            r#"["none", "small", "no"]"#,
            1,
        );
        let error = parse_tree(&text).unwrap_err().to_string();
        assert!(
            error.contains("expected an array of length 5") || error.contains("invalid length 3"),
            "{error}"
        );
    }
}
