//! A generator of realistic scanner output for benchmarks: many targets and packages,
//! real-looking CVE and GHSA ids, fixed versions, CVSS vectors, and repeated findings.
//! Files are written as they are generated, so any size fits in a few MiB of memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    Trivy,
    Sarif,
    Cyclonedx,
    /// A Nessus CSV export: hosts with many findings each (one host per 50 findings).
    NessusCsv,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long, value_enum)]
    pub format: Kind,
    /// How many findings (records) to write, duplicates included.
    #[arg(long)]
    pub findings: u64,
    #[arg(long)]
    pub out: PathBuf,
    /// Same seed, same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&args.out)?);
    let mut random = Random(args.seed);
    match args.format {
        Kind::Trivy => trivy(&mut out, &mut random, args.findings)?,
        Kind::Sarif => sarif(&mut out, &mut random, args.findings)?,
        Kind::Cyclonedx => cyclonedx(&mut out, &mut random, args.findings)?,
        Kind::NessusCsv => nessus_csv(&mut out, &mut random, args.findings)?,
    }
    out.flush()?;
    Ok(())
}

/// The generated Nessus export of `findings` findings the host benches share, written the
/// first time. The name changes whenever what the generator writes does.
pub fn host_scan(folder: &std::path::Path, findings: u64) -> anyhow::Result<PathBuf> {
    let out = folder.join(format!("nessus-builds-{findings}.csv"));
    if !out.exists() {
        run(&GenerateArgs { format: Kind::NessusCsv, findings, out: out.clone(), seed: 7 })?;
    }
    Ok(out)
}

/// SplitMix64: small, fast and reproducible.
pub struct Random(pub u64);

impl Random {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        let index = self.below(items.len() as u64) as usize;
        items.get(index).copied().unwrap_or_default()
    }
}

const PACKAGES: [&str; 24] = [
    "openssl",
    "libcurl",
    "zlib",
    "glibc",
    "busybox",
    "libxml2",
    "sqlite",
    "expat",
    "lodash",
    "minimist",
    "jackson-databind",
    "log4j-core",
    "spring-web",
    "netty-codec",
    "django",
    "requests",
    "urllib3",
    "pyyaml",
    "golang.org/x/net",
    "golang.org/x/crypto",
    "serde_json",
    "tokio",
    "nokogiri",
    "rails",
];
const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];
const VECTORS: [&str; 6] = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
];

/// One synthetic package vulnerability.
struct Vulnerability {
    cve: String,
    ghsa: String,
    package: String,
    installed: String,
    fixed: String,
    severity: &'static str,
    vector: &'static str,
    target: u64,
}

/// How many distinct vulnerabilities a file of `count` findings draws from: real estates
/// repeat the same few tens of thousands of CVEs across many targets.
fn pool_size(count: u64) -> u64 {
    (count / 40).max(2000)
}

/// Draws a vulnerability from the pool (popular ones more often, as in real estates) and
/// places it on one of `targets` targets. Same pool entry, same CVE, package and versions.
fn vulnerability(random: &mut Random, count: u64, targets: u64) -> Vulnerability {
    let pool = pool_size(count);
    let popular = random.below(4) == 0;
    let entry = if popular { random.below(pool / 20 + 1) } else { random.below(pool) };
    let mut local = Random(entry.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xA5A5);
    let package_index = local.below(PACKAGES.len() as u64) as usize;
    let package = PACKAGES.get(package_index).copied().unwrap_or("pkg");
    let flavour = local.below(200);
    let major = local.below(5);
    let minor = local.below(30);
    let year = 2014 + local.below(12);
    Vulnerability {
        cve: format!("CVE-{year}-{:05}", 1000 + entry % 90000),
        ghsa: format!(
            "GHSA-{:04x}-{:04x}-{:04x}",
            local.below(65536),
            local.below(65536),
            local.below(65536)
        ),
        package: if flavour == 0 { package.to_owned() } else { format!("{package}-{flavour}") },
        installed: format!("{major}.{minor}.{}", local.below(20)),
        fixed: format!("{major}.{}.0", minor + 1),
        severity: local.pick(&SEVERITIES),
        vector: local.pick(&VECTORS),
        target: random.below(targets),
    }
}

