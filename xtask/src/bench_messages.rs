//! The messages benchmark: a generated estate of 200 hosts, one per team of 50 people (a manager
//! and 49 engineers), planned with the release binary; then an emergency declared on one action
//! of every team, composed into a message for each of the 10,000 people, and delivered to a
//! local SMTP server (aiosmtpd from PyPI, discarding what it receives). Prints the times, the
//! messages a second and the peak memory.

use std::fmt::Write as _;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use clap::Args;

use crate::bench::{fresh_postgres, measure, release_binary, remove_sqlite, row, workspace_root};

#[derive(Debug, Args)]
pub struct BenchMessagesArgs {
    #[arg(long, default_value_t = 200)]
    teams: u64,
    /// People in each team: one manager, the rest engineers.
    #[arg(long, default_value_t = 50)]
    people_per_team: u64,
    /// Admin URL of a PostgreSQL server; without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
    /// A Python with aiosmtpd (scripts/test installs one); without it delivery is not measured.
    #[arg(long, env = "RAPPORT_AIOSMTPD_PYTHON")]
    smtp_python: Option<String>,
}

/// Host `n` (10.0.x.y in the generated scan's order) is team `n % teams`'s.
fn ownership(teams: u64) -> String {
    let mut text = String::new();
    for host in 0..teams {
        let _ = writeln!(
            text,
            "[[rule]]\nname = \"host {host}\"\nteam = \"Team {host:03}\"\nexposure = \"internet\"\ncriticality = \"high\"\nmatch.ip = \"10.{}.{}.{}/32\"\n",
            host / 65536 % 256,
            host / 256 % 256,
            host % 256
        );
    }
    text
}

fn directory(teams: u64, per_team: u64) -> String {
    let mut people = String::from("name,email,team,audience,time zone\n");
    for team in 0..teams {
        for person in 0..per_team {
            let audience = if person == 0 { "manager" } else { "engineer" };
            let _ = writeln!(
                people,
                "Person {team}-{person},p{team}.{person}@example.com,Team {team:03},{audience},UTC"
            );
        }
    }
    people.push_str("Sec,sec@example.com,Security,engineer,UTC\n");
    people
}

pub fn run(args: &BenchMessagesArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    let scan = crate::generate::host_scan(&folder, args.teams * 50)?;
    let owners = folder.join("ownership-messages.toml");
    std::fs::write(&owners, ownership(args.teams))?;
    let people = folder.join("people-messages.csv");
    std::fs::write(&people, directory(args.teams, args.people_per_team))?;
    let path = |p: &std::path::Path| p.display().to_string();

    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-messages.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_messages")?));
    }
    for (backend, url) in &backends {
        if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-messages.db");
        }
        let run = |args: &[&str]| measure(&binary, url, args);
        run(&["people", "import", &path(&people)])?;
        run(&["owners", "apply", &path(&owners)])?;
        run(&["import", &path(&scan)])?;
        row("compose: the plan's new work (setup)", backend, &run(&["messages", "compose"])?);
        // One emergency on the first action of each team.
        let actions = run(&["actions", "--json", "--state", "open", "--limit", "1000000"])?;
        let mut first_of_team = std::collections::BTreeMap::new();
        for line in actions.summary.lines() {
            let action: serde_json::Value = serde_json::from_str(line)?;
            let team = action
                .get("action")
                .and_then(|action| action.get("team"))
                .and_then(serde_json::Value::as_str);
            let id = action.get("id").and_then(serde_json::Value::as_i64);
            let (Some(team), Some(id)) = (team, id) else { continue };
            first_of_team.entry(team.to_owned()).or_insert(id);
        }
        for id in first_of_team.values() {
            let reason = "Attackers are using this flaw this week.";
            run(&["emergency", "declare", &id.to_string(), "--by", "sec@example.com", "--reason", reason])?;
        }
        let composed = run(&["messages", "compose"])?;
        row(&format!("compose: {} emergencies to their teams", first_of_team.len()), backend, &composed);
        let queued =
            run(&["outbox", "--json", "--state", "queued", "--limit", "1000000"])?.summary.lines().count();
        println!(
            "{:<44} {backend:<9} {:>8.0} messages a second",
            "compose and queue",
            queued as f64 / composed.seconds
        );
        let Some(python) = &args.smtp_python else {
            println!("delivery not measured: give --smtp-python (a Python with aiosmtpd)");
            continue;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut server = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Sink",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting aiosmtpd")?;
        let listening = (0..100).any(|_| {
            let up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if !up {
                #[allow(clippy::disallowed_methods, reason = "waiting for aiosmtpd to listen")]
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            up
        });
        if !listening {
            let _ = server.kill();
            bail!("aiosmtpd did not listen on 127.0.0.1:{port}");
        }
        let settings = folder.join("bench-messages.toml");
        std::fs::write(
            &settings,
            format!(
                "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"Security <security@example.com>\"\n"
            ),
        )?;
        let delivered = run(&["outbox", "deliver", "--config", &path(&settings)]);
        let _ = server.kill();
        let _ = server.wait();
        let delivered = delivered?;
        row(&format!("deliver {queued} emails to local SMTP"), backend, &delivered);
        println!("{:<44} {backend:<9} {:>8.0} emails a second", "deliver", queued as f64 / delivered.seconds);
    }
    Ok(())
}
