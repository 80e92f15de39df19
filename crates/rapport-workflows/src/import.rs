//! Importing one scanner file or VEX document: detect its format from its content, parse it
//! on a worker thread while the database side stores what arrives, and commit the whole file
//! as one transaction (or nothing, when anything goes wrong). Parsing and storing overlap, so
//! the import runs at the speed of the slower of the two; batches in flight are bounded, so
//! memory is too. A VEX document (OpenVEX, CSAF) is imported the same way, as statements:
//! they are stored and applied to the open findings they cover, and every later finding
//! import applies them to its findings as they are read.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rapport_core::{Scope, VexIndex, VexStatement};
use rapport_formats::{
    DETECT_PREFIX_LEN, DetectError, Format, ParseError, ScanContext, Stop, bom_len, detect, parse, parse_vex,
};
use rapport_storage::{FindingRow, ImportSession, ImportStart, ImportSummary, Store, StoreError};
use time::OffsetDateTime;

/// Findings per batch sent from the parser to the database: 2,000 was slower on SQLite and
/// used more memory, 500 no faster there and costs PostgreSQL twice the round trips
/// (measured with `cargo xtask bench`).
const BATCH_SIZE: usize = 1000;
/// Batches waiting to be stored; bounds memory whatever the file size.
const BATCHES_IN_FLIGHT: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: cannot read the file: {source}")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Detect { path: PathBuf, source: DetectError },
    #[error("{path}: not valid {format}: {source}")]
    Parse { path: PathBuf, format: Format, source: ParseError },
    #[error("{path}: nothing was stored, the database refused the import: {source}")]
    Store { path: PathBuf, source: StoreError },
    #[error("{path}: {reason}")]
    NotRecognised { path: PathBuf, reason: String },
    #[error("{path}: not valid {format}: {source}")]
    Invalid { path: PathBuf, format: &'static str, source: ParseError },
}

/// Reports how many bytes of the file have been read, for progress bars.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;
/// Called once when the import must wait for another one that is writing (SQLite has one
/// writer at a time): it starts when that one is done.
pub type Waiting = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub struct ImportRequest {
    pub path: PathBuf,
    /// Forces a format instead of detecting it.
    pub format: Option<Format>,
    /// A label for where the file came from; also names the target of files that do not.
    pub source: Option<String>,
    /// What the file is called in the history and in errors, when not by its path: an upload
    /// kept in a temporary folder is named as its sender named it.
    pub name: Option<String>,
    pub progress: Option<Progress>,
    pub waiting: Option<Waiting>,
}

impl std::fmt::Debug for ImportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportRequest")
            .field("path", &self.path)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
pub struct ImportReport {
    pub path: PathBuf,
    pub format: Format,
    pub summary: ImportSummary,
    /// Findings with a text over Rapport's limits (`rapport_core::text_limits`): kept with
    /// the start of it and a mark that it was cut.
    pub cut: u64,
}

