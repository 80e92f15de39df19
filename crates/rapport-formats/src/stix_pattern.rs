//! STIX 2.1 patterns (STIX 2.1 part 9, "STIX Patterning"), read by the grammar OASIS
//! publishes with `stix2-patterns`: tokens by longest match, keywords in capitals, and the
//! precedence FOLLOWEDBY < OR < AND between observations and OR < AND inside one. Besides the
//! grammar, two of that validator's checks: a hash's value has its algorithm's form, and an
//! observation carries each kind of qualifier once. An indicator whose pattern fails here is
//! refused on the way in; what parses is kept as the comparisons that matching reads.

use std::fmt;

/// Why a pattern does not parse, and where (a character offset into the pattern).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.offset + 1, self.message)
    }
}

/// One comparison of a pattern: `ipv4-addr:value = '198.51.100.3'`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub object_type: String,
    pub path: Vec<Step>,
    pub negated: bool,
    pub operator: Operator,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(i64),
    AnyIndex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
    /// `EXISTS a:b`: the object has the property, whatever its value.
    Exists,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// An integer or a float, as written.
    Number(String),
    Text(String),
    Bool(bool),
    Binary(String),
    Hex(String),
    Timestamp(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    One(Literal),
    Set(Vec<Literal>),
    /// What `EXISTS` compares with.
    NoValue,
}

/// Reads a STIX 2.1 pattern into its comparisons, in the order written.
pub fn parse_pattern(pattern: &str) -> Result<Vec<Comparison>, PatternError> {
    let tokens = tokens(pattern)?;
    let mut parser =
        Parser { tokens: &tokens, next: 0, end: pattern.chars().count(), comparisons: Vec::new() };
    match parser.peek() {
        Some(Token::LBracket | Token::LParen) => {}
        _ => return Err(parser.error("a pattern starts with `[` or `(`")),
    }
    parser.observations()?;
    if parser.next < tokens.len() {
        return Err(parser.error("expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern"));
    }
    Ok(parser.comparisons)
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Operator(Operator),
    Word(Word),
    /// `hyphenated` when it holds a `-`, which only an object type may.
    Identifier {
        name: String,
        hyphenated: bool,
    },
    Integer(String),
    Float(String),
    Literal(Literal),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Word {
    And,
    Or,
    Not,
    FollowedBy,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
    Last,
    Exists,
}

const WORDS: [(&str, Word); 12] = [
    ("AND", Word::And),
    ("OR", Word::Or),
    ("NOT", Word::Not),
    ("FOLLOWEDBY", Word::FollowedBy),
    ("START", Word::Start),
    ("STOP", Word::Stop),
    ("SECONDS", Word::Seconds),
    ("WITHIN", Word::Within),
    ("REPEATS", Word::Repeats),
    ("TIMES", Word::Times),
    ("LAST", Word::Last),
    ("EXISTS", Word::Exists),
];

const OPERATOR_WORDS: [(&str, Operator); 5] = [
    ("IN", Operator::In),
    ("LIKE", Operator::Like),
    ("MATCHES", Operator::Matches),
    ("ISSUBSET", Operator::IsSubset),
    ("ISSUPERSET", Operator::IsSuperset),
];

/// The hash algorithms whose values the validator checks, by name without `-`, and the
/// lengths in hex digits each may have.
const HASH_LENGTHS: [(&str, &[usize]); 13] = [
    ("MD5", &[32]),
    ("MD6", &[32, 40, 56, 64, 96, 128]),
    ("RIPEMD160", &[40]),
    ("SHA1", &[40]),
    ("SHA224", &[56]),
    ("SHA256", &[64]),
    ("SHA384", &[96]),
    ("SHA512", &[128]),
    ("SHA3224", &[56]),
    ("SHA3256", &[64]),
    ("SHA3384", &[96]),
    ("SHA3512", &[128]),
    ("WHIRLPOOL", &[128]),
];

struct Lexer<'a> {
    chars: &'a [char],
    at: usize,
}

