//! How easy a message is to read: Flesch reading ease, the Flesch-Kincaid grade, and the
//! longest sentence, counted the way Python's `textstat` counts (words split on spaces once
//! punctuation is gone, contractions and hyphenated words one word; sentences of two words
//! or fewer not counted as sentences), so the scores mean what readers of `textstat` expect.
//!
//! Syllables are counted by rules, not a pronouncing dictionary: `textstat` looks each word
//! up in the CMU dictionary, so scores agree within a tolerance, not exactly (the test against
//! `textstat` itself is in `rapport-messages`).

use serde::{Deserialize, Serialize};

use crate::Audience;

/// A text's scores.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readability {
    /// 0 to 100 for most texts; higher is easier (60 to 70 is plain English).
    pub reading_ease: f64,
    /// The school grade a reader needs.
    pub grade: f64,
    pub words: u32,
    pub sentences: u32,
    /// Words in the longest sentence.
    pub longest_sentence: u32,
    /// Characters, spaces included.
    pub characters: u32,
}

/// The reading level a text for an audience must meet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReadingTarget {
    pub max_grade: f64,
    pub max_sentence_words: u32,
}

impl ReadingTarget {
    pub fn for_audience(audience: Audience) -> ReadingTarget {
        let max_grade = match audience {
            Audience::EndUser => 6.0,
            Audience::Manager | Audience::Executive => 8.0,
            // Engineers read package names, versions and paths, which score as long words.
            Audience::Engineer => 12.0,
        };
        ReadingTarget { max_grade, max_sentence_words: 25 }
    }

    /// What the text misses of the target, in words; empty when it meets it.
    pub fn misses(&self, scores: &Readability) -> Vec<String> {
        let mut missed = Vec::new();
        if scores.grade > self.max_grade {
            missed.push(format!("reads at grade {:.1}, above {:.0}", scores.grade, self.max_grade));
        }
        if scores.longest_sentence > self.max_sentence_words {
            missed.push(format!(
                "has a sentence of {} words, more than {}",
                scores.longest_sentence, self.max_sentence_words
            ));
        }
        missed
    }
}

/// Scores `text`. An empty text scores 0 everywhere, as in `textstat`.
pub fn readability(text: &str) -> Readability {
    let words = words_of(text);
    let word_count = words.len() as u32;
    let sentences = sentences_of(text);
    let counted = sentences.iter().filter(|sentence| words_of(sentence).len() > 2).count() as u32;
    let sentence_count = if text.is_empty() { 0 } else { counted.max(1) };
    let longest_sentence =
        sentences.iter().map(|sentence| words_of(sentence).len() as u32).max().unwrap_or(0);
    let syllables: u32 = words.iter().map(|word| syllables(word)).sum();
    let characters = text.chars().count() as u32;
    if word_count == 0 || sentence_count == 0 || syllables == 0 {
        return Readability {
            reading_ease: 0.0,
            grade: 0.0,
            words: word_count,
            sentences: sentence_count,
            longest_sentence,
            characters,
        };
    }
    let words_per_sentence = f64::from(word_count) / f64::from(sentence_count);
    let syllables_per_word = f64::from(syllables) / f64::from(word_count);
    Readability {
        reading_ease: 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word,
        grade: 0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59,
        words: word_count,
        sentences: sentence_count,
        longest_sentence,
        characters,
    }
}

/// Words once punctuation is gone: an apostrophe inside a word stays, any other mark goes,
/// so "don't" and "follow-up" are one word each and "—" is none.
fn words_of(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|token| {
            let chars: Vec<char> = token.chars().collect();
            let kept: String = chars
                .iter()
                .enumerate()
                .filter(|&(at, &c)| {
                    c.is_alphanumeric()
                        || c == '_'
                        || (c == '\''
                            && at > 0
                            && chars.get(at + 1).is_some_and(|next| next.is_alphabetic())
                            && chars.get(at - 1).is_some_and(|before| before.is_alphabetic()))
                })
                .map(|(_, &c)| c)
                .collect();
            (!kept.is_empty()).then_some(kept)
        })
        .collect()
}