fn trivy(out: &mut impl Write, random: &mut Random, count: u64) -> std::io::Result<()> {
    // One image, with findings spread over its OS layer and many application lockfiles.
    let targets = (count / 500).clamp(1, 2000);
    write!(
        out,
        r#"{{"SchemaVersion":2,"CreatedAt":"2026-11-01T00:00:00Z","ArtifactName":"registry.example.com/shop/checkout:{}","ArtifactType":"container_image","Results":["#,
        random.below(1000)
    )?;
    let per_result = count.div_ceil(targets).max(1);
    let mut written = 0;
    for result in 0..targets {
        if written >= count {
            break;
        }
        if result > 0 {
            out.write_all(b",")?;
        }
        write!(
            out,
            r#"{{"Target":"app/service-{result}/package-lock.json","Class":"lang-pkgs","Type":"npm","Vulnerabilities":["#
        )?;
        let here = per_result.min(count - written);
        for i in 0..here {
            let v = vulnerability(random, count, 1);
            if i > 0 {
                out.write_all(b",")?;
            }
            write!(
                out,
                r#"{{"VulnerabilityID":"{cve}","VendorIDs":["{ghsa}"],"PkgName":"{package}","PkgIdentifier":{{"PURL":"pkg:npm/{package}@{installed}"}},"InstalledVersion":"{installed}","FixedVersion":"{fixed}","Status":"fixed","SeveritySource":"nvd","PrimaryURL":"https://avd.aquasec.com/nvd/{lower}","Title":"{package}: flaw in parser allows denial of service","Description":"A crafted input to {package} before {fixed} lets a remote attacker exhaust memory.","Severity":"{severity}","CweIDs":["CWE-400"],"CVSS":{{"nvd":{{"V3Vector":"{vector}","V3Score":7.5}}}},"References":["https://nvd.nist.gov/vuln/detail/{cve}"]}}"#,
                cve = v.cve,
                ghsa = v.ghsa,
                package = v.package,
                installed = v.installed,
                fixed = v.fixed,
                lower = v.cve.to_lowercase(),
                severity = v.severity,
                vector = v.vector,
            )?;
        }
        written += here;
        out.write_all(b"]}")?;
    }
    out.write_all(b"]}\n")
}

fn sarif(out: &mut impl Write, random: &mut Random, count: u64) -> std::io::Result<()> {
    const RULES: u64 = 200;
    write!(
        out,
        r#"{{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{{"tool":{{"driver":{{"name":"semgrep","semanticVersion":"1.90.0","rules":["#
    )?;
    for rule in 0..RULES {
        if rule > 0 {
            out.write_all(b",")?;
        }
        let level = ["error", "warning", "note"].get((rule % 3) as usize).copied().unwrap_or("warning");
        write!(
            out,
            r#"{{"id":"rule-{rule}","shortDescription":{{"text":"Rule {rule}: untrusted input reaches a sensitive call"}},"defaultConfiguration":{{"level":"{level}"}},"properties":{{"tags":["security","external/cwe/cwe-{cwe:03}"]}}}}"#,
            cwe = 20 + rule % 80
        )?;
    }
    write!(
        out,
        r#"]}}}},"versionControlProvenance":[{{"repositoryUri":"https://git.example.com/shop/monorepo"}}],"results":["#
    )?;
    for i in 0..count {
        if i > 0 {
            out.write_all(b",")?;
        }
        let seed = if i > 20 && random.below(20) == 0 { random.below(i) } else { i };
        let mut local = Random(seed ^ 0x5EED);
        let rule = local.below(RULES);
        write!(
            out,
            r#"{{"ruleId":"rule-{rule}","ruleIndex":{rule},"message":{{"text":"Untrusted data flows into a call at line {line}."}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"src/module{module}/file{file}.py"}},"region":{{"startLine":{line},"startColumn":{column}}}}}}}]}}"#,
            module = local.below(300),
            file = local.below(50),
            line = 1 + local.below(2000),
            column = 1 + local.below(80),
        )?;
    }
    out.write_all(b"]}]}\n")
}