impl Lexer<'_> {
    fn get(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    /// The `length` characters from here, as text.
    fn text(&self, length: usize) -> String {
        self.chars.get(self.at..self.at + length).unwrap_or_default().iter().collect()
    }

    fn error(&self, message: impl Into<String>) -> PatternError {
        PatternError { offset: self.at, message: message.into() }
    }

    /// Skips white space and comments; false at the end.
    fn skip_blank(&mut self) -> Result<bool, PatternError> {
        loop {
            match (self.get(0), self.get(1)) {
                (None, _) => return Ok(false),
                (Some(c), _) if is_blank(c) => self.at += 1,
                (Some('/'), Some('*')) => {
                    let start = self.at;
                    self.at += 2;
                    while !(self.get(0) == Some('*') && self.get(1) == Some('/')) {
                        if self.get(0).is_none() {
                            self.at = start;
                            return Err(self.error("a comment opened with `/*` is never closed"));
                        }
                        self.at += 1;
                    }
                    self.at += 2;
                }
                (Some('/'), Some('/')) => {
                    while self.get(0).is_some_and(|c| c != '\r' && c != '\n') {
                        self.at += 1;
                    }
                }
                _ => return Ok(true),
            }
        }
    }

    /// A quoted text from the quote at `offset`: its content unescaped and the length read,
    /// or `None` when it is not closed.
    fn quoted(&self, offset: usize) -> Option<(String, usize)> {
        let mut text = String::new();
        let mut at = offset + 1;
        loop {
            match self.get(at)? {
                '\'' => return Some((text, at + 1)),
                '\\' => match self.get(at + 1)? {
                    escaped @ ('\'' | '\\') => {
                        text.push(escaped);
                        at += 2;
                    }
                    _ => return None,
                },
                c => {
                    text.push(c);
                    at += 1;
                }
            }
        }
    }

    fn token(&mut self) -> Result<(usize, Token), PatternError> {
        let start = self.at;
        let c = self.get(0).unwrap_or(' ');
        let next = self.get(1);
        let (token, length) = match c {
            '[' => (Token::LBracket, 1),
            ']' => (Token::RBracket, 1),
            '(' => (Token::LParen, 1),
            ')' => (Token::RParen, 1),
            ':' => (Token::Colon, 1),
            ',' => (Token::Comma, 1),
            '*' => (Token::Star, 1),
            '=' if next == Some('=') => (Token::Operator(Operator::Equal), 2),
            '=' => (Token::Operator(Operator::Equal), 1),
            '!' if next == Some('=') => (Token::Operator(Operator::NotEqual), 2),
            '<' if next == Some('>') => (Token::Operator(Operator::NotEqual), 2),
            '<' if next == Some('=') => (Token::Operator(Operator::LessOrEqual), 2),
            '<' => (Token::Operator(Operator::Less), 1),
            '>' if next == Some('=') => (Token::Operator(Operator::GreaterOrEqual), 2),
            '>' => (Token::Operator(Operator::Greater), 1),
            '\'' => {
                let (text, length) = self.quoted(0).ok_or_else(|| {
                    self.error("a text opened with `'` is never closed (a `'` inside is written `\\'`)")
                })?;
                (Token::Literal(Literal::Text(text)), length)
            }
            'h' | 'b' | 't' if next == Some('\'') => self.prefixed(c)?,
            '.' if !next.is_some_and(|c| c.is_ascii_digit()) => (Token::Dot, 1),
            '+' | '-' | '.' | '0'..='9' => self.number()?,
            c if c.is_ascii_alphabetic() || c == '_' => self.word(),
            other => return Err(self.error(format!("`{other}` has no meaning in a pattern"))),
        };
        self.at += length;
        Ok((start, token))
    }

    /// `h'…'`, `b'…'` or `t'…'`: a hex, base64 or timestamp literal.
    fn prefixed(&self, prefix: char) -> Result<(Token, usize), PatternError> {
        let (text, length) =
            self.quoted(1).ok_or_else(|| self.error("a literal opened with `'` is never closed"))?;
        let literal = match prefix {
            'h' if text.len().is_multiple_of(2) && text.chars().all(|c| c.is_ascii_hexdigit()) => {
                Literal::Hex(text)
            }
            'h' => return Err(self.error(format!("h'{text}' is not hex: expected pairs of hex digits"))),
            'b' if is_base64(&text) => Literal::Binary(text),
            'b' => return Err(self.error(format!("b'{text}' is not base64"))),
            _ if is_timestamp(&text) => Literal::Timestamp(text),
            _ => {
                return Err(self.error(format!(
                    "t'{text}' is not a timestamp: expected UTC like t'2026-11-30T09:15:00Z'"
                )));
            }
        };
        Ok((Token::Literal(literal), length))
    }

    fn number(&self) -> Result<(Token, usize), PatternError> {
        let mut length = usize::from(matches!(self.get(0), Some('+' | '-')));
        let digits =
            |from: usize| (from..).take_while(|at| self.get(*at).is_some_and(|c| c.is_ascii_digit())).count();
        let whole = digits(length);
        length += whole;
        let integer_end = length;
        if self.get(length) == Some('.') {
            let fraction = digits(length + 1);
            if fraction > 0 {
                let text = self.text(length + 1 + fraction);
                return Ok((Token::Float(text), length + 1 + fraction));
            }
        }
        let text = self.text(integer_end);
        let unsigned = text.trim_start_matches(['+', '-']);
        if whole == 0 || (unsigned.len() > 1 && unsigned.starts_with('0')) {
            return Err(self.error(format!("`{text}` is not a number: expected digits without a leading 0")));
        }
        Ok((Token::Integer(text), integer_end))
    }

    fn word(&self) -> (Token, usize) {
        let length = (0..)
            .take_while(|at| self.get(*at).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .count();
        let name = self.text(length);
        if let Some((_, word)) = WORDS.iter().find(|(text, _)| *text == name) {
            return (Token::Word(*word), length);
        }
        if let Some((_, operator)) = OPERATOR_WORDS.iter().find(|(text, _)| *text == name) {
            return (Token::Operator(*operator), length);
        }
        match name.as_str() {
            "true" => (Token::Literal(Literal::Bool(true)), length),
            "false" => (Token::Literal(Literal::Bool(false)), length),
            _ => {
                let hyphenated = name.contains('-');
                (Token::Identifier { name, hyphenated }, length)
            }
        }
    }
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{a0}' | '\u{1680}')
        || ('\u{2000}'..='\u{200a}').contains(&c)
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}')
}

fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    let padding = text.len() - body.len();
    !text.is_empty()
        && text.len().is_multiple_of(4)
        && padding <= 2
        && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, with the ranges the grammar gives each field.
fn is_timestamp(text: &str) -> bool {
    let field = |from: usize, to: usize| text.get(from..to).filter(|f| f.chars().all(|c| c.is_ascii_digit()));
    let number = |from: usize, to: usize| field(from, to).and_then(|f| f.parse::<u32>().ok());
    let fixed = text.len() >= 20
        && field(0, 4).is_some()
        && text.get(4..5) == Some("-")
        && number(5, 7).is_some_and(|month| (1..=12).contains(&month))
        && text.get(7..8) == Some("-")
        && number(8, 10).is_some_and(|day| (1..=31).contains(&day))
        && text.get(10..11) == Some("T")
        && number(11, 13).is_some_and(|hour| hour <= 23)
        && text.get(13..14) == Some(":")
        && number(14, 16).is_some_and(|minute| minute <= 59)
        && text.get(16..17) == Some(":")
        && number(17, 19).is_some_and(|second| second <= 60);
    let rest = text.get(19..).unwrap_or("");
    let fraction = match rest.strip_prefix('.') {
        Some(fraction) => {
            fraction.strip_suffix('Z').is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        }
        None => rest == "Z",
    };
    fixed && fraction
}

