//! `rapport briefing`: the monthly briefing for the executives or one team's manager, printed
//! as text, written as one HTML document, or printed to PDF by headless Chromium.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rapport_workflows::{BriefingFor, monthly_briefing};
use time::{Date, OffsetDateTime};

use crate::commands::{now, open};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BriefingAudience {
    Executive,
    Manager,
}

#[derive(Debug, Args)]
pub struct BriefingArgs {
    /// The month, as 2026-11; the one under way unless given.
    #[arg(long, value_parser = parse_month)]
    month: Option<Date>,
    /// The executives' briefing across every team, or one team's for its manager.
    #[arg(long, value_enum, default_value_t = BriefingAudience::Executive)]
    audience: BriefingAudience,
    /// The team of a manager's briefing.
    #[arg(long)]
    team: Option<String>,
    /// Write it to FILE as one HTML document (a PDF with --pdf) instead of printing its text.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print it to PDF with headless Chromium (`--chromium`, or `chromium` on the PATH).
    #[arg(long, requires = "out")]
    pdf: bool,
    #[arg(long, env = "RAPPORT_CHROMIUM", default_value = "chromium")]
    chromium: PathBuf,
    /// As of this moment (RFC 3339) instead of now.
    #[arg(long, value_parser = crate::events::parse_moment)]
    at: Option<OffsetDateTime>,
}

fn parse_month(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(&format!("{text}-01"), &format)
        .map_err(|_| format!("{text:?} is not a month; give it as 2026-11"))
}

pub async fn briefing(database: &str, args: BriefingArgs) -> anyhow::Result<ExitCode> {
    let reader = match (args.audience, args.team.as_deref()) {
        (BriefingAudience::Executive, None) => BriefingFor::Executives,
        (BriefingAudience::Executive, Some(_)) => {
            bail!("--team: the executives' briefing covers every team; say --audience manager for one team's")
        }
        (BriefingAudience::Manager, Some(team)) => BriefingFor::Manager { team },
        (BriefingAudience::Manager, None) => bail!("--team: a manager's briefing is of one team; name it"),
    };
    let at = args.at.unwrap_or_else(now);
    let store = open(database).await?;
    let report = monthly_briefing(&store, at, args.month.unwrap_or(at.date()), reader).await;
    store.close().await;
    let report = report?;
    let Some(out) = &args.out else {
        let mut text = format!("{}\n", report.briefing.title);
        let briefing = &report.briefing;
        for (heading, said) in [
            ("What was done", &briefing.accomplishments),
            ("What went wrong", &briefing.issues),
            ("What the security team did about it", &briefing.responses),
            ("What comes next", &briefing.plans),
        ] {
            text.push_str(&format!("\n{heading}\n"));
            for sentence in said {
                text.push_str(&format!("  - {sentence}\n"));
            }
        }
        text.push_str(&format!("\nYour feedback\n  {}\n", briefing.feedback));
        write!(crate::printable::stdout(), "{text}")?;
        return Ok(ExitCode::SUCCESS);
    };
    let document = rapport_server::briefing_document(&report)?;
    if args.pdf {
        print_to_pdf(&args.chromium, &document, out)?;
    } else {
        std::fs::write(out, document).with_context(|| format!("writing {}", out.display()))?;
    }
    eprintln!("Wrote {} to {}.", report.briefing.title, out.display());
    Ok(ExitCode::SUCCESS)
}

/// Prints `document` to `out` as a PDF with headless Chromium, through a file beside `out`
/// that is removed afterwards.
fn print_to_pdf(chromium: &Path, document: &str, out: &Path) -> anyhow::Result<()> {
    let page = out.with_extension("briefing.html");
    let profile = std::env::temp_dir().join(format!("rapport-chromium-{}", std::process::id()));
    std::fs::write(&page, document).with_context(|| format!("writing {}", page.display()))?;
    let absolute = std::fs::canonicalize(&page)?;
    let printed = Command::new(chromium)
        .arg("--headless")
        // The document is Rapport's own, every text escaped and no script in it; Chromium's
        // sandbox cannot start as root, as in a container.
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", absolute.display()))
        .output();
    let _ = std::fs::remove_file(&page);
    let _ = std::fs::remove_dir_all(&profile);
    let printed = printed.with_context(|| format!("starting {} to print the PDF", chromium.display()))?;
    let written = std::fs::metadata(out).map(|meta| meta.len() > 0).unwrap_or(false);
    if !printed.status.success() || !written {
        bail!(
            "{} could not print {}: {}",
            chromium.display(),
            out.display(),
            String::from_utf8_lossy(&printed.stderr).lines().last().unwrap_or("no reason given")
        );
    }
    Ok(())
}
