//! The campaigns benchmark: a generated estate of 50,000 Fleet hosts used by 20,000 people
//! (macOS hosts a version behind, some disks unencrypted, restarts days to weeks ago), then
//! the campaigns scheduled with the release binary: a first run (everyone with a gap joins,
//! the first nudges go), a run an hour later (nothing new is due), and one three days later
//! (the next nudges); the same three runs again on a fresh database with only the heaviest
//! campaign on (every host lacks a password manager). Then follow-through over the same estate: a vendor feed served on
//! loopback names a release of a package many hosts run, and fetching it drafts the release for
//! whom it concerns, previewing the draft finds them again, and a second fetch is answered
//! "not modified". Prints each run's time and peak memory.

use std::path::Path;

use clap::Args;

use crate::bench::{fresh_postgres, measure, release_binary, remove_sqlite, row, workspace_root};
use crate::bench_estate::write_file;
use crate::estate;
use rapport_formats::DEFAULT_CAMPAIGNS;

#[derive(Debug, Args)]
pub struct BenchCampaignsArgs {
    #[arg(long, default_value_t = 50_000)]
    hosts: u64,
    /// People of each squad of about 250 hosts: 100 makes 20,000 people for 50,000 hosts.
    #[arg(long, default_value_t = 100)]
    users_per_squad: u64,
    /// Admin URL of a PostgreSQL server; without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

/// The generated hosts reported on 20 November; the runs are days after.
const RUNS: [(&str, &str); 3] = [
    ("first run", "2026-11-25T09:00:00Z"),
    ("an hour later", "2026-11-25T10:00:00Z"),
    ("three days later", "2026-11-28T09:00:00Z"),
];

pub fn run(args: &BenchCampaignsArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    let inventory = folder.join(format!("fleet-campaigns-{}x{}.json", args.hosts, args.users_per_squad));
    write_file(&inventory, |out| {
        estate::fleet_hosts(out, 5, args.hosts, PACKAGES_PER_HOST, args.users_per_squad)
    })?;
    let feed = serve_release_feed()?;
    let settings = folder.join("follow-through-bench.toml");
    std::fs::write(
        &settings,
        format!(
            "[[feed]]\nurl = \"{feed}\"\nname = \"Bench releases\"\nproduct = \"{RELEASED}\"\n\
             category = \"bench\"\nsoftware = [\"{RELEASED}\"]\n"
        ),
    )?;
    let people = folder.join(format!("people-campaigns-{}x{}.csv", args.hosts, args.users_per_squad));
    write_file(&people, |out| estate::people_csv(out, args.hosts, args.users_per_squad))?;
    let path = |p: &Path| p.display().to_string();

    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-campaigns.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_campaigns")?));
    }
    println!("{} hosts, {} people", args.hosts, estate::squads(args.hosts) * args.users_per_squad);
    for (backend, url) in &backends {
        let run = |url: &str, args: &[&str]| measure(&binary, url, args);
        let estate = |url: &str| -> anyhow::Result<()> {
            run(url, &["people", "import", &path(&people)])?;
            run(url, &["inventory", "import", "--no-plan", &path(&inventory)])?;
            Ok(())
        };
        let schedule = |url: &str, label: &str| -> anyhow::Result<()> {
            for (what, at) in RUNS {
                let took = run(url, &["campaign", "schedule", "--at", at])?;
                let said = took.summary.lines().last().unwrap_or_default().to_owned();
                row(&format!("{label}{what}"), backend, &crate::bench::Measure { summary: said, ..took });
            }
            Ok(())
        };
        // One campaign alone, on a database of its own.
        let alone = if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-campaigns-one.db");
            format!("sqlite://{}/bench-campaigns-one.db", folder.display())
        } else {
            fresh_postgres(args.postgres.as_deref().unwrap_or_default(), "bench_campaigns_one")?
        };
        for (name, _) in DEFAULT_CAMPAIGNS.iter().filter(|(name, _)| *name != HEAVIEST) {
            run(&alone, &["campaign", "off", name])?;
        }
        estate(&alone)?;
        schedule(&alone, &format!("{HEAVIEST} alone: "))?;

        if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-campaigns.db");
        }
        estate(url)?;
        schedule(url, &format!("all {} campaigns: ", DEFAULT_CAMPAIGNS.len()))?;
        run(url, &["follow-through", "apply", &path(&settings)])?;
        for what in ["follow-through: fetch, match, draft", "follow-through: fetch, not modified"] {
            row(what, backend, &run(url, &["follow-through", "fetch"])?);
        }
        let preview = run(url, &["follow-through", "preview", "1"])?;
        let reach =
            preview.summary.lines().find(|line| line.starts_with("Who would get it")).unwrap_or_default();
        row(
            "follow-through: preview, who gets it",
            backend,
            &crate::bench::Measure { summary: reach.to_owned(), ..preview },
        );
    }
    Ok(())
}

/// Packages each generated host lists, so follow-through has software to match.
const PACKAGES_PER_HOST: u64 = 30;

/// The campaign whose gap the most generated people show: no host lists a password manager.
const HEAVIEST: &str = "password-manager";

/// A package of the generated catalogue that many squads' base images have.
const RELEASED: &str = "pkg-042";

/// Serves one release feed on loopback, with an `ETag` and 304 to a request that sends it
/// back; returns its URL. The thread lives as long as the benchmark.
fn serve_release_feed() -> anyhow::Result<String> {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/releases.atom", listener.local_addr()?);
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>Bench releases</title><id>urn:bench</id><updated>2026-11-24T10:00:00Z</updated>\
         <entry><id>urn:bench:9</id><title>{RELEASED} 9.0.0 released</title>\
         <updated>2026-11-24T10:00:00Z</updated><summary>Security fixes.</summary></entry></feed>"
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut conditional = false;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                conditional |= line.to_ascii_lowercase().starts_with("if-none-match: \"bench-1\"");
                line.clear();
            }
            let answer = if conditional {
                "HTTP/1.1 304 Not Modified\r\nETag: \"bench-1\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\nETag: \"bench-1\"\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = (&stream).write_all(answer.as_bytes());
        }
    });
    Ok(url)
}
