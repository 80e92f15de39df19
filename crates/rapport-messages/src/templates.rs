//! The message templates: one file per topic and audience (`action_due_soon.manager`), in
//! MiniJinja's syntax, with three blocks: `subject`, `body`, and `ask`, the one thing to do,
//! which the link to the right page follows. The defaults ship inside the binary; the
//! security team replaces any of them, and a replacement that does not compile, names a
//! variable the topic does not have, or lacks a block is refused with its line while the
//! template in force stays.

use std::collections::BTreeMap;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use rapport_core::words::count;
use rapport_core::{Audience, Topic};

use crate::Facts;

/// The blocks every template defines.
pub const BLOCKS: [&str; 3] = ["subject", "body", "ask"];

/// One template refused, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", .template, .line.map(|line| format!(", line {line}")).unwrap_or_default())]
pub struct TemplateError {
    /// Its name, `action_due_soon.manager`.
    pub template: String,
    pub line: Option<usize>,
    pub message: String,
}

/// A template's name: its topic and audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TemplateName {
    pub topic: Topic,
    pub audience: Audience,
}

impl TemplateName {
    /// Every template there is: each topic for each audience it is written for.
    pub fn all() -> impl Iterator<Item = TemplateName> {
        Topic::ALL
            .into_iter()
            .flat_map(|topic| topic.audiences().iter().map(move |&audience| TemplateName { topic, audience }))
    }

    /// Reads `action_due_soon.manager`.
    pub fn parse(name: &str) -> Option<TemplateName> {
        let (topic, audience) = name.trim_end_matches(".jinja").split_once('.')?;
        let name = TemplateName { topic: Topic::parse(topic)?, audience: Audience::parse(audience)? };
        TemplateName::all().any(|known| known == name).then_some(name)
    }

    pub fn file_name(self) -> String {
        format!("{self}.jinja")
    }
}

impl std::fmt::Display for TemplateName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.topic.as_str(), self.audience.as_str())
    }
}

/// A template's three parts, rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    pub ask: String,
}

/// The templates in force.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Environment<'static>,
    /// Each template's source as written, for editing and exporting.
    sources: BTreeMap<TemplateName, String>,
}

impl Templates {
    /// The templates Rapport ships (a test renders every one of them).
    pub fn defaults() -> Result<Templates, TemplateError> {
        let mut templates = Templates { env: environment(), sources: BTreeMap::new() };
        for name in TemplateName::all() {
            templates = templates.replaced(name, crate::defaults::source(name))?;
        }
        Ok(templates)
    }

    /// The set with `name` replaced by `source`, once `source` compiles and renders every
    /// block for its topic's sample facts; otherwise the error, and `self` is unchanged.
    pub fn replaced(&self, name: TemplateName, source: &str) -> Result<Templates, TemplateError> {
        let mut env = self.env.clone();
        env.add_template_owned(name.to_string(), source.to_owned()).map_err(|e| error_of(name, &e))?;
        let mut sources = self.sources.clone();
        sources.insert(name, source.to_owned());
        let templates = Templates { env, sources };
        templates.render(name, &Facts::sample(name.topic, name.audience))?;
        Ok(templates)
    }

    /// The source of a template in force.
    pub fn source(&self, name: TemplateName) -> Option<&str> {
        self.sources.get(&name).map(String::as_str)
    }

    /// Renders a template's blocks for `facts`.
    pub fn render(&self, name: TemplateName, facts: &Facts) -> Result<Rendered, TemplateError> {
        let template = self.env.get_template(&name.to_string()).map_err(|e| error_of(name, &e))?;
        // Rendering the whole template first runs its top-level code once and reports an
        // error with its line; each block is then rendered from the captured state.
        let mut captured = template.render_captured(Serde(facts)).map_err(|e| error_of(name, &e))?;
        let mut block = |block: &str| {
            captured.with_state_mut(|state| state.render_block(block)).map(|text| tidy(&text)).map_err(|e| {
                match e.kind() {
                    minijinja::ErrorKind::UnknownBlock => TemplateError {
                        template: name.to_string(),
                        line: None,
                        message: format!(
                            "it has no {{% block {block} %}}; every template needs subject, body and ask"
                        ),
                    },
                    _ => error_of(name, &e),
                }
            })
        };
        let (subject, body, ask) = (block("subject")?, block("body")?, block("ask")?);
        for (block, text) in [("subject", &subject), ("ask", &ask)] {
            if text.is_empty() || text.contains('\n') {
                return Err(TemplateError {
                    template: name.to_string(),
                    line: None,
                    message: format!("its {block} must be one line, not {}", describe(text)),
                });
            }
        }
        Ok(Rendered { subject, body, ask })
    }
}