/// Imports one file. `now` is the clock, read at the start and the end of the import.
pub async fn import_file(
    store: &Store,
    request: ImportRequest,
    now: impl Fn() -> OffsetDateTime,
) -> Result<ImportReport, IngestError> {
    let path = request.path.clone();
    let shown = request.name.as_ref().map_or_else(|| path.clone(), PathBuf::from);
    let open_error = |source| IngestError::Open { path: shown.clone(), source };
    let (format, skip) = sniff(&path, request.format).map_err(|e| match e {
        Sniff::Io(source) => open_error(source),
        Sniff::Detect(source) => match other_kind_of_file(&path) {
            Some((kind, command)) => IngestError::NotRecognised {
                path: shown.clone(),
                reason: format!("this is {kind}, not scanner output: import it with `rapport {command}`"),
            },
            None => IngestError::Detect { path: shown.clone(), source },
        },
    })?;
    let store_error = |source| IngestError::Store { path: shown.clone(), source };
    let file_label = shown.display().to_string();
    let start = ImportStart {
        file: &file_label,
        format: format.name(),
        source: request.source.as_deref(),
        started_at: now(),
    };
    if let Some(waiting) = &request.waiting
        && store.writer_busy().await.map_err(store_error)?
    {
        waiting();
    }
    let mut session = store.begin_import(start).await.map_err(store_error)?;
    if format.is_vex() {
        return import_vex(session, request, format, skip, now).await;
    }
    // Findings arrive already showing what stored VEX statements say about them.
    let statements = session.vex_statements().await.map_err(store_error)?;
    let vex = (!statements.is_empty()).then(|| Arc::new(VexIndex::new(statements)));
    let context = ScanContext { fallback_target: fallback_target(&request) };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<FindingRow>>(BATCHES_IN_FLIGHT);
    let (recycle, recycled) = mpsc::channel();
    let encode_ahead = Arc::new(AtomicBool::new(false));
    let batches = Batches { sender, recycled, encode_ahead: encode_ahead.clone(), vex, cut: Cell::new(0) };
    let parser_path = path.clone();
    let progress = request.progress.clone();
    let parser = tokio::task::spawn_blocking(move || {
        parse_file(&parser_path, skip, format, &context, progress, batches)
    });
    let mut stored = Ok(());
    while let Some(batch) = receiver.recv().await {
        if let Err(error) = session.add(&batch).await {
            stored = Err(error);
            break;
        }
        encode_ahead.store(session.expects_new(), Ordering::Relaxed);
        // Freed where it was allocated, which is cheaper; a parser already done ignores it.
        let _ = recycle.send(batch);
    }
    // Dropping the receiver stops a parser still running after a storage error.
    drop(receiver);
    let parsed =
        parser.await.unwrap_or_else(|join| Err(FileError::Io(std::io::Error::other(join.to_string()))));
    stored.map_err(store_error)?;
    let (scanned, cut) = parsed.map_err(|e| match e {
        FileError::Io(source) => open_error(source),
        FileError::Parse(source) => IngestError::Parse { path: shown.clone(), format, source },
    })?;
    let summary = session.finish(scanned, now()).await.map_err(store_error)?;
    tracing::info!(file = %shown.display(), format = %format, new = summary.new, known = summary.known, resolved = summary.resolved, cut, "imported");
    Ok(ImportReport { path: shown, format, summary, cut })
}

/// Imports a VEX document: stores its statements, then shows their verdict on the open
/// findings they cover, all in the session's one transaction.
async fn import_vex(
    mut session: ImportSession,
    request: ImportRequest,
    format: Format,
    skip: u64,
    now: impl Fn() -> OffsetDateTime,
) -> Result<ImportReport, IngestError> {
    let path = request.path;
    let shown = request.name.as_ref().map_or_else(|| path.clone(), PathBuf::from);
    let store_error = |source| IngestError::Store { path: shown.clone(), source };
    let parser_path = path.clone();
    let parsed = tokio::task::spawn_blocking(move || -> Result<Vec<VexStatement>, FileError> {
        let mut file = File::open(&parser_path).map_err(FileError::Io)?;
        file.seek(SeekFrom::Start(skip)).map_err(FileError::Io)?;
        let mut statements = Vec::new();
        parse_vex(format, BufReader::new(file), &mut |statement| {
            statements.push(statement);
            Ok(())
        })
        .map_err(FileError::Parse)?;
        Ok(statements)
    })
    .await
    .unwrap_or_else(|join| Err(FileError::Io(std::io::Error::other(join.to_string()))));
    let statements = parsed.map_err(|e| match e {
        FileError::Io(source) => IngestError::Open { path: shown.clone(), source },
        FileError::Parse(source) => IngestError::Parse { path: shown.clone(), format, source },
    })?;
    session.add_statements(&statements).await.map_err(store_error)?;
    let index = VexIndex::new(session.vex_statements().await.map_err(store_error)?);
    let mut vulnerabilities: Vec<String> =
        statements.iter().flat_map(|s| s.ids()).map(|id| id.as_str().to_owned()).collect();
    vulnerabilities.sort_unstable();
    vulnerabilities.dedup();
    session.apply_vex(&index, &vulnerabilities).await.map_err(store_error)?;
    let summary = session.finish(Vec::new(), now()).await.map_err(store_error)?;
    tracing::info!(file = %shown.display(), format = %format, statements = summary.vex_statements, changed = summary.vex_changed, "imported VEX");
    Ok(ImportReport { path: shown, format, summary, cut: 0 })
}

