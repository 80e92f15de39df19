//! Importing intel feeds: a file, a folder of them, or a zip of OSV records. Each file is
//! read whole and checked before anything is stored, and stored in one transaction. A
//! catalogue (KEV, EPSS) is refused when it would replace what is stored with something
//! worse: an older edition, a much shorter list, a file whose name says another day.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rapport_core::{Edition, EpssScore, Feed, KevEntry, VulnRecord};
use rapport_formats::{
    IntelFormat, IntelItem, ParseError, bom_len, detect_intel, is_gzip, is_zip, parse_intel,
};
use rapport_storage::{IntelCounts, IntelImport, Store, StoreError};

use crate::import::read_prefix;
use crate::unpack::{Budget, UnpackLimits};
use flate2::read::GzDecoder;
use time::OffsetDateTime;

/// A new catalogue may not be shorter than this share of the stored one: KEV only grows and
/// EPSS scores every published CVE, so a much shorter file is a cut or a filtered one.
const SHRINK_LIMIT: f64 = 0.9;

#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    #[error("{path}: cannot read the file: {source}")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("{path}: {reason}")]
    NotAFeed { path: PathBuf, reason: String },
    #[error("{path}: not valid {format}: {source}")]
    Parse { path: PathBuf, format: IntelFormat, source: ParseError },
    #[error("{path}: refused, nothing was stored: {reason}")]
    Refused { path: PathBuf, reason: String },
    #[error("{path}: nothing was stored, the database refused the import: {source}")]
    Store { path: PathBuf, source: StoreError },
}

#[derive(Clone, Copy, Debug, Default)]
pub struct IntelOptions {
    /// Store an older catalogue edition over a newer one (to go back on purpose).
    pub allow_older: bool,
}

/// What importing one feed file did.
#[derive(Clone, Debug)]
pub struct IntelReport {
    pub path: PathBuf,
    pub format: IntelFormat,
    pub edition: Option<Edition>,
    pub items: u64,
    /// `None` when the file held what is already stored (the same edition).
    pub counts: Option<IntelCounts>,
    /// Records with a text over Rapport's limits, kept with its start and a mark.
    pub cut: u64,
}

/// A folder entry that is not a feed, and why: listed, not an error.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// A feed file read and checked, not yet stored.
#[derive(Debug)]
struct ReadFeed {
    path: PathBuf,
    format: IntelFormat,
    edition: Option<Edition>,
    items: Items,
    cut: u64,
}

#[derive(Debug)]
enum Items {
    Kev(Vec<KevEntry>),
    Epss(Vec<EpssScore>),
    Records(Vec<VulnRecord>),
}

impl Items {
    fn len(&self) -> usize {
        match self {
            Items::Kev(entries) => entries.len(),
            Items::Epss(scores) => scores.len(),
            Items::Records(records) => records.len(),
        }
    }
}

/// Imports a feed file, or every feed file in a folder (files that are not feeds are
/// skipped and listed). Every file is read and checked before any is stored.
pub async fn import_intel(
    store: &Store,
    path: &Path,
    options: IntelOptions,
    now: OffsetDateTime,
) -> Result<(Vec<IntelReport>, Vec<Skipped>), IntelError> {
    let path = path.to_owned();
    let (feeds, skipped) = tokio::task::spawn_blocking(move || read_all(&path))
        .await
        .map_err(|error| IntelError::Open { path: PathBuf::new(), source: std::io::Error::other(error) })??;
    let mut reports = Vec::new();
    let mut feeds = feeds;
    // A folder may hold several editions of a catalogue: oldest first, so each replaces the
    // one before rather than being refused as older.
    feeds.sort_by_key(|feed| {
        feed.edition.as_ref().filter(|_| feed.format.feed().is_catalogue()).map(|e| e.date)
    });
    for feed in feeds {
        reports.push(store_feed(store, feed, options, now).await?);
    }
    Ok((reports, skipped))
}

