//! The message templates in force: the ones Rapport ships, with those the security team
//! replaced. A replacement is checked before it is stored (it must compile, name only the
//! variables its topic has, and keep its three blocks), so a broken one is refused with its
//! line and the template in force stays.

use rapport_core::Topic;
use rapport_messages::{Facts, TemplateError, TemplateName, Templates, compose};
use rapport_storage::{Store, StoredTemplate};
use time::OffsetDateTime;

use crate::{PlanError, Preview, preview_message};

/// The templates messages are written with now.
pub async fn templates_in_force(store: &Store) -> Result<Templates, PlanError> {
    let mut templates = Templates::defaults()?;
    for stored in store.message_templates().await? {
        let Some(name) = TemplateName::parse(&stored.name) else { continue };
        // One stored before a change of variables may no longer pass: the default stands in,
        // and the security team sees it marked as not in force (`template_states`).
        match templates.replaced(name, &stored.source) {
            Ok(replaced) => templates = replaced,
            Err(error) => {
                tracing::warn!(%error, "a stored message template no longer passes; the default stands in")
            }
        }
    }
    Ok(templates)
}

/// Where each template stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateState {
    pub name: TemplateName,
    /// The replacement in force, with who applied it and when; none for the default.
    pub replaced: Option<StoredTemplate>,
    /// Why a stored replacement is not in force, when it no longer passes.
    pub refused: Option<String>,
}

/// Every template, and whether the security team replaced it.
pub async fn template_states(store: &Store) -> Result<Vec<TemplateState>, PlanError> {
    let defaults = Templates::defaults()?;
    let stored = store.message_templates().await?;
    Ok(TemplateName::all()
        .map(|name| {
            let replaced = stored.iter().find(|template| template.name == name.to_string()).cloned();
            let refused = replaced
                .as_ref()
                .and_then(|template| defaults.replaced(name, &template.source).err())
                .map(|error| error.to_string());
            TemplateState { name, replaced, refused }
        })
        .collect())
}

/// Replaces template `name` with `source`, once it passes; refused with its line otherwise.
pub async fn apply_template(
    store: &Store,
    name: &str,
    source: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<TemplateName, PlanError> {
    let template = known(name)?;
    templates_in_force(store).await?.replaced(template, source)?;
    store.set_message_template(&template.to_string(), source, by, now).await?;
    Ok(template)
}

/// Template `name` as a reader of its audience would get it from the latest event of its
/// topic (sample facts when none is recorded), written with `draft` in place of the template in
/// force when one is given. A draft is checked as `apply_template` checks it; nothing is stored.
pub async fn preview_template(
    store: &Store,
    name: &str,
    draft: Option<&str>,
    now: OffsetDateTime,
) -> Result<Preview, PlanError> {
    let template = known(name)?;
    let mut templates = templates_in_force(store).await?;
    if let Some(draft) = draft {
        templates = templates.replaced(template, draft)?;
    }
    if template.topic == Topic::Digest {
        // A digest gathers messages rather than telling one event: its sample stands in.
        let facts = Facts::sample(template.topic, template.audience);
        let message = compose(&templates, template, &facts, "/me/messages")?;
        return Ok(Preview { message, event: None, reader: facts.person.name });
    }
    let kind = template.topic.example_kind();
    preview_message(store, &templates, kind, template.audience, None, None, now).await
}

/// Goes back to the template Rapport ships; false when it was not replaced.
pub async fn reset_template(
    store: &Store,
    name: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<bool, PlanError> {
    let template = known(name)?;
    Ok(store.reset_message_template(&template.to_string(), by, now).await?)
}

fn known(name: &str) -> Result<TemplateName, TemplateError> {
    TemplateName::parse(name).ok_or_else(|| TemplateError {
        template: name.to_owned(),
        line: None,
        message: format!(
            "there is no such template; the names are topic.audience, like action_due_soon.manager ({} in all, `rapport messages templates`)",
            TemplateName::all().count()
        ),
    })
}
