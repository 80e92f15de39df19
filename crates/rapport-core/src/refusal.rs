//! Why a use case says no, by kind. Every refusal above the core is one of these, so the
//! server maps each kind to one HTTP status and one stable code in one place, and the command
//! line prints the same words.

/// A request Rapport understood and will not carry out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The thing asked about does not exist, or the asker may not know that it does.
    #[error("{0}")]
    NotFound(String),
    /// The asker is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// It cannot be done in the state things are in (already decided, closed, done by
    /// someone else meanwhile).
    #[error("{0}")]
    Conflict(String),
    /// What was given is wrong: `field` names the input, `message` says what was expected.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

impl Refusal {
    pub fn not_found(message: impl Into<String>) -> Refusal {
        Refusal::NotFound(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Refusal {
        Refusal::Forbidden(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Refusal {
        Refusal::Conflict(message.into())
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Refusal {
        Refusal::Invalid { field: field.to_owned(), message: message.into() }
    }

    /// The stable, machine-readable name of the kind (the API's `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotFound(_) => "not_found",
            Refusal::Forbidden(_) => "forbidden",
            Refusal::Conflict(_) => "conflict",
            Refusal::Invalid { .. } => "invalid_input",
        }
    }
}