fn describe(text: &str) -> String {
    if text.is_empty() { "empty".into() } else { format!("{} lines", text.lines().count()) }
}

/// Lines trimmed at their end, at most one blank line in a row, none at either end.
fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
        blank = false;
    }
    out
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // A misspelt variable is an error, not an empty string in someone's inbox.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // A line that holds only a tag leaves no blank line behind.
    if let Ok(syntax) = SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build() {
        env.set_syntax(syntax);
    }
    env.add_function("count", |n: i64, one: String, many: String| count(n.max(0) as u64, &one, &many));
    env
}

fn error_of(name: TemplateName, error: &minijinja::Error) -> TemplateError {
    TemplateError {
        template: name.to_string(),
        line: error.line(),
        message: error
            .detail()
            .map_or_else(|| error.kind().to_string(), |detail| format!("{}: {detail}", error.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager_due_soon() -> TemplateName {
        TemplateName::parse("action_due_soon.manager").unwrap()
    }

    #[test]
    fn a_template_that_does_not_compile_is_refused_with_its_line_and_the_old_one_stays() {
        let templates = Templates::defaults().unwrap();
        let before = templates.source(manager_due_soon()).unwrap().to_owned();
        let broken = "{% block subject %}Due{% endblock %}\n{% block body %}\n{% if action.due %}\nno end\n{% endblock %}";
        let error = templates.replaced(manager_due_soon(), broken).unwrap_err();
        assert_eq!(error.template, "action_due_soon.manager");
        assert_eq!(error.line, Some(5), "{error}");
        assert!(error.to_string().starts_with("action_due_soon.manager, line 5: syntax error"), "{error}");
        assert_eq!(templates.source(manager_due_soon()).unwrap(), before);
    }

    #[test]
    fn a_variable_the_topic_does_not_have_is_refused_with_its_line() {
        let templates = Templates::defaults().unwrap();
        let source = "{% block subject %}Due{% endblock %}\n{% block body %}\nHi {{ person.nickname }}\n{% endblock %}\n{% block ask %}Go.{% endblock %}";
        let error = templates.replaced(manager_due_soon(), source).unwrap_err();
        assert_eq!(error.line, Some(3), "{error}");
        assert!(error.message.contains("undefined"), "{error}");
        // A policy is none for work on an action: naming its parts is refused too.
        let source = "{% block subject %}{{ policy.name }}{% endblock %}{% block body %}x{% endblock %}{% block ask %}Go.{% endblock %}";
        assert!(templates.replaced(manager_due_soon(), source).is_err());
    }

    #[test]
    fn a_template_needs_its_three_blocks_and_a_one_line_ask() {
        let templates = Templates::defaults().unwrap();
        let no_ask = "{% block subject %}Due{% endblock %}{% block body %}Hi{% endblock %}";
        let error = templates.replaced(manager_due_soon(), no_ask).unwrap_err();
        assert!(error.message.contains("no {% block ask %}"), "{error}");
        let long_ask = "{% block subject %}Due{% endblock %}{% block body %}Hi{% endblock %}{% block ask %}Do it.\nNow.{% endblock %}";
        let error = templates.replaced(manager_due_soon(), long_ask).unwrap_err();
        assert_eq!(error.message, "its ask must be one line, not 2 lines");
    }

    #[test]
    fn a_replacement_that_passes_is_in_force() {
        let templates = Templates::defaults().unwrap();
        let source = "{% block subject %}Soon: {{ action.due }}{% endblock %}{% block body %}Hi {{ person.first_name }}.{% endblock %}{% block ask %}Plan it.{% endblock %}";
        let replaced = templates.replaced(manager_due_soon(), source).unwrap();
        let rendered = replaced
            .render(manager_due_soon(), &Facts::sample(Topic::ActionDueSoon, Audience::Manager))
            .unwrap();
        assert_eq!(
            rendered,
            Rendered {
                subject: "Soon: Friday 4 December".into(),
                body: "Hi Priya.".into(),
                ask: "Plan it.".into()
            }
        );
    }

    #[test]
    fn names_read_back_and_only_written_audiences_have_templates() {
        for name in TemplateName::all() {
            assert_eq!(TemplateName::parse(&name.to_string()), Some(name));
            assert_eq!(TemplateName::parse(&name.file_name()), Some(name));
        }
        assert_eq!(TemplateName::parse("policy_changed.end_user"), None);
        assert_eq!(TemplateName::all().count(), 46);
    }
}