/// The first bytes of a stream, as much as detection looks at.
pub(crate) fn read_prefix(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(DETECT_PREFIX_LEN);
    reader.take(DETECT_PREFIX_LEN as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
}

/// What a file that is not scanner output is, when it is something else Rapport reads, and
/// the command that reads it.
fn other_kind_of_file(path: &Path) -> Option<(&'static str, &'static str)> {
    let prefix = read_prefix(File::open(path).ok()?).ok()?;
    if rapport_formats::detect_inventory(&prefix).is_ok() {
        Some(("a device inventory", "inventory import"))
    } else if rapport_formats::detect_directory(&prefix).is_ok() {
        Some(("a directory of people or teams", "people import"))
    } else {
        None
    }
}

/// The target name for files that do not name what was scanned.
fn fallback_target(request: &ImportRequest) -> String {
    request.source.clone().unwrap_or_else(|| {
        request
            .path
            .file_name()
            .map_or_else(|| request.path.display().to_string(), |n| n.to_string_lossy().into_owned())
    })
}

enum Sniff {
    Io(std::io::Error),
    Detect(DetectError),
}

/// Reads the start of the file: its format, and the length of a byte-order mark to skip.
fn sniff(path: &Path, forced: Option<Format>) -> Result<(Format, u64), Sniff> {
    let file = File::open(path).map_err(Sniff::Io)?;
    let mut prefix = Vec::with_capacity(DETECT_PREFIX_LEN);
    file.take(DETECT_PREFIX_LEN as u64).read_to_end(&mut prefix).map_err(Sniff::Io)?;
    let detected = detect(&prefix);
    let format = match (forced, detected) {
        (_, Err(DetectError::Empty)) => return Err(Sniff::Detect(DetectError::Empty)),
        (Some(format), _) => format.in_syntax_of(&prefix),
        (None, detected) => detected.map_err(Sniff::Detect)?,
    };
    Ok((format, bom_len(&prefix) as u64))
}

enum FileError {
    Io(std::io::Error),
    Parse(ParseError),
}

/// The parser's side of the batch traffic with the database side.
struct Batches {
    sender: tokio::sync::mpsc::Sender<Vec<FindingRow>>,
    /// Batches the database side is done with, to be emptied and refilled.
    recycled: mpsc::Receiver<Vec<FindingRow>>,
    /// Set while the database side sees mostly new findings: their stored form is then
    /// encoded here, on the parser's thread, instead of on the database's.
    encode_ahead: Arc<AtomicBool>,
    /// The stored VEX statements, when there are any.
    vex: Option<Arc<VexIndex>>,
    /// Findings whose text was cut to Rapport's limits.
    cut: Cell<u64>,
}

impl Batches {
    fn empty(&self) -> Vec<FindingRow> {
        match self.recycled.try_recv() {
            Ok(mut batch) => {
                batch.clear();
                batch
            }
            Err(_) => Vec::with_capacity(BATCH_SIZE),
        }
    }

    fn row(&self, mut finding: rapport_core::Finding) -> FindingRow {
        if finding.keep_within_limits() {
            self.cut.set(self.cut.get() + 1);
        }
        if let Some(vex) = &self.vex {
            vex.apply(&mut finding);
        }
        let row = FindingRow::from_finding(finding);
        if self.encode_ahead.load(Ordering::Relaxed) {
            row.encode_ahead();
        }
        row
    }
}

fn parse_file(
    path: &Path,
    skip: u64,
    format: Format,
    context: &ScanContext,
    progress: Option<Progress>,
    batches: Batches,
) -> Result<(Vec<Scope>, u64), FileError> {
    let mut file = File::open(path).map_err(FileError::Io)?;
    file.seek(SeekFrom::Start(skip)).map_err(FileError::Io)?;
    let input = BufReader::with_capacity(256 * 1024, CountingReader { inner: file, read: skip, progress });
    let mut batch = batches.empty();
    let mut sink = |finding: rapport_core::Finding| {
        batch.push(batches.row(finding));
        if batch.len() >= BATCH_SIZE {
            let full = std::mem::replace(&mut batch, batches.empty());
            batches.sender.blocking_send(full).map_err(|_| Stop)?;
        }
        Ok(())
    };
    let scanned = parse(format, input, context, &mut sink).map_err(FileError::Parse)?;
    if !batch.is_empty() {
        batches.sender.blocking_send(batch).map_err(|_| FileError::Parse(ParseError::Stopped))?;
    }
    Ok((scanned, batches.cut.get()))
}

/// Counts bytes read for progress; seeks pass through (Grype reads its file twice).
struct CountingReader<R> {
    inner: R,
    read: u64,
    progress: Option<Progress>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.read += count as u64;
        if let Some(progress) = &self.progress {
            progress(self.read);
        }
        Ok(count)
    }
}

impl<R: Seek> Seek for CountingReader<R> {
    fn seek(&mut self, position: SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(position)?;
        self.read = at;
        Ok(at)
    }
}