fn read_all(path: &Path) -> Result<(Vec<ReadFeed>, Vec<Skipped>), IntelError> {
    let open = |source| IntelError::Open { path: path.to_owned(), source };
    if !path.is_dir() {
        let feed =
            read_file(path)?.map_err(|reason| IntelError::NotAFeed { path: path.to_owned(), reason })?;
        return Ok((vec![feed], Vec::new()));
    }
    let mut files = Vec::new();
    walk(path, &mut files).map_err(open)?;
    files.sort();
    let mut feeds = Vec::new();
    let mut skipped = Vec::new();
    for file in files {
        match read_file(&file)? {
            Ok(feed) => feeds.push(feed),
            Err(reason) => skipped.push(Skipped { path: file, reason }),
        }
    }
    Ok((feeds, skipped))
}

fn walk(folder: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Reads one file: `Ok(Err(reason))` when it is not a feed at all.
fn read_file(path: &Path) -> Result<Result<ReadFeed, String>, IntelError> {
    let open = |source| IntelError::Open { path: path.to_owned(), source };
    let mut file = File::open(path).map_err(open)?;
    let prefix = read_prefix(&mut file).map_err(open)?;
    file.seek(SeekFrom::Start(0)).map_err(open)?;
    if is_zip(&prefix) {
        return read_zip(path, file);
    }
    if is_gzip(&prefix) {
        let budget = Budget::new(file.metadata().map_err(open)?.len(), UnpackLimits::FEEDS);
        let read = read_stream(path, budget.reader(GzDecoder::new(BufReader::new(file))));
        return within(path, &budget, read);
    }
    read_stream(path, file)
}

/// What reading a packed file gave, unless its budget stopped it: then why.
fn within<T>(path: &Path, budget: &Budget, read: Result<T, IntelError>) -> Result<T, IntelError> {
    match budget.stopped() {
        Some(why) => Err(IntelError::Refused { path: path.to_owned(), reason: why.reason() }),
        None => read,
    }
}

fn read_stream(path: &Path, mut input: impl Read) -> Result<Result<ReadFeed, String>, IntelError> {
    let open = |source| IntelError::Open { path: path.to_owned(), source };
    let prefix = read_prefix(&mut input).map_err(open)?;
    let format = match detect_intel(&prefix) {
        Ok(format) => format,
        Err(reason) => return Ok(Err(reason)),
    };
    let body = Cursor::new(prefix.get(bom_len(&prefix)..).unwrap_or_default()).chain(input);
    let mut items = match format.feed() {
        Feed::Kev => Items::Kev(Vec::new()),
        Feed::Epss => Items::Epss(Vec::new()),
        _ => Items::Records(Vec::new()),
    };
    let mut cut = 0;
    let summary = parse_intel(format, BufReader::new(body), &mut |item| {
        match (&mut items, item) {
            (Items::Kev(entries), IntelItem::Kev(entry)) => entries.push(entry),
            (Items::Epss(scores), IntelItem::Epss(score)) => scores.push(score),
            (Items::Records(records), IntelItem::Record(mut record)) => {
                cut += u64::from(record.keep_within_limits());
                records.push(*record);
            }
            _ => {}
        }
        Ok(())
    })
    .map_err(|source| IntelError::Parse { path: path.to_owned(), format, source })?;
    Ok(Ok(ReadFeed { path: path.to_owned(), format, edition: summary.edition, items, cut }))
}

/// A zip of OSV records (an OSV database's `all.zip`): one import of every record in it.
/// Members are streamed to the parser, all of them within one budget.
fn read_zip(path: &Path, file: File) -> Result<Result<ReadFeed, String>, IntelError> {
    let invalid = |reason: String| IntelError::NotAFeed { path: path.to_owned(), reason };
    let packed = file.metadata().map_err(|source| IntelError::Open { path: path.to_owned(), source })?.len();
    let budget = Budget::new(packed, UnpackLimits::FEEDS);
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| invalid(format!("not a readable zip: {e}")))?;
    let mut records = Vec::new();
    let mut format = None;
    let mut cut = 0;
    for index in 0..archive.len() {
        let member = archive.by_index(index).map_err(|e| invalid(format!("member {index}: {e}")))?;
        if member.is_dir() {
            continue;
        }
        let member_name = member.name().map_err(|e| invalid(format!("member {index}: {e}")))?.into_owned();
        let name = path.join(&member_name);
        let feed = match within(path, &budget, read_stream(&name, budget.reader(member)))? {
            Ok(feed) => feed,
            Err(_) => continue,
        };
        match feed.items {
            Items::Records(found) => {
                format = Some(feed.format);
                cut += feed.cut;
                records.extend(found);
            }
            _ => {
                return Ok(Err(format!(
                    "{} is a {} catalogue: a zip is read as a folder of OSV or CVE records",
                    member_name, feed.format
                )));
            }
        }
    }
    match format {
        Some(format) => {
            let items = Items::Records(records);
            Ok(Ok(ReadFeed { path: path.to_owned(), format, edition: None, items, cut }))
        }
        None => Ok(Err("a zip without feed records in it".to_owned())),
    }
}