/// Sentences as `textstat` finds them: a run of text up to the next `.`, `!` or `?`, starting
/// at a word.
fn sentences_of(text: &str) -> Vec<&str> {
    let mut sentences = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_alphanumeric() || c == '_') {
        rest = &rest[start..];
        let end = rest.find(['.', '!', '?']).unwrap_or(rest.len());
        let stops = rest[end..].find(|c: char| !matches!(c, '.' | '!' | '?')).map_or(rest.len(), |n| end + n);
        sentences.push(&rest[..stops]);
        rest = &rest[stops..];
    }
    sentences
}

/// Syllables in one word, by English spelling rules: groups of vowels, less a silent final
/// "e", "-es" or "-ed", with the vowel pairs that are said apart ("area", "annual"), and a
/// silent "e" kept silent before a suffix ("safely", "management"). A word with no letters (a
/// number) is one syllable, as `textstat` counts it.
fn syllables(word: &str) -> u32 {
    let word: String = word.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect();
    if word.is_empty() {
        return 1;
    }
    if let Some(count) = EXCEPTIONS.iter().find(|(spelt, _)| *spelt == word).map(|(_, count)| *count) {
        return count;
    }
    let mut root = word.as_str();
    let mut suffixes = 0;
    while let Some((suffix, count)) =
        SUFFIXES.iter().find(|(suffix, _)| root.len() > suffix.len() + 2 && root.ends_with(suffix))
    {
        root = &root[..root.len() - suffix.len()];
        suffixes += count;
    }
    if suffixes > 0 && root.ends_with('e') {
        return syllables(root) + suffixes;
    }
    by_spelling(&word)
}

fn by_spelling(word: &str) -> u32 {
    let letters: Vec<char> = word.chars().collect();
    let letter = |at: usize| letters.get(at).copied().unwrap_or(' ');
    // A "y" that starts a word is a consonant ("yes").
    let is_vowel =
        |at: usize| matches!(letter(at), 'a' | 'e' | 'i' | 'o' | 'u') || (letter(at) == 'y' && at > 0);
    let mut groups = 0u32;
    let mut previous_vowel = false;
    for at in 0..letters.len() {
        let vowel = is_vowel(at);
        if vowel && (!previous_vowel || said_apart(&letters, at)) {
            groups += 1;
        }
        previous_vowel = vowel;
    }
    if SAID_APART_PREFIXES.iter().any(|prefix| word.starts_with(prefix)) {
        groups += 1;
    }
    let n = letters.len();
    let ends = |suffix: &str| word.ends_with(suffix);
    let consonant_at = |at: usize| !is_vowel(at);
    // A silent final "e": "make", "code", but not "the", "be", nor "-le" after a consonant
    // ("table"), nor "-ee" ("free").
    if n > 2 && ends("e") && consonant_at(n - 2) && !(ends("le") && consonant_at(n - 3)) && groups > 1 {
        groups -= 1;
    }
    // "-que" is one sound ("unique").
    if (ends("que") || ends("ques")) && groups > 1 {
        groups -= 1;
    }
    // "-es" and "-ed" are silent after most consonants ("makes", "saved"), said after
    // "t" and "d" ("needed") and after sibilants for "-es" ("boxes", "pages").
    if n > 3 && (ends("ed") || ends("es")) && consonant_at(n - 3) && groups > 1 {
        let before = letter(n - 3);
        let said = if ends("ed") {
            matches!(before, 't' | 'd')
        } else {
            matches!(before, 's' | 'x' | 'z' | 'c' | 'g') || ends("ches") || ends("shes")
        };
        if !(said || ends("les") && n > 4 && consonant_at(n - 4)) {
            groups -= 1;
        }
    }
    groups.max(1)
}

/// Whether the vowel at `at`, after another vowel, starts a syllable of its own: "media",
/// "annual", "period", "client", "trying", "going"; but not "social", "quality", "opinion",
/// "patient".
fn said_apart(letters: &[char], at: usize) -> bool {
    let before = at.checked_sub(2).and_then(|at| letters.get(at).copied());
    let next = letters.get(at + 1).copied();
    let softened = matches!(before, Some('c' | 't' | 'g' | 'x'));
    let pair = (at.checked_sub(1).and_then(|at| letters.get(at).copied()), letters.get(at).copied());
    match (pair.0.unwrap_or(' '), pair.1.unwrap_or(' ')) {
        ('i', 'a') => !softened && before != Some('s'),
        ('u', 'a') => !matches!(before, Some('q' | 'g')),
        ('i', 'o') => !softened && !matches!(next, Some('n' | 'r')),
        ('i', 'e') => !softened && matches!(next, Some('n' | 'r')),
        ('e', 'o') | ('u', 'o') | ('y', 'i') | ('y', 'o') => true,
        ('e' | 'o', 'i') => next == Some('n') && letters.get(at + 2) == Some(&'g'),
        _ => false,
    }
}

