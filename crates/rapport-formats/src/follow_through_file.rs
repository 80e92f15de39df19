//! Follow-through: the security team's settings file (TOML), which names the vendor release
//! feeds to read (`[[feed]]`) and the categories whose drafts go without review
//! (`automatic`), and the feeds themselves (RSS, Atom or JSON Feed, read by `feed-rs`).

use std::io::Read;

use rapport_core::{FollowThroughSettings, Release, VendorFeed};
use serde::Deserialize;
use time::OffsetDateTime;
use toml::Spanned;

use crate::ownership_file::line_column;
use crate::{ParseError, Position};

/// A feed larger than this is not a release feed.
pub const MAX_RELEASE_FEED_BYTES: u64 = 16 << 20;

/// A summary is kept to this many characters: enough for its version and a sentence.
const SUMMARY_CHARS: usize = 2_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    #[serde(default)]
    automatic: Vec<Spanned<String>>,
    #[serde(default)]
    feed: Vec<Spanned<FeedFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedFile {
    url: Spanned<String>,
    name: String,
    product: String,
    category: Spanned<String>,
    software: Spanned<Vec<String>>,
    #[serde(default)]
    only: Vec<String>,
}

/// Reads and checks the settings file; a mistake is refused with its line.
pub fn parse_follow_through(text: &str) -> Result<FollowThroughSettings, ParseError> {
    let file: SettingsFile = toml::from_str(text).map_err(|error| {
        let position = error.span().map_or(Position::Start, |span| line_column(text, span.start));
        ParseError::invalid(position, error.message().trim().to_owned())
    })?;
    let at = |span: std::ops::Range<usize>, message: String| {
        ParseError::invalid(line_column(text, span.start), message)
    };
    let mut feeds: Vec<VendorFeed> = Vec::new();
    for spanned in &file.feed {
        let feed = spanned.get_ref();
        let url = feed.url.get_ref().trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(at(
                feed.url.span(),
                format!("url: expected an http:// or https:// address, got {url:?}"),
            ));
        }
        if feeds.iter().any(|known| known.url == url) {
            return Err(at(feed.url.span(), format!("url: {url} is named twice")));
        }
        check_category(feed.category.get_ref()).map_err(|message| at(feed.category.span(), message))?;
        let software: Vec<String> = feed
            .software
            .get_ref()
            .iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect();
        if software.is_empty() {
            return Err(at(
                feed.software.span(),
                "software: expected the names inventories give the software, like [\"Google Chrome.app\"]"
                    .to_owned(),
            ));
        }
        if feed.name.trim().is_empty() || feed.product.trim().is_empty() {
            return Err(at(
                spanned.span(),
                "name and product: expected words people read, not empty".to_owned(),
            ));
        }
        feeds.push(VendorFeed {
            url: url.to_owned(),
            name: feed.name.trim().to_owned(),
            product: feed.product.trim().to_owned(),
            category: feed.category.get_ref().clone(),
            software,
            only: feed.only.clone(),
        });
    }
    let mut automatic = Vec::new();
    for category in &file.automatic {
        check_category(category.get_ref()).map_err(|message| at(category.span(), message))?;
        automatic.push(category.get_ref().clone());
    }
    Ok(FollowThroughSettings { automatic, feeds })
}

fn check_category(word: &str) -> Result<(), String> {
    let sound =
        !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if sound {
        Ok(())
    } else {
        Err(format!("category: expected a word of a-z, 0-9 and -, like browser, got {word:?}"))
    }
}