/// A date written in a file or folder name (`2026-01-30` or `2026.01.30`), if any.
fn date_in_name(path: &Path) -> Option<time::Date> {
    let text = path.to_string_lossy();
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(9)).rev().find_map(|start| {
        let candidate = text.get(start..start + 10)?.replace('.', "-");
        let shaped = candidate
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shaped {
            return None;
        }
        time::Date::parse(&candidate, time::macros::format_description!("[year]-[month]-[day]")).ok()
    })
}

async fn store_feed(
    store: &Store,
    feed: ReadFeed,
    options: IntelOptions,
    now: OffsetDateTime,
) -> Result<IntelReport, IntelError> {
    let refuse = |reason: String| IntelError::Refused { path: feed.path.clone(), reason };
    let failed = |source| IntelError::Store { path: feed.path.clone(), source };
    let file = feed.path.display().to_string();
    let import = IntelImport {
        feed: feed.format.feed(),
        format: feed.format.name(),
        file: &file,
        edition: feed.edition.as_ref().map(|e| (e.version.as_str(), e.date)),
        imported_at: now,
        items: feed.items.len() as u64,
    };
    let report = |counts| IntelReport {
        path: feed.path.clone(),
        format: feed.format,
        edition: feed.edition.clone(),
        items: feed.items.len() as u64,
        counts,
        cut: feed.cut,
    };
    if feed.format.feed().is_catalogue() {
        let edition =
            feed.edition.as_ref().ok_or_else(|| refuse("a catalogue without an edition".to_owned()))?;
        let named = date_in_name(&feed.path).filter(|_| feed.format == IntelFormat::Epss);
        if let Some(named) = named.filter(|named| *named != edition.date) {
            return Err(refuse(format!(
                "the file's name says {named} but its scores are for {}: the wrong day's file",
                edition.date
            )));
        }
        let stored = store.latest_edition(feed.format.feed()).await.map_err(failed)?;
        if let Some(stored) = &stored {
            let stored_date = stored.edition_date;
            let same = stored.edition_version.as_deref() == Some(edition.version.as_str())
                && stored_date == Some(edition.date);
            if same {
                return Ok(report(None));
            }
            if stored_date.is_some_and(|date| date > edition.date) && !options.allow_older {
                return Err(refuse(format!(
                    "this is the {} edition of {}, older than the stored {} of {} (use --allow-older to go back on \
                     purpose)",
                    edition.version,
                    edition.date,
                    stored.edition_version.as_deref().unwrap_or("?"),
                    stored_date.map(|d| d.to_string()).unwrap_or_default(),
                )));
            }
            let minimum = (stored.items as f64 * SHRINK_LIMIT) as usize;
            if feed.items.len() < minimum {
                return Err(refuse(format!(
                    "it lists {} entries where the stored edition has {}: a cut or filtered file would hide what \
                     is known",
                    feed.items.len(),
                    stored.items
                )));
            }
        }
    }
    let counts = match &feed.items {
        Items::Kev(entries) => store.replace_kev(&import, entries).await,
        Items::Epss(scores) => store.replace_epss(&import, scores).await,
        Items::Records(records) => store.add_vuln_records(&import, records).await,
    }
    .map_err(failed)?;
    Ok(report(Some(counts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_names() {
        let date = |path: &str| date_in_name(Path::new(path)).map(|d| d.to_string());
        assert_eq!(date("feeds/epss/2026-01-30/epss_scores.csv.gz").as_deref(), Some("2026-01-30"));
        assert_eq!(date("epss_scores-2026-02-01.csv.gz").as_deref(), Some("2026-02-01"));
        assert_eq!(date("kev/2026.01.29/cisa_kev.json").as_deref(), Some("2026-01-29"));
        assert_eq!(date("epss_scores-current.csv.gz"), None);
    }
}