/// Beginnings whose vowels are said apart ("react", "cooperate").
const SAID_APART_PREFIXES: &[&str] = &["react", "reali", "creat", "preem", "proac", "coop", "reen"];

/// Endings after which a word's own silent "e" stays silent, with their syllables.
const SUFFIXES: &[(&str, u32)] = &[
    ("ly", 1),
    ("ful", 1),
    ("less", 1),
    ("ness", 1),
    ("ment", 1),
    ("ments", 1),
    ("ty", 1),
    ("thing", 1),
    ("times", 1),
    ("one", 1),
    ("book", 1),
];

/// Common words the rules get wrong, with their syllables as said.
const EXCEPTIONS: &[(&str, u32)] = &[
    ("the", 1),
    ("are", 1),
    ("were", 1),
    ("one", 1),
    ("once", 1),
    ("done", 1),
    ("gone", 1),
    ("some", 1),
    ("come", 1),
    ("give", 1),
    ("have", 1),
    ("live", 1),
    ("where", 1),
    ("there", 1),
    ("here", 1),
    ("every", 3),
    ("maybe", 2),
    ("our", 2),
    ("ours", 2),
    ("ourselves", 3),
    ("hour", 2),
    ("hours", 2),
    ("fire", 2),
    ("fired", 2),
    ("being", 2),
    ("doing", 2),
    ("going", 2),
    ("create", 2),
    ("created", 3),
    ("idea", 3),
    ("real", 1),
    ("really", 2),
    ("people", 2),
    ("business", 2),
    ("software", 2),
    ("update", 2),
    ("updates", 2),
    ("restart", 2),
    ("device", 2),
    ("devices", 3),
    ("science", 2),
    ("quiet", 2),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_follow_how_words_are_said() {
        for (word, expected) in [
            ("cat", 1),
            ("make", 1),
            ("table", 2),
            ("saved", 1),
            ("needed", 2),
            ("boxes", 2),
            ("pages", 2),
            ("makes", 1),
            ("attackers", 3),
            ("vulnerability", 6),
            ("security", 4),
            ("video", 3),
            ("action", 2),
            ("precious", 2),
            ("free", 1),
            ("yes", 1),
            ("2026", 1),
            ("annual", 3),
            ("client", 2),
            ("safely", 2),
            ("management", 3),
        ] {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn words_keep_contractions_and_drop_marks() {
        assert_eq!(
            words_of("Don't wait — the follow-up is due."),
            ["Don't", "wait", "the", "followup", "is", "due"]
        );
        assert_eq!(words_of("'quoted' words"), ["quoted", "words"]);
    }

    #[test]
    fn short_fragments_are_not_counted_as_sentences() {
        let scores = readability("Hi Sam. Please restart your laptop today. Thanks!");
        assert_eq!(scores.sentences, 1);
        assert_eq!(scores.words, 8);
        assert_eq!(scores.longest_sentence, 5);
    }

    #[test]
    fn plain_text_scores_easy_and_dense_text_hard() {
        let plain = readability("Please restart your laptop today. It takes two minutes. It keeps you safe.");
        let dense = readability(
            "Remediation of the identified vulnerabilities necessitates immediate prioritisation \
             of infrastructure modernisation initiatives across organisational boundaries.",
        );
        assert!(plain.reading_ease > 80.0 && plain.grade < 4.0, "{plain:?}");
        assert!(dense.reading_ease < 0.0 && dense.grade > 18.0, "{dense:?}");
    }

    #[test]
    fn an_empty_text_scores_nothing() {
        let scores = readability("");
        assert_eq!((scores.reading_ease, scores.grade, scores.words, scores.sentences), (0.0, 0.0, 0, 0));
    }

    #[test]
    fn a_target_names_what_it_misses() {
        let target = ReadingTarget::for_audience(Audience::Engineer);
        let long = "word ".repeat(30) + ".";
        let missed = target.misses(&readability(&long));
        assert_eq!(missed, ["has a sentence of 30 words, more than 25"]);
    }
}