/// The entries of a vendor's feed, newest first as the feed gives them.
pub fn parse_release_feed(reader: impl Read) -> Result<Vec<Release>, ParseError> {
    let mut limited = reader.take(MAX_RELEASE_FEED_BYTES + 1);
    let mut bytes = Vec::new();
    limited.read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_RELEASE_FEED_BYTES {
        return Err(ParseError::invalid(
            Position::ByteOffset(MAX_RELEASE_FEED_BYTES),
            format!("expected a release feed of at most {} MiB", MAX_RELEASE_FEED_BYTES >> 20),
        ));
    }
    let feed = feed_rs::parser::parse(bytes.as_slice()).map_err(|error| {
        ParseError::invalid(Position::Start, format!("expected an RSS, Atom or JSON feed: {error}"))
    })?;
    Ok(feed
        .entries
        .into_iter()
        .map(|entry| {
            let text = entry
                .summary
                .map(|summary| summary.content)
                .or_else(|| entry.content.and_then(|content| content.body))
                .unwrap_or_default();
            Release {
                id: entry.id,
                title: entry.title.map(|title| plain(&title.content)).unwrap_or_default(),
                summary: plain(&text).chars().take(SUMMARY_CHARS).collect(),
                link: entry.links.into_iter().next().map(|link| link.href),
                published: entry
                    .published
                    .or(entry.updated)
                    .and_then(|at| OffsetDateTime::from_unix_timestamp(at.timestamp()).ok()),
            }
        })
        .collect())
}

/// Text without its markup, its whitespace run together: vendors write HTML in summaries.
fn plain(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: &str = r#"
automatic = ["browser"]

[[feed]]
url = "https://chromereleases.googleblog.com/feeds/posts/default"
name = "Chrome Releases"
product = "Google Chrome"
category = "browser"
software = ["Google Chrome", "Google Chrome.app"]
only = ["Stable Channel Update for Desktop"]
"#;

    #[test]
    fn settings_name_feeds_and_automatic_categories() {
        let settings = parse_follow_through(SETTINGS).unwrap();
        assert!(settings.is_automatic("browser"));
        assert_eq!(settings.feeds.len(), 1);
        assert_eq!(settings.feeds[0].software, ["Google Chrome", "Google Chrome.app"]);
    }

    #[test]
    fn mistakes_are_refused_with_their_line() {
        let wrong =
            SETTINGS.replace("software = [\"Google Chrome\", \"Google Chrome.app\"]", "software = []");
        let error = parse_follow_through(&wrong).unwrap_err().to_string();
        assert!(error.starts_with("at line 9,") && error.contains("software"), "{error}");
        let wrong = SETTINGS.replace("url = \"https:", "url = \"ftp:");
        let error = parse_follow_through(&wrong).unwrap_err().to_string();
        assert!(error.contains("line 5") && error.contains("http"), "{error}");
        let wrong = SETTINGS.replace("category = \"browser\"", "category = \"Web Browser\"");
        assert!(parse_follow_through(&wrong).unwrap_err().to_string().contains("line 8"));
        let wrong = format!("{SETTINGS}colour = \"red\"\n");
        assert!(parse_follow_through(&wrong).unwrap_err().to_string().contains("colour"));
    }

    #[test]
    fn an_atom_feed_gives_its_entries_as_plain_text() {
        let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Chrome Releases</title><id>urn:feed</id><updated>2026-12-01T10:00:00Z</updated>
  <entry>
    <id>urn:entry:1</id><title>Stable Channel Update for Desktop</title>
    <updated>2026-12-01T10:00:00Z</updated>
    <link href="https://vendor.example/stable-update"/>
    <content type="html">&lt;p&gt;The Stable channel has been updated to &lt;b&gt;131.0.6778.108&lt;/b&gt; for Mac.&lt;/p&gt;</content>
  </entry>
</feed>"#;
        let releases = parse_release_feed(atom.as_bytes()).unwrap();
        assert_eq!(releases.len(), 1);
        assert_eq!(releases[0].summary, "The Stable channel has been updated to 131.0.6778.108 for Mac.");
        assert_eq!(releases[0].link.as_deref(), Some("https://vendor.example/stable-update"));
        assert!(releases[0].published.is_some());
        let error = parse_release_feed("<html>not a feed".as_bytes()).unwrap_err().to_string();
        assert!(error.contains("expected an RSS, Atom or JSON feed"), "{error}");
    }
}
