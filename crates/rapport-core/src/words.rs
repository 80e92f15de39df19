//! Counted words: "1 finding", "2 findings", never "1 findings"; and names made possessive:
//! "Web's", "Payments'", never "Payments's".

use std::fmt::Display;

/// `n` and the noun in the number `n` needs: `count(1, "finding", "findings")` is
/// "1 finding", `count(0, "team", "teams")` is "0 teams". Any integer, or a reference to one
/// (as templates pass them).
pub fn count(n: impl Display, one: &str, many: &str) -> String {
    let n = n.to_string();
    format!("{n} {}", noun(&n, one, many))
}

/// The noun alone, in the number `n` needs, for a count shown apart from its noun.
pub fn noun<'a>(n: impl Display, one: &'a str, many: &'a str) -> &'a str {
    if is_one(n) { one } else { many }
}

/// Whether `n` is exactly one, for the verb that follows a count ("1 finding is", "2 are").
pub fn is_one(n: impl Display) -> bool {
    n.to_string() == "1"
}

/// The name made possessive: `Web's`, but `Payments'` for a name that ends in s.
pub fn possessive(name: impl Display) -> String {
    let name = name.to_string();
    if name.ends_with(['s', 'S']) { format!("{name}'") } else { format!("{name}'s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_ending_in_s_takes_only_the_apostrophe() {
        assert_eq!(possessive("Web"), "Web's");
        assert_eq!(possessive("Payments"), "Payments'");
        assert_eq!(possessive("Workplace IT"), "Workplace IT's");
        assert_eq!(possessive("OPS"), "OPS'");
    }

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1_usize, "finding", "findings"), "1 finding");
        let by_reference = &1_u64;
        assert_eq!(count(by_reference, "finding", "findings"), "1 finding");
        assert_eq!(count(0_u32, "team", "teams"), "0 teams");
        assert_eq!(count(2_i64, "place", "places"), "2 places");
        assert_eq!(count(-1_i64, "day", "days"), "-1 days");
        assert!(is_one(1_u8) && !is_one(11_u8));
    }
}
