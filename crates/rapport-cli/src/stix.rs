//! `rapport stix`: import STIX 2.1 bundles (peers' intel, MITRE ATT&CK as reference) and see
//! what is held.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use rapport_workflows::import_stix;
use serde_json::json;

use crate::commands::{now, open};

#[derive(Debug, Subcommand)]
pub enum StixCommand {
    /// Import a STIX 2.1 bundle: every object is checked first, and the bundle is stored whole
    /// or not at all. Versions already held are kept as they are.
    Import(StixImportArgs),
    /// How many objects of each type are held, and in how many versions.
    List {
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct StixImportArgs {
    file: PathBuf,
    /// The member of the security team importing it, by email.
    #[arg(long)]
    by: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn stix(database: &str, command: StixCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    match command {
        StixCommand::Import(args) => {
            let report = import_stix(&store, &args.file, args.by, now()).await;
            store.close().await;
            let report = report?;
            if args.json {
                let markings: serde_json::Map<String, serde_json::Value> = report
                    .markings
                    .iter()
                    .map(|(tlp, count)| (tlp.map_or("unmarked", |tlp| tlp.as_str()).to_owned(), json!(count)))
                    .collect();
                let line = json!({
                    "file": report.path.display().to_string(), "bundle": report.bundle.id,
                    "objects": report.bundle.objects, "added": report.added.added, "held": report.added.held,
                    "types": report.types, "markings": markings,
                });
                writeln!(out, "{line}")?;
                return Ok(ExitCode::SUCCESS);
            }
            let counted = rapport_workflows::stix_counted(report.bundle.objects, report.added);
            writeln!(out, "{}: STIX 2.1 bundle {}: {counted}.", report.path.display(), report.bundle.id)?;
            let mut types: Vec<_> = report.types.iter().collect();
            types.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (kind, count) in types {
                writeln!(out, "  {count:>6}  {kind}")?;
            }
            let markings: Vec<String> = report
                .markings
                .iter()
                .map(|(tlp, count)| {
                    format!("{count} {}", tlp.map_or("unmarked".to_owned(), |tlp| tlp.to_string()))
                })
                .collect();
            writeln!(out, "Markings: {}.", markings.join(", "))?;
        }
        StixCommand::List { json } => {
            let counts = store.stix_type_counts().await;
            store.close().await;
            let counts = counts?;
            if counts.is_empty() && !json {
                writeln!(out, "No STIX objects are held. Import a bundle with `rapport stix import FILE`.")?;
            }
            for count in counts {
                if json {
                    let line =
                        json!({ "type": count.kind, "objects": count.objects, "versions": count.versions });
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{:>6}  {} ({} versions)", count.objects, count.kind, count.versions)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
