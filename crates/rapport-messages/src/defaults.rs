//! The templates Rapport ships, one file each in `templates/`.

use crate::TemplateName;

/// Each default template by its name.
const DEFAULTS: &[(&str, &str)] = &[
    ("action_due_soon.end_user", include_str!("templates/action_due_soon.end_user.jinja")),
    ("action_due_soon.engineer", include_str!("templates/action_due_soon.engineer.jinja")),
    ("action_due_soon.manager", include_str!("templates/action_due_soon.manager.jinja")),
    ("action_finished.end_user", include_str!("templates/action_finished.end_user.jinja")),
    ("action_finished.engineer", include_str!("templates/action_finished.engineer.jinja")),
    ("action_finished.manager", include_str!("templates/action_finished.manager.jinja")),
    ("action_opened.end_user", include_str!("templates/action_opened.end_user.jinja")),
    ("action_opened.engineer", include_str!("templates/action_opened.engineer.jinja")),
    ("action_opened.manager", include_str!("templates/action_opened.manager.jinja")),
    ("action_overdue.end_user", include_str!("templates/action_overdue.end_user.jinja")),
    ("action_overdue.engineer", include_str!("templates/action_overdue.engineer.jinja")),
    ("action_overdue.manager", include_str!("templates/action_overdue.manager.jinja")),
    ("action_reopened.engineer", include_str!("templates/action_reopened.engineer.jinja")),
    ("action_reopened.manager", include_str!("templates/action_reopened.manager.jinja")),
    ("briefing.executive", include_str!("templates/briefing.executive.jinja")),
    ("briefing.manager", include_str!("templates/briefing.manager.jinja")),
    ("campaign_replied.end_user", include_str!("templates/campaign_replied.end_user.jinja")),
    ("digest.end_user", include_str!("templates/digest.end_user.jinja")),
    ("digest.engineer", include_str!("templates/digest.engineer.jinja")),
    ("digest.executive", include_str!("templates/digest.executive.jinja")),
    ("digest.manager", include_str!("templates/digest.manager.jinja")),
    ("emergency_declared.end_user", include_str!("templates/emergency_declared.end_user.jinja")),
    ("emergency_declared.engineer", include_str!("templates/emergency_declared.engineer.jinja")),
    ("emergency_declared.executive", include_str!("templates/emergency_declared.executive.jinja")),
    ("emergency_declared.manager", include_str!("templates/emergency_declared.manager.jinja")),
    ("exception_decided.engineer", include_str!("templates/exception_decided.engineer.jinja")),
    ("exception_decided.manager", include_str!("templates/exception_decided.manager.jinja")),
    ("exception_ending.engineer", include_str!("templates/exception_ending.engineer.jinja")),
    ("exception_ending.manager", include_str!("templates/exception_ending.manager.jinja")),
    ("follow_through.end_user", include_str!("templates/follow_through.end_user.jinja")),
    ("follow_through.engineer", include_str!("templates/follow_through.engineer.jinja")),
    ("follow_through.manager", include_str!("templates/follow_through.manager.jinja")),
    ("habit_thanks.end_user", include_str!("templates/habit_thanks.end_user.jinja")),
    ("nudge.end_user", include_str!("templates/nudge.end_user.jinja")),
    ("ownership_disputed.engineer", include_str!("templates/ownership_disputed.engineer.jinja")),
    ("ownership_disputed.manager", include_str!("templates/ownership_disputed.manager.jinja")),
    ("policy_changed.executive", include_str!("templates/policy_changed.executive.jinja")),
    ("policy_changed.manager", include_str!("templates/policy_changed.manager.jinja")),
    ("security_replied.end_user", include_str!("templates/security_replied.end_user.jinja")),
    ("security_replied.engineer", include_str!("templates/security_replied.engineer.jinja")),
    ("security_replied.executive", include_str!("templates/security_replied.executive.jinja")),
    ("security_replied.manager", include_str!("templates/security_replied.manager.jinja")),
    ("win.end_user", include_str!("templates/win.end_user.jinja")),
    ("win.engineer", include_str!("templates/win.engineer.jinja")),
    ("win.executive", include_str!("templates/win.executive.jinja")),
    ("win.manager", include_str!("templates/win.manager.jinja")),
];

/// The shipped source of a template; empty for a name with no file, which the test below
/// forbids.
pub(crate) fn source(name: TemplateName) -> &'static str {
    let name = name.to_string();
    DEFAULTS.iter().find(|(file, _)| *file == name).map_or("", |(_, source)| source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_has_a_default_file_and_every_file_a_template() {
        let names: Vec<String> = TemplateName::all().map(|name| name.to_string()).collect();
        let files: Vec<String> = DEFAULTS.iter().map(|(file, _)| (*file).to_owned()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, files);
    }
}
