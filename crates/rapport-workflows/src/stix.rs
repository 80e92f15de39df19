//! Importing a STIX 2.1 bundle: every object is read and checked before any is stored, and
//! then all are stored in one transaction with the event that says who brought them. A
//! version already held is kept as it was, so a bundle imported twice adds nothing.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rapport_core::{Actor, EventFacts, EventKind, StixObject, Tlp};
use rapport_formats::{ParseError, StixBundle, parse_stix_bundle};
use rapport_storage::{NewEvent, StixAdded, Store, StoreError};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum StixError {
    #[error("{path}: cannot read the file: {source}")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a valid STIX 2.1 bundle, nothing was stored: {source}")]
    Parse { path: PathBuf, source: ParseError },
    #[error("{path}: nothing was stored, the database refused the import: {source}")]
    Store { path: PathBuf, source: StoreError },
}

/// What importing one bundle did.
#[derive(Clone, Debug)]
pub struct StixReport {
    pub path: PathBuf,
    pub bundle: StixBundle,
    pub added: StixAdded,
    /// The bundle's objects of each type.
    pub types: BTreeMap<String, u64>,
    /// The bundle's objects by their TLP marking (`None`: unmarked).
    pub markings: BTreeMap<Option<Tlp>, u64>,
}

/// Imports the STIX 2.1 bundle at `path`, brought by the security team's member `by`.
pub async fn import_stix(
    store: &Store,
    path: &Path,
    by: Option<String>,
    now: OffsetDateTime,
) -> Result<StixReport, StixError> {
    let owned = path.to_owned();
    let (bundle, objects) = tokio::task::spawn_blocking(move || read_bundle(&owned))
        .await
        .map_err(|error| StixError::Open { path: path.to_owned(), source: std::io::Error::other(error) })??;
    let mut types = BTreeMap::new();
    let mut markings = BTreeMap::new();
    for object in &objects {
        *types.entry(object.kind.clone()).or_default() += 1;
        *markings.entry(object.tlp).or_default() += 1;
    }
    let name = path
        .file_name()
        .map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned());
    let source = format!("{} from {name}", bundle.id);
    let event = |added: StixAdded| NewEvent {
        kind: EventKind::StixImported,
        actor: Actor::Security(by.clone()),
        team: None,
        action: None,
        subject: Some(bundle.id.clone()),
        detail: format!("{name}: {}", stix_counted(bundle.objects, added)),
        facts: EventFacts::default(),
        once: None,
    };
    let added = store
        .add_stix_objects(&objects, &source, event, now)
        .await
        .map_err(|source| StixError::Store { path: path.to_owned(), source })?;
    Ok(StixReport { path: path.to_owned(), bundle, added, types, markings })
}

/// "1826 objects, 1826 new", "3 objects, all held already".
pub fn stix_counted(objects: u64, added: StixAdded) -> String {
    let objects = rapport_core::words::count(objects, "object", "objects");
    match (added.added, added.held) {
        (0, _) => format!("{objects}, all held already"),
        (new, 0) => format!("{objects}, {new} new"),
        (new, held) => format!("{objects}, {new} new and {held} held already"),
    }
}

fn read_bundle(path: &Path) -> Result<(StixBundle, Vec<StixObject>), StixError> {
    let file = File::open(path).map_err(|source| StixError::Open { path: path.to_owned(), source })?;
    let mut objects = Vec::new();
    let bundle = parse_stix_bundle(BufReader::new(file), &mut |object| {
        objects.push(object);
        Ok(())
    })
    .map_err(|source| StixError::Parse { path: path.to_owned(), source })?;
    Ok((bundle, objects))
}
