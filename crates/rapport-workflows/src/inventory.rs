//! Inventory and directory imports: device reports streamed from the parser to the store in
//! batches (a device reported several times in one file is folded in file order, across
//! batches through the import's own transaction), and directories of people and teams.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rapport_core::DeviceReport;
use rapport_formats::{
    DirectoryFormat, InventoryFormat, Stop, bom_len, detect_directory, detect_inventory, parse_directory,
    parse_inventory,
};
use rapport_storage::{ImportStart, ImportSummary, Store};
use time::OffsetDateTime;

use crate::IngestError;

/// Device reports per batch sent to the store.
const DEVICES_PER_BATCH: usize = 500;
/// Batches waiting to be stored; bounds memory whatever the file size.
const BATCHES_IN_FLIGHT: usize = 4;

#[derive(Clone, Debug)]
pub struct InventoryReport {
    pub path: PathBuf,
    pub format: InventoryFormat,
    pub summary: ImportSummary,
}

#[derive(Clone, Debug)]
pub struct DirectoryReport {
    pub path: PathBuf,
    pub format: DirectoryFormat,
    pub summary: ImportSummary,
}

/// The first bytes of a file, and the length of its byte-order mark.
fn prefix(path: &Path) -> Result<(Vec<u8>, u64), IngestError> {
    let open_error = |source| IngestError::Open { path: path.to_owned(), source };
    let prefix = crate::import::read_prefix(File::open(path).map_err(open_error)?).map_err(open_error)?;
    let skip = bom_len(&prefix) as u64;
    Ok((prefix, skip))
}

fn open_at(path: &Path, skip: u64) -> Result<BufReader<File>, std::io::Error> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(skip))?;
    Ok(BufReader::with_capacity(256 * 1024, file))
}

/// Imports an osquery results log or a Fleet host file, all of it or nothing.
pub async fn import_inventory(
    store: &Store,
    path: &Path,
    forced: Option<InventoryFormat>,
    now: impl Fn() -> OffsetDateTime,
) -> Result<InventoryReport, IngestError> {
    let (prefix, skip) = prefix(path)?;
    let format = match forced {
        Some(format) => format,
        None => detect_inventory(&prefix)
            .map_err(|reason| IngestError::NotRecognised { path: path.to_owned(), reason })?,
    };
    let store_error = |source| IngestError::Store { path: path.to_owned(), source };
    let label = path.display().to_string();
    let start = ImportStart { file: &label, format: format.name(), source: None, started_at: now() };
    let mut session = store.begin_import(start).await.map_err(store_error)?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<DeviceReport>>(BATCHES_IN_FLIGHT);
    // Stored reports come back to be freed where they were allocated, which is cheaper.
    let (recycle, recycled) = std::sync::mpsc::channel::<Vec<DeviceReport>>();
    let parser_path = path.to_owned();
    let parser = tokio::task::spawn_blocking(move || -> Result<(), FileError> {
        let input = open_at(&parser_path, skip).map_err(FileError::Io)?;
        let mut batch = Batch::default();
        parse_inventory(format, input, &mut |report| {
            while let Ok(spent) = recycled.try_recv() {
                drop(spent);
            }
            batch.add(report);
            if batch.reports.len() >= DEVICES_PER_BATCH {
                sender.blocking_send(batch.take()).map_err(|_| Stop)?;
            }
            Ok(())
        })
        .map_err(FileError::Parse)?;
        if !batch.reports.is_empty() {
            sender
                .blocking_send(batch.take())
                .map_err(|_| FileError::Parse(rapport_formats::ParseError::Stopped))?;
        }
        Ok(())
    });
    let mut stored = Ok(());
    while let Some(batch) = receiver.recv().await {
        match session.add_devices(format.name(), batch, now()).await {
            // A parser already done ignores it.
            Ok(spent) => drop(recycle.send(spent)),
            Err(error) => {
                stored = Err(error);
                break;
            }
        }
    }
    drop(receiver);
    let parsed =
        parser.await.unwrap_or_else(|join| Err(FileError::Io(std::io::Error::other(join.to_string()))));
    stored.map_err(store_error)?;
    parsed.map_err(|error| match error {
        FileError::Io(source) => IngestError::Open { path: path.to_owned(), source },
        FileError::Parse(source) => {
            IngestError::Invalid { path: path.to_owned(), format: format.name(), source }
        }
    })?;
    let summary = session.finish(Vec::new(), now()).await.map_err(store_error)?;
    tracing::info!(file = %path.display(), format = %format, devices = summary.devices, new = summary.new_devices, "imported inventory");
    Ok(InventoryReport { path: path.to_owned(), format, summary })
}

enum FileError {
    Io(std::io::Error),
    Parse(rapport_formats::ParseError),
}

/// Reports of one batch, one per device: a device reported again is folded in.
#[derive(Default)]
struct Batch {
    reports: Vec<DeviceReport>,
    index: HashMap<String, usize>,
}

impl Batch {
    fn add(&mut self, report: DeviceReport) {
        match self.index.get(&report.identifier).and_then(|at| self.reports.get_mut(*at)) {
            Some(known) => known.merge(report),
            None => {
                self.index.insert(report.identifier.clone(), self.reports.len());
                self.reports.push(report);
            }
        }
    }

    fn take(&mut self) -> Vec<DeviceReport> {
        self.index.clear();
        std::mem::take(&mut self.reports)
    }
}

/// Imports a people CSV, a teams CSV or a SCIM export, all of it or nothing.
pub async fn import_directory(
    store: &Store,
    path: &Path,
    now: impl Fn() -> OffsetDateTime,
) -> Result<DirectoryReport, IngestError> {
    let (prefix, skip) = prefix(path)?;
    let format = detect_directory(&prefix)
        .map_err(|reason| IngestError::NotRecognised { path: path.to_owned(), reason })?;
    let input = open_at(path, skip).map_err(|source| IngestError::Open { path: path.to_owned(), source })?;
    let directory = parse_directory(format, input).map_err(|source| IngestError::Invalid {
        path: path.to_owned(),
        format: format.name(),
        source,
    })?;
    let store_error = |source| IngestError::Store { path: path.to_owned(), source };
    let label = path.display().to_string();
    let start = ImportStart { file: &label, format: format.name(), source: None, started_at: now() };
    let mut session = store.begin_import(start).await.map_err(store_error)?;
    session.add_directory(&directory).await.map_err(store_error)?;
    let summary = session.finish(Vec::new(), now()).await.map_err(store_error)?;
    tracing::info!(file = %path.display(), format = %format, people = summary.people, teams = summary.teams, "imported directory");
    Ok(DirectoryReport { path: path.to_owned(), format, summary })
}
