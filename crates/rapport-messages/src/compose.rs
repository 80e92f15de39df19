//! One message for one reader: a template rendered with the facts, the link to the page
//! where they answer, and how easy it is to read.

use rapport_core::{Readability, ReadingTarget, readability};

use crate::{Facts, TemplateError, TemplateName, Templates};

/// A composed message.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub template: TemplateName,
    pub subject: String,
    pub body: String,
    /// The one thing to do; the link follows it.
    pub ask: String,
    pub link: String,
    /// Of the body and the ask, the words the reader reads.
    pub readability: Readability,
    /// What it misses of its audience's reading target, in words; empty when it meets it.
    pub misses: Vec<String>,
}

impl Message {
    /// The message as plain text: the body, then the ask with its link.
    pub fn text(&self) -> String {
        format!("{}\n\n{}\n{}\n", self.body, self.ask, self.link)
    }
}

/// Composes `template` for `facts`, ending with `link`.
pub fn compose(
    templates: &Templates,
    template: TemplateName,
    facts: &Facts,
    link: &str,
) -> Result<Message, TemplateError> {
    let rendered = templates.render(template, facts)?;
    let scores = readability(&format!("{}\n\n{}", rendered.body, rendered.ask));
    let misses = ReadingTarget::for_audience(template.audience).misses(&scores);
    Ok(Message {
        template,
        subject: rendered.subject,
        body: rendered.body,
        ask: rendered.ask,
        link: link.to_owned(),
        readability: scores,
        misses,
    })
}

#[cfg(test)]
mod tests {
    use rapport_core::Audience;

    use super::*;

    fn sample(template: TemplateName) -> Message {
        let templates = Templates::defaults().unwrap();
        let facts = Facts::sample(template.topic, template.audience);
        compose(&templates, template, &facts, "https://rapport.example/actions/42").unwrap()
    }

    #[test]
    fn every_default_meets_its_audience_reading_target() {
        let mut missed = Vec::new();
        for template in TemplateName::all() {
            let message = sample(template);
            if !message.misses.is_empty() {
                missed.push(format!("{template}: {}\n{}", message.misses.join("; "), message.text()));
            }
        }
        assert!(missed.is_empty(), "{}", missed.join("\n\n"));
    }

    #[test]
    fn only_engineers_read_vulnerability_ids() {
        for template in TemplateName::all() {
            let message = sample(template);
            let text = format!("{}\n{}", message.subject, message.text());
            let shows_ids = text.contains("CVE-");
            assert_eq!(
                shows_ids,
                template.audience == Audience::Engineer && text.contains("openssl from"),
                "{template}:\n{text}"
            );
        }
    }

    #[test]
    fn a_message_ends_with_its_one_ask_and_its_link() {
        let message = sample(TemplateName::parse("action_due_soon.manager").unwrap());
        assert!(message.text().ends_with(
            "Make sure someone has it this week, or ask for more time.\nhttps://rapport.example/actions/42\n"
        ));
        assert_eq!(message.text().matches("https://").count(), 1);
        assert_eq!(message.subject, "Payments: one task is due Friday 4 December");
    }
}