fn tokens(pattern: &str) -> Result<Vec<(usize, Token)>, PatternError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut lexer = Lexer { chars: &chars, at: 0 };
    let mut tokens = Vec::new();
    while lexer.skip_blank()? {
        tokens.push(lexer.token()?);
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: &'a [(usize, Token)],
    next: usize,
    /// The pattern's length, where an error at its end points.
    end: usize,
    comparisons: Vec<Comparison>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Within,
    Repeats,
    StartStop,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, token)| token)
    }

    fn advance(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.next).map(|(_, token)| token);
        self.next += 1;
        token
    }

    fn error(&self, expected: &str) -> PatternError {
        let offset = self.tokens.get(self.next).map_or(self.end, |(offset, _)| *offset);
        let found = if self.next < self.tokens.len() { "" } else { " (the pattern ended)" };
        PatternError { offset, message: format!("{expected}{found}") }
    }

    fn expect(&mut self, token: &Token, expected: &str) -> Result<(), PatternError> {
        if self.peek() == Some(token) {
            self.next += 1;
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn word(&mut self, word: Word) -> bool {
        if self.peek() == Some(&Token::Word(word)) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn observations(&mut self) -> Result<(), PatternError> {
        self.observation_or()?;
        while self.word(Word::FollowedBy) {
            self.observation_or()?;
        }
        Ok(())
    }

    fn observation_or(&mut self) -> Result<(), PatternError> {
        self.observation_and()?;
        while self.word(Word::Or) {
            self.observation_and()?;
        }
        Ok(())
    }

    fn observation_and(&mut self) -> Result<(), PatternError> {
        self.observation()?;
        while self.word(Word::And) {
            self.observation()?;
        }
        Ok(())
    }

    fn observation(&mut self) -> Result<(), PatternError> {
        let simple = match self.advance() {
            Some(Token::LBracket) => {
                self.comparison_or()?;
                self.expect(&Token::RBracket, "expected AND, OR or `]` closing the observation")?;
                true
            }
            Some(Token::LParen) => {
                self.observations()?;
                self.expect(&Token::RParen, "expected AND, OR, FOLLOWEDBY or `)`")?;
                false
            }
            _ => {
                self.next -= 1;
                return Err(self.error("expected an observation: `[` or `(`"));
            }
        };
        let mut seen: Vec<Qualifier> = Vec::new();
        loop {
            let start = self.next;
            let Some(qualifier) = self.qualifier()? else { return Ok(()) };
            if simple && seen.contains(&qualifier) {
                self.next = start;
                return Err(self.error("an observation carries each kind of qualifier once"));
            }
            seen.push(qualifier);
        }
    }

    /// The qualifier that follows an observation, if one does.
    fn qualifier(&mut self) -> Result<Option<Qualifier>, PatternError> {
        let qualifier = match self.peek() {
            Some(Token::Word(Word::Within)) => {
                self.next += 1;
                match self.advance() {
                    Some(Token::Integer(n) | Token::Float(n)) if !n.starts_with('-') => {}
                    _ => {
                        self.next -= 1;
                        return Err(self.error("WITHIN takes a positive number of SECONDS"));
                    }
                }
                self.expect(&Token::Word(Word::Seconds), "expected SECONDS after WITHIN's number")?;
                Qualifier::Within
            }
            Some(Token::Word(Word::Repeats)) => {
                self.next += 1;
                match self.advance() {
                    Some(Token::Integer(n)) if !n.starts_with('-') => {}
                    _ => {
                        self.next -= 1;
                        return Err(self.error("REPEATS takes a positive whole number of TIMES"));
                    }
                }
                self.expect(&Token::Word(Word::Times), "expected TIMES after REPEATS' number")?;
                Qualifier::Repeats
            }
            Some(Token::Word(Word::Start)) => {
                self.next += 1;
                self.timestamp("START takes a timestamp like t'2026-11-30T00:00:00Z'")?;
                self.expect(&Token::Word(Word::Stop), "expected STOP after START's timestamp")?;
                self.timestamp("STOP takes a timestamp like t'2026-12-01T00:00:00Z'")?;
                Qualifier::StartStop
            }
            _ => return Ok(None),
        };
        Ok(Some(qualifier))
    }

    fn timestamp(&mut self, expected: &str) -> Result<(), PatternError> {
        match self.peek() {
            Some(Token::Literal(Literal::Timestamp(_))) => {
                self.next += 1;
                Ok(())
            }
            _ => Err(self.error(expected)),
        }
    }

    fn comparison_or(&mut self) -> Result<(), PatternError> {
        self.comparison_and()?;
        while self.word(Word::Or) {
            self.comparison_and()?;
        }
        Ok(())
    }

    fn comparison_and(&mut self) -> Result<(), PatternError> {
        self.comparison()?;
        while self.word(Word::And) {
            self.comparison()?;
        }
        Ok(())
    }

    fn comparison(&mut self) -> Result<(), PatternError> {
        if self.peek() == Some(&Token::LParen) {
            self.next += 1;
            self.comparison_or()?;
            return self.expect(&Token::RParen, "expected AND, OR or `)`");
        }
        let negated_exists = self.peek() == Some(&Token::Word(Word::Not))
            && self.tokens.get(self.next + 1).map(|(_, token)| token) == Some(&Token::Word(Word::Exists));
        if negated_exists {
            self.next += 1;
        }
        if self.word(Word::Exists) {
            let (object_type, path) = self.object_path()?;
            let operator = Operator::Exists;
            let comparison =
                Comparison { object_type, path, negated: negated_exists, operator, value: Value::NoValue };
            self.comparisons.push(comparison);
            return Ok(());
        }
        if self.peek() == Some(&Token::Word(Word::Not)) {
            self.next += 1;
            return Err(self.error("NOT before an object path is only NOT EXISTS"));
        }
        let (object_type, path) = self.object_path()?;
        let negated = self.word(Word::Not);
        let operator =
            match self.peek() {
                Some(Token::Operator(operator)) => *operator,
                _ => return Err(self.error(
                    "expected a comparison: =, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET or ISSUPERSET",
                )),
            };
        self.next += 1;
        let value = self.operand(operator)?;
        let comparison = Comparison { object_type, path, negated, operator, value };
        if let Some(message) = hash_problem(&comparison) {
            self.next -= 1;
            return Err(self.error(&message));
        }
        self.comparisons.push(comparison);
        Ok(())
    }

    fn operand(&mut self, operator: Operator) -> Result<Value, PatternError> {
        match operator {
            Operator::In => {
                self.expect(&Token::LParen, "IN takes a set like ('a', 'b')")?;
                let mut set = Vec::new();
                if self.peek() != Some(&Token::RParen) {
                    loop {
                        set.push(self.literal(true)?);
                        if self.peek() != Some(&Token::Comma) {
                            break;
                        }
                        self.next += 1;
                    }
                }
                self.expect(&Token::RParen, "expected `,` or `)` closing the set")?;
                Ok(Value::Set(set))
            }
            Operator::Like | Operator::Matches | Operator::IsSubset | Operator::IsSuperset => {
                match self.peek() {
                    Some(Token::Literal(Literal::Text(text))) => {
                        let text = text.clone();
                        self.next += 1;
                        Ok(Value::One(Literal::Text(text)))
                    }
                    _ => Err(self.error("this comparison takes a text in quotes")),
                }
            }
            Operator::Equal | Operator::NotEqual => Ok(Value::One(self.literal(true)?)),
            Operator::Exists => Ok(Value::NoValue),
            Operator::Less | Operator::LessOrEqual | Operator::Greater | Operator::GreaterOrEqual => {
                Ok(Value::One(self.literal(false)?))
            }
        }
    }

    fn literal(&mut self, bool_allowed: bool) -> Result<Literal, PatternError> {
        let literal = match self.peek() {
            Some(Token::Integer(n) | Token::Float(n)) => Literal::Number(n.clone()),
            Some(Token::Literal(Literal::Bool(_))) if !bool_allowed => {
                return Err(
                    self.error("true and false have no order: expected a number, a text or a timestamp")
                );
            }
            Some(Token::Literal(literal)) => literal.clone(),
            _ => {
                return Err(self
                    .error("expected a value: a number, a text in quotes, true, false, h'…', b'…' or t'…'"));
            }
        };
        self.next += 1;
        Ok(literal)
    }

    fn object_path(&mut self) -> Result<(String, Vec<Step>), PatternError> {
        let object_type = match self.peek() {
            Some(Token::Identifier { name, .. }) => name.clone(),
            _ => return Err(self.error("expected an object path like ipv4-addr:value")),
        };
        self.next += 1;
        self.expect(&Token::Colon, "expected `:` between the object type and its property")?;
        let mut path = vec![self.key("expected a property name after `:`")?];
        loop {
            match self.peek() {
                Some(Token::Dot) => {
                    self.next += 1;
                    path.push(self.key("expected a property name after `.`")?);
                }
                Some(Token::LBracket) => {
                    self.next += 1;
                    let step = match self.advance() {
                        Some(Token::Star) => Step::AnyIndex,
                        Some(Token::Integer(n)) => Step::Index(n.parse().unwrap_or(i64::MAX)),
                        _ => {
                            self.next -= 1;
                            return Err(self.error("a list index is a whole number or `*`"));
                        }
                    };
                    self.expect(&Token::RBracket, "expected `]` after the list index")?;
                    path.push(step);
                }
                _ => return Ok((object_type, path)),
            }
        }
    }

    fn key(&mut self, expected: &str) -> Result<Step, PatternError> {
        let key = match self.peek() {
            Some(Token::Identifier { name, hyphenated: false }) => name.clone(),
            Some(Token::Literal(Literal::Text(text))) => text.clone(),
            Some(Token::Identifier { name, hyphenated: true }) => {
                let message = format!("a property name with `-` is quoted: '{name}'");
                return Err(self.error(&message));
            }
            _ => return Err(self.error(expected)),
        };
        self.next += 1;
        Ok(Step::Key(key))
    }
}

/// A hash compared to a value that is not of its algorithm's form, as `stix2-patterns` says.
fn hash_problem(comparison: &Comparison) -> Option<String> {
    let in_hashes = comparison.path.iter().any(|step| *step == Step::Key("hashes".into()));
    let (Some(Step::Key(algorithm)), Value::One(Literal::Text(value))) =
        (comparison.path.last(), &comparison.value)
    else {
        return None;
    };
    if !in_hashes {
        return None;
    }
    let name = algorithm.to_ascii_uppercase().replace('-', "");
    if name == "SSDEEP" {
        let fits = (1..=128).contains(&value.len())
            && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | ':' | '.'));
        return (!fits).then(|| format!("'{value}' is not a valid SSDEEP hash"));
    }
    let (_, lengths) = HASH_LENGTHS.iter().find(|(known, _)| *known == name)?;
    let fits = lengths.contains(&value.len()) && value.chars().all(|c| c.is_ascii_hexdigit());
    (!fits).then(|| format!("'{value}' is not a valid {algorithm} hash"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(pattern: &str) -> String {
        match parse_pattern(pattern) {
            Ok(comparisons) => panic!("{pattern} parsed: {comparisons:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn reads_the_comparisons_of_a_pattern() {
        let comparisons = parse_pattern(
            "([file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' \
             AND file:size > -1] OR [network-traffic:dst_ref.value IN ('198.51.100.3', '198.51.100.4')]) \
             FOLLOWEDBY [email-message:from_ref.value NOT LIKE '%@example.org' AND x-custom:items[*].name = 'it\\'s'] \
             WITHIN 300 SECONDS REPEATS 2 TIMES",
        )
        .unwrap();
        assert_eq!(comparisons.len(), 5);
        let [hash, size, traffic, sender, custom] = comparisons.as_slice() else { panic!() };
        assert_eq!((hash.object_type.as_str(), &hash.path[1]), ("file", &Step::Key("SHA-256".into())));
        assert_eq!(
            (size.operator, &size.value),
            (Operator::Greater, &Value::One(Literal::Number("-1".into())))
        );
        assert!(matches!(&traffic.value, Value::Set(values) if values.len() == 2));
        assert!(sender.negated && sender.operator == Operator::Like);
        assert_eq!(custom.path, [Step::Key("items".into()), Step::AnyIndex, Step::Key("name".into())]);
        assert_eq!(custom.value, Value::One(Literal::Text("it's".into())));
        let timed = parse_pattern(
            "[x509-certificate:validity_not_before < t'2026-12-01T00:00:00.5Z'] START t'2026-11-01T00:00:00Z' STOP t'2026-12-01T00:00:00Z'",
        );
        assert!(timed.is_ok(), "{timed:?}");
        assert!(
            parse_pattern("[artifact:payload_bin = b'aGVsbG8=' AND artifact:x = h'00ff'] /* why */").is_ok()
        );
    }

    #[test]
    fn says_where_a_pattern_breaks_and_what_was_expected() {
        assert_eq!(
            fails("[ipv4-addr:value = '198.51.100.3'"),
            "at character 34: expected AND, OR or `]` closing the observation (the pattern ended)"
        );
        assert!(fails("ipv4-addr:value = '1'").contains("starts with `[` or `(`"));
        assert!(fails("[ipv4-addr:value = '1'] and [x:y = 1]").contains("character 25"));
        assert!(fails("[file:hashes.SHA-256 = 'x']").contains("with `-` is quoted"));
        assert!(fails("[file:hashes.MD5 = 'abc']").contains("'abc' is not a valid MD5 hash"));
        assert!(fails("[file:size > true]").contains("no order"));
        assert!(fails("[file:size = 007]").contains("leading 0"));
        assert!(
            fails("[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS")
                .contains("each kind of qualifier once")
        );
        assert!(fails("[file:created = t'2026-13-01T00:00:00Z']").contains("not a timestamp"));
        assert!(
            fails("[file:name = 'a'] START '2026-11-01T00:00:00Z' STOP t'2026-12-01T00:00:00Z'")
                .contains("START takes a timestamp")
        );
        assert!(fails("[file:name = 'a] ").contains("never closed"));
        assert!(fails("[file:name ~ 'a']").contains("`~` has no meaning"));
    }

    #[test]
    fn a_compound_observation_may_repeat_a_qualifier_its_parts_carry() {
        assert!(parse_pattern("([file:name = 'a'] WITHIN 5 SECONDS) WITHIN 6 SECONDS").is_ok());
    }
}
