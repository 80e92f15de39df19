//! A synthetic estate for the inventory and ownership benchmarks: Fleet host lists with
//! software, people, and an ownership file of many rules, all from one seed. Hosts belong to
//! squads; a squad's hosts share names, address blocks, labels and most of their software,
//! as machines built from the same images do.

use std::io::Write;

use crate::generate::Random;

const ROLES: [&str; 8] = ["web", "api", "db", "cache", "batch", "mail", "ci", "laptop"];
const PLATFORMS: [(&str, &str, &str, &str); 4] = [
    ("ubuntu", "Ubuntu 22.04.4 LTS", "", "deb_packages"),
    ("rhel", "Red Hat Enterprise Linux 9.3", "", "rpm_packages"),
    ("darwin", "macOS 14.4.1", "23E224", "apps"),
    ("windows", "Microsoft Windows 11 Pro 23H2", "22631.3447", "programs"),
];

/// How many squads an estate of `hosts` hosts has: about 250 hosts each.
pub fn squads(hosts: u64) -> u64 {
    (hosts / 250).max(4)
}

/// A package from the estate's catalogue (600 names, a few versions each).
fn package(random: &mut Random, squad: u64) -> (String, String) {
    // Most packages come from the squad's base image, some are anyone's.
    let shared = random.below(10) < 7;
    let name_index = if shared { (squad * 37 + random.below(150)) % 600 } else { random.below(600) };
    let version = random.below(4);
    (format!("pkg-{name_index:03}"), format!("{}.{}.{}", 1 + name_index % 7, version, name_index % 13))
}

/// Writes `{"hosts": [...]}` as `GET /api/v1/fleet/hosts?populate_software=true` returns it,
/// each host used by one of its squad's `users_per_squad` people.
pub fn fleet_hosts(
    out: &mut impl Write,
    seed: u64,
    hosts: u64,
    packages_per_host: u64,
    users_per_squad: u64,
) -> std::io::Result<()> {
    let mut random = Random(seed);
    let squads = squads(hosts);
    out.write_all(b"{\"hosts\": [\n")?;
    for index in 0..hosts {
        let squad = random.below(squads);
        let role = ROLES.get((index % ROLES.len() as u64) as usize).copied().unwrap_or("web");
        let (platform, os, build, source) = PLATFORMS
            .get(random.below(PLATFORMS.len() as u64) as usize)
            .copied()
            .unwrap_or(("ubuntu", "Ubuntu 22.04.4 LTS", "", "deb_packages"));
        let hostname = format!("{role}-{index:06}.squad{squad:03}.example.com");
        let ip = format!("10.{}.{}.{}", squad / 250, squad % 250, 1 + index % 250);
        let mut software = Vec::with_capacity(packages_per_host as usize);
        for _ in 0..packages_per_host {
            let (name, version) = package(&mut random, squad);
            software.push(serde_json::json!({"name": name, "version": version, "source": source}));
        }
        let failing: Vec<_> = (random.below(5) == 0)
            .then(|| serde_json::json!({"id": 1, "name": "Disk encryption enabled", "response": "fail"}))
            .into_iter()
            .collect();
        let host = serde_json::json!({
            "id": index + 1,
            "uuid": format!("{:08x}-0000-4000-8000-{:012x}", seed as u32, index),
            "hostname": hostname,
            "platform": platform,
            "os_version": os,
            "build": build,
            "primary_ip": ip,
            "seen_time": "2026-11-20T08:00:00Z",
            "last_restarted_at": format!("2026-11-{:02}T03:00:00Z", 1 + random.below(19)),
            "disk_encryption_enabled": random.below(10) != 0,
            "team_name": format!("Squad {squad}"),
            "labels": [{"name": format!("squad-{squad}")}, {"name": role}],
            "end_users": [{"idp_username": format!("user{}@squad{squad}.example.com", index % users_per_squad)}],
            "policies": failing,
            "software": software,
        });
        if index > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &host)?;
    }
    out.write_all(b"\n]}\n")?;
    Ok(())
}

/// The people of the estate: `users_per_squad` of each squad, in their squad's team.
pub fn people_csv(out: &mut impl Write, hosts: u64, users_per_squad: u64) -> std::io::Result<()> {
    writeln!(out, "name,email,team,audience,time zone")?;
    for squad in 0..squads(hosts) {
        for user in 0..users_per_squad {
            writeln!(
                out,
                "User {user} of squad {squad},user{user}@squad{squad}.example.com,Squad {squad},engineer,Europe/Paris"
            )?;
        }
    }
    Ok(())
}

/// `rules` ownership rules over the estate's names, addresses, labels, images and
/// repositories, and a last one that only sets a default criticality: what no rule gives an
/// owner stays unowned, as in a real estate.
pub fn ownership_toml(out: &mut impl Write, seed: u64, hosts: u64, rules: u64) -> std::io::Result<()> {
    let mut random = Random(seed ^ 0x5eed);
    let squads = squads(hosts);
    for index in 0..rules.saturating_sub(1) {
        let squad = random.below(squads);
        let team = format!("Squad {squad}");
        writeln!(out, "[[rule]]\nname = \"generated for squad {squad}\"\nteam = \"{team}\"")?;
        match index % 6 {
            0 => writeln!(out, "match.hostname = \"*.squad{squad:03}.example.com\"")?,
            1 => writeln!(out, "match.ip = \"10.{}.{}.0/24\"", squad / 250, squad % 250)?,
            2 => writeln!(out, "match.tag = \"label=squad-{squad}\"\ncriticality = \"high\"")?,
            3 => writeln!(out, "match.image = \"registry.example.com/squad-{squad}/*\"")?,
            4 => writeln!(out, "match.repository = \"github.com/example/squad-{squad}-*\"")?,
            _ => writeln!(
                out,
                "match.hostname = [\"{}-*.squad{squad:03}.example.com\", \"{}-*\"]\nmatch.ip = \"10.{}.0.0/16\"\nexposure = \"internet\"",
                ROLES.get(random.below(4) as usize).copied().unwrap_or("web"),
                ROLES.get(random.below(8) as usize).copied().unwrap_or("api"),
                squad / 250
            )?,
        }
        writeln!(out)?;
    }
    writeln!(out, "[[rule]]\nname = \"default criticality\"\ncriticality = \"low\"")?;
    Ok(())
}