fn cyclonedx(out: &mut impl Write, random: &mut Random, count: u64) -> std::io::Result<()> {
    let components = (count / 4).clamp(1, 50_000);
    write!(
        out,
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{{"tools":{{"components":[{{"type":"application","name":"grype","version":"0.80.0"}}]}},"component":{{"type":"container","name":"registry.example.com/shop/catalog:2.4"}}}},"components":["#
    )?;
    for component in 0..components {
        if component > 0 {
            out.write_all(b",")?;
        }
        let package = PACKAGES.get((component % PACKAGES.len() as u64) as usize).copied().unwrap_or("pkg");
        write!(
            out,
            r#"{{"bom-ref":"c{component}","type":"library","name":"{package}-{component}","version":"1.{}.0","purl":"pkg:npm/{package}-{component}@1.{}.0"}}"#,
            component % 40,
            component % 40
        )?;
    }
    out.write_all(br#"],"vulnerabilities":["#)?;
    for i in 0..count {
        if i > 0 {
            out.write_all(b",")?;
        }
        let v = vulnerability(random, count, components);
        write!(
            out,
            r#"{{"id":"{cve}","source":{{"name":"NVD","url":"https://nvd.nist.gov/vuln/detail/{cve}"}},"references":[{{"id":"{ghsa}","source":{{"name":"GitHub"}}}}],"ratings":[{{"source":{{"name":"NVD"}},"score":7.5,"severity":"{severity}","method":"CVSSv31","vector":"{vector}"}}],"cwes":[400],"description":"{package} before {fixed} mishandles crafted input.","recommendation":"Upgrade to {fixed}","affects":[{{"ref":"c{target}"}}]}}"#,
            cve = v.cve,
            ghsa = v.ghsa,
            severity = v.severity.to_lowercase(),
            vector = v.vector,
            package = v.package,
            fixed = v.fixed,
            target = v.target,
        )?;
    }
    out.write_all(b"]}\n")
}

/// A Nessus CSV export over many hosts (10.a.b.c), a host's findings in a row as Nessus
/// writes them. The plugin is the pool entry, so the same CVE has the same plugin anywhere.
/// Hosts are built from a few dozen standard builds (golden images, configuration
/// management), so the hosts of one build share most of their findings: nine in ten come
/// from the build, one in ten is the host's own.
const BUILDS: u64 = 60;

fn nessus_csv(out: &mut impl Write, random: &mut Random, count: u64) -> std::io::Result<()> {
    let hosts = (count / 50).max(1);
    writeln!(
        out,
        "Plugin ID,CVE,CVSS v3.0 Base Score,Risk,Host,Protocol,Port,Name,Synopsis,Solution,CVSS v3.0 Vector"
    )?;
    let per_host = count.div_ceil(hosts);
    let mut written = 0;
    let builds_seed = random.0;
    for host in 0..hosts {
        let address = format!("10.{}.{}.{}", host / 65536 % 256, host / 256 % 256, host % 256);
        let build = random.below(BUILDS);
        let mut from_build = Random(builds_seed ^ build.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for _ in 0..per_host.min(count - written) {
            let own = random.below(10) == 0;
            let v = vulnerability(if own { &mut *random } else { &mut from_build }, count, 1);
            let plugin = 100_000 + (v.cve.len() as u64 * 7919 + fnv(&v.cve)) % 800_000;
            let risk = match v.severity {
                "CRITICAL" => "Critical",
                "HIGH" => "High",
                "MEDIUM" => "Medium",
                "LOW" => "Low",
                _ => "None",
            };
            writeln!(
                out,
                "{plugin},{},9.8,{risk},{address},tcp,443,{} < {} multiple vulnerabilities,\"The remote host has an outdated {}.\",Upgrade to {} or later.,{}",
                v.cve, v.package, v.fixed, v.package, v.fixed, v.vector
            )?;
            written += 1;
        }
    }
    Ok(())
}

fn fnv(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}
