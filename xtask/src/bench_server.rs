//! The server's benchmark: a partner's plan page under load. It serves the databases
//! `bench-plan` leaves (a million findings, 200 teams), signs a team manager's API token into
//! every request, and loads `/teams/NAME` over loopback with wrk (Debian's package) at a fixed
//! number of connections. Prints wrk's throughput and latency percentiles per back end.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use clap::Args;

use crate::bench::{release_binary, workspace_root};

#[derive(Debug, Args)]
pub struct BenchServerArgs {
    /// The team whose plan page is loaded.
    #[arg(long, default_value = "Team 057")]
    team: String,
    /// How long to load, after a 5-second warm-up.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    /// Connections held open by wrk, each sending its next request when the last is answered.
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Admin URL of the PostgreSQL server `bench-plan` used; without it only SQLite is loaded.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

/// `rapport serve` on a free loopback port, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn serve(binary: &std::path::Path, url: &str) -> anyhow::Result<Server> {
    let mut child = Command::new(binary)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RAPPORT_DATABASE_URL", url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .with_context(|| format!("no address in {line:?}"))?;
    Ok(Server { base: format!("http://{address}"), child })
}

fn rapport(binary: &std::path::Path, url: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(binary).args(args).env("RAPPORT_DATABASE_URL", url).output()?;
    if !output.status.success() {
        bail!("rapport {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// A team manager's read token for `team`, made for this run.
fn manager_token(binary: &std::path::Path, url: &str, team: &str) -> anyhow::Result<String> {
    let email = format!("bench-{}@example.com", team.to_lowercase().replace(' ', "-"));
    if !rapport(binary, url, &["account", "list"])?.contains(&email) {
        rapport(
            binary,
            url,
            &[
                "account",
                "add",
                "--email",
                &email,
                "--name",
                "Bench",
                "--role",
                "team_manager",
                "--team",
                team,
            ],
        )?;
    }
    let out = rapport(binary, url, &["account", "token", "--email", &email, "--name", "bench-server"])?;
    out.trim().rsplit(' ').next().map(str::to_owned).context("no token printed")
}

fn wrk(seconds: u32, connections: u32, token: &str, target: &str) -> anyhow::Result<String> {
    let output = Command::new("wrk")
        .args(["--latency", "-t", "2", "-c", &connections.to_string(), "-d", &format!("{seconds}s")])
        .args(["-H", &format!("Authorization: Bearer {token}"), target])
        .output()
        .context("running wrk (install it with `apt-get install wrk`)")?;
    if !output.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?)
}

pub fn run(args: &BenchServerArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let sqlite = root.join("target/bench/bench-plan.db");
    if !sqlite.exists() {
        bail!("{} is missing: run `cargo xtask bench-plan` first, which builds the estate", sqlite.display());
    }
    let mut backends = vec![("sqlite", format!("sqlite://{}", sqlite.display()))];
    if let Some(admin) = &args.postgres {
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        backends.push(("postgres", format!("{base}/bench_plan")));
    }
    let path: String = form_path(&args.team);
    for (backend, url) in &backends {
        let token = manager_token(&binary, url, &args.team)?;
        let server = serve(&binary, url)?;
        let target = format!("{}/teams/{path}", server.base);
        let check = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-H"])
            .arg(format!("Authorization: Bearer {token}"))
            .arg(&target)
            .output()?;
        let status = String::from_utf8_lossy(&check.stdout).into_owned();
        if !status.starts_with("200") {
            bail!("{target} answered {status}");
        }
        println!("{backend}: GET /teams/{path} as {}'s manager answers {status} bytes", args.team);
        wrk(5, args.connections, &token, &target)?;
        let report = wrk(args.seconds, args.connections, &token, &target)?;
        for line in report.lines().filter(|line| {
            let line = line.trim_start();
            ["Latency ", "50%", "90%", "99%", "Requests/sec", "Non-2xx", "Socket errors"]
                .iter()
                .any(|p| line.starts_with(p))
                || line.contains("requests in")
        }) {
            println!("  {}", line.trim());
        }
        drop(server);
    }
    Ok(())
}

/// A team name as a path segment.
fn form_path(team: &str) -> String {
    team.replace('%', "%25").replace(' ', "%20").replace('/', "%2F")
}
