//! Fetching feeds from their publishers with conditional requests: the `ETag` and
//! `Last-Modified` the server gave last time are sent back, and an unchanged feed (304) is
//! neither downloaded nor imported again. A downloaded file goes through the same import,
//! with the same checks, as a file given by hand; the validators are kept only once it is
//! stored, so a refused download is fetched again next time.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use rapport_storage::{FeedValidators, Store, StoreError};
use reqwest::StatusCode;
use reqwest::header::{ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use time::OffsetDateTime;

use crate::intel::{IntelError, IntelOptions, IntelReport, Skipped, import_intel};
use crate::unpack::UnpackLimits;

/// CISA's catalogue, as CISA publishes it.
pub const KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// FIRST's current EPSS scores (served by Empirical Security for FIRST since 2025).
pub const EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

/// A feed larger than this is not a feed: the download stops before it fills the disk.
const MAX_DOWNLOAD_BYTES: u64 = UnpackLimits::FEEDS.max_bytes;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: cannot fetch: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("{url}: the server answered {status}")]
    Status { url: String, status: StatusCode },
    #[error("{url}: the download passed {limit} GiB, more than any feed Rapport reads; nothing was stored")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: cannot keep the download: {source}")]
    Save { url: String, source: std::io::Error },
    #[error("{url}: {source}")]
    Import { url: String, source: IntelError },
    #[error("{url}: {source}")]
    Store { url: String, source: StoreError },
}

/// What fetching one URL did.
#[derive(Debug)]
pub enum Fetched {
    /// The server said the feed has not changed since the last fetch.
    NotModified,
    Imported {
        reports: Vec<IntelReport>,
        skipped: Vec<Skipped>,
    },
}

/// Makes ring the process's TLS crypto provider, once; every HTTPS client needs one.
pub fn use_ring_for_tls() {
    // Err only means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client for feeds: rustls, timeouts, and Rapport's name.
pub fn feed_client() -> Result<reqwest::Client, reqwest::Error> {
    use_ring_for_tls();
    reqwest::Client::builder()
        .user_agent(concat!("rapport/", env!("CARGO_PKG_VERSION"), " (+feed fetcher)"))
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(300))
        .build()
}

/// Fetches `url` unless unchanged, and imports what it gives.
pub async fn fetch_feed(
    store: &Store,
    client: &reqwest::Client,
    url: &str,
    options: IntelOptions,
    now: OffsetDateTime,
) -> Result<Fetched, FetchError> {
    let http = |source| FetchError::Http { url: url.to_owned(), source };
    let stored = |source| FetchError::Store { url: url.to_owned(), source };
    let known = store.feed_validators(url).await.map_err(stored)?;
    let mut response = conditional_get(client, url, &known).await.map_err(http)?;
    if response.status() == StatusCode::NOT_MODIFIED {
        store.record_feed_check(url, None, now).await.map_err(stored)?;
        return Ok(Fetched::NotModified);
    }
    if !response.status().is_success() {
        return Err(FetchError::Status { url: url.to_owned(), status: response.status() });
    }
    let validators = validators(response.headers());
    // The file keeps the URL's name: the import tells formats by content, but an EPSS
    // file's name may carry its day, which the import checks.
    let name = file_name(url);
    let folder = tempfile::tempdir().map_err(|source| FetchError::Save { url: url.to_owned(), source })?;
    let path = folder.path().join(&name);
    let save = |source| FetchError::Save { url: url.to_owned(), source };
    let mut file = std::fs::File::create(&path).map_err(save)?;
    let mut downloaded = 0u64;
    while let Some(chunk) = response.chunk().await.map_err(http)? {
        downloaded += chunk.len() as u64;
        if downloaded > MAX_DOWNLOAD_BYTES {
            return Err(FetchError::TooLarge { url: url.to_owned(), limit: MAX_DOWNLOAD_BYTES >> 30 });
        }
        file.write_all(&chunk).map_err(save)?;
    }
    file.flush().map_err(save)?;
    drop(file);
    let (reports, skipped) = import_intel(store, Path::new(&path), options, now)
        .await
        .map_err(|source| FetchError::Import { url: url.to_owned(), source })?;
    store.record_feed_check(url, Some(&validators), now).await.map_err(stored)?;
    Ok(Fetched::Imported { reports, skipped })
}

/// Asks for `url` unless it is unchanged since the server gave `known` (which answers 304).
pub(crate) async fn conditional_get(
    client: &reqwest::Client,
    url: &str,
    known: &FeedValidators,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut request = client.get(url);
    if let Some(etag) = &known.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(modified) = &known.last_modified {
        request = request.header(IF_MODIFIED_SINCE, modified);
    }
    request.send().await
}

pub(crate) fn validators(headers: &HeaderMap) -> FeedValidators {
    let text = |name| headers.get(name).and_then(|value: &reqwest::header::HeaderValue| value.to_str().ok());
    FeedValidators {
        etag: text(ETAG).map(str::to_owned),
        last_modified: text(LAST_MODIFIED).map(str::to_owned),
    }
}

/// The last segment of the URL's path, without its query; `feed` when there is none.
fn file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or("");
    let safe: String =
        last.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    if safe.is_empty() || safe.starts_with('.') { "feed".to_owned() } else { safe }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_url() {
        assert_eq!(file_name(EPSS_URL), "epss_scores-current.csv.gz");
        assert_eq!(
            file_name("https://example.com/epss_scores-2026-01-30.csv.gz?x=1"),
            "epss_scores-2026-01-30.csv.gz"
        );
        assert_eq!(file_name("https://example.com/"), "feed");
        assert_eq!(file_name("https://example.com/../..%2f"), "feed");
    }
}
