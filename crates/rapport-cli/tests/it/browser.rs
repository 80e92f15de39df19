//! The pages in real headless Chromium (Debian's `chromium` and `chromium-driver`, which
//! `scripts/test` installs), driven over WebDriver: each role signs in for the first time,
//! chooses a password and walks its core flows with plain HTML forms. A screenshot of every
//! page goes to `target/tmp/browser/` (not committed), on a desktop and on a phone-sized window.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::{PrintConfiguration, PrintSize};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{
    Rapport, add_account, corpus, is_a4, pdf_pages, printed_words, sample, serve, serve_with,
};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free loopback port in a process group of its own, which is killed
/// when dropped: the browsers it started go with it, even when a test fails half way.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[allow(clippy::zombie_processes, reason = "Driver's drop kills and waits for it")]
#[allow(clippy::disallowed_methods, reason = "waiting for chromedriver to listen")]
fn start_driver() -> Driver {
    for program in [CHROMEDRIVER, CHROMIUM] {
        assert!(
            std::path::Path::new(program).exists(),
            "{program} is missing: run the tests with scripts/test, which installs Debian's chromium and chromium-driver"
        );
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Driver { child, url };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("chromedriver did not start listening on {url}");
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let options = json!({
        "binary": CHROMIUM,
        // Offline machine: no background connections, no first-run or sync.
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--window-size=1280,900",
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

fn screenshots() -> PathBuf {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// Saves what the browser shows, under `name`, and returns the page's HTML, for pages that
/// are not Rapport's (the provider's sign-in).
async fn shot_elsewhere(client: &Client, name: &str) -> String {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
    client.source().await.unwrap()
}

/// Saves what the browser shows, under `name`, checks the page with axe-core, and returns
/// its HTML. Any serious or critical violation fails the test, named with the page.
async fn shot(client: &Client, name: &str) -> String {
    let page = shot_elsewhere(client, name).await;
    let violations = accessibility_violations(client).await;
    assert!(
        violations.as_array().is_some_and(Vec::is_empty),
        "{name}: axe-core finds serious or critical violations: {violations:#}"
    );
    page
}

/// axe-core's source (npm's axe-core, which `scripts/test` installs), read once.
fn axe_source() -> Option<&'static str> {
    static SOURCE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let Some(path) = std::env::var_os("RAPPORT_AXE_CORE") else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "RAPPORT_AXE_CORE is not set: run the tests with scripts/test"
                );
                eprintln!(
                    "accessibility not checked: RAPPORT_AXE_CORE is not set (scripts/test installs axe-core)"
                );
                return None;
            };
            Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.to_string_lossy())))
        })
        .as_deref()
}

/// The serious and critical violations axe-core finds on the page shown, each with the
/// rule, what it asks and where (the first few elements).
async fn accessibility_violations(client: &Client) -> serde_json::Value {
    let Some(source) = axe_source() else { return json!([]) };
    client.execute(&format!("{source}\nreturn true;"), vec![]).await.expect("load axe-core into the page");
    let run = "const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] })
          .then(result => done(result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({ rule: v.id, impact: v.impact, help: v.help,
                         where: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.html) }))))
          .catch(error => done([{ rule: 'axe-core failed', help: String(error) }]));";
    client.execute_async(run, vec![]).await.expect("run axe-core")
}

async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks what `css` finds, for clicks that stay on the page.
async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}")).click().await.unwrap();
}

/// Clicks a form's button and waits until the page it leads to has loaded: a click returns
/// as soon as the browser has it, before the answer (often a redirect) is shown.
async fn submit(client: &Client, css: &str) {
    client.execute("window.rapportBefore = true;", vec![]).await.unwrap();
    click(client, css).await;
    for _ in 0..200 {
        let loaded = client
            .execute(
                "return window.rapportBefore === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await
            .map(|value| value.as_bool() == Some(true))
            .unwrap_or(false);
        if loaded {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("submitting {css} led to no new page");
}

async fn path(client: &Client) -> String {
    let url = client.current_url().await.unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The first sign-in: the one-time password, then the person's own.
async fn first_sign_in(client: &Client, base: &str, who: &str, email: &str, one_time: &str) {
    client.goto(&format!("{base}/teams")).await.unwrap();
    assert!(path(client).await.starts_with("/login?next="), "{who}: signed out, a page asks to sign in");
    shot(client, &format!("{who}-0-sign-in")).await;
    fill(client, "#email", email).await;
    fill(client, "#password", one_time).await;
    submit(client, "form[action='/login'] button").await;
    assert_eq!(path(client).await, "/account/password", "{who}");
    let page = shot(client, &format!("{who}-1-choose-password")).await;
    assert!(page.contains("Choose your own"), "{who}");
    let chosen = format!("{email} picked this");
    fill(client, "#current", one_time).await;
    fill(client, "#new", &chosen).await;
    submit(client, "form[action='/account/password'] button").await;
    assert_eq!(path(client).await, "/login", "{who}: a new password signs in again");
    fill(client, "#email", email).await;
    fill(client, "#password", &chosen).await;
    submit(client, "form[action='/login'] button").await;
}

#[test]
fn each_role_signs_in_and_walks_its_flows_in_chromium() {
    let work = tempfile::tempdir().unwrap();
    let rapport = Rapport { database: format!("sqlite://{}/data/rapport.db", work.path().display()), work };
    rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
    let people = [
        ("admin", "admin@example.com", "admin", None),
        ("analyst", "sam.okafor@example.com", "security_analyst", None),
        ("manager", "priya.nair@example.com", "team_manager", Some("Payments")),
        ("executive", "olu.adeyemi@example.com", "executive", None),
        ("end-user", "anna@acme.com", "end_user", None),
    ];
    let passwords: Vec<String> =
        people.iter().map(|(_, email, role, team)| add_account(&rapport, email, role, *team)).collect();
    let served = serve(&rapport);
    let driver = start_driver();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let base = served.base.as_str();
        let profiles = tempfile::tempdir().unwrap();
        let mut clients = Vec::new();
        for ((who, email, ..), one_time) in people.iter().zip(&passwords) {
            let client = browser(&driver, &profiles.path().join(who)).await;
            first_sign_in(&client, base, who, email, one_time).await;
            clients.push(client);
        }
        let [admin, analyst, manager, executive, end_user] = &clients[..] else { unreachable!() };

        // The administrator keeps accounts: a new one-time password is asked once, and a
        // token is made from the browser.
        admin.goto(&format!("{base}/accounts")).await.unwrap();
        let page = shot(admin, "admin-2-accounts").await;
        assert!(page.contains("anna@acme.com"), "{page}");
        submit(admin, "form[action$='/reset'] button").await;
        let page = shot(admin, "admin-3-reset-asked").await;
        assert!(page.contains("a new one-time password?"), "{page}");
        submit(admin, "header nav a[href='/account/tokens']").await;
        fill(admin, "#name", "nightly export").await;
        submit(admin, "form[action='/account/tokens'] button").await;
        let page = shot(admin, "admin-4-token").await;
        assert!(page.contains("rpt_"), "the token is shown once: {page}");

        // The manager lands on the team's plan, reads why, acknowledges, and answers.
        assert_eq!(path(manager).await, "/teams/Payments");
        let page = shot(manager, "manager-2-plan").await;
        assert!(page.contains("Payments: the plan") && page.contains("has not acknowledged"), "{page}");
        click(manager, "details summary").await;
        shot(manager, "manager-3-plan-why").await;
        // They read the policy they are asked to acknowledge, in sentences, and acknowledge it there.
        submit(manager, "a[href='/teams/Payments/policy']").await;
        let page = shot(manager, "manager-3b-policy").await;
        assert!(
            page.contains("What it asks") && page.contains("Act: fix it now, ahead of other work"),
            "{page}"
        );
        assert!(page.contains("has not acknowledged any version"), "{page}");
        submit(manager, "form[action$='/acknowledge'] button").await;
        let page = shot(manager, "manager-4-acknowledged").await;
        assert!(page.contains("Payments acknowledges policy version"), "{page}");
        submit(manager, "ol.actions li p.what a").await;
        let action = path(manager).await;
        assert!(action.starts_with("/actions/"), "{action}");
        let page = shot(manager, "manager-5-action").await;
        assert!(page.contains("Where") && page.contains("History"), "{page}");
        // A manager reads how many flaws and whether attackers use them, not their ids.
        assert!(
            page.contains("2 flaws in log4j-core, and attackers are using at least one of them now"),
            "{page}"
        );
        assert!(!page.contains("CVE-2021-44228"), "no bare ids for a manager: {page}");
        // Times are hers: Priya is in Asia/Kolkata, to the minute.
        assert!(page.contains(" IST: "), "the history in her time zone: {page}");
        assert!(!page.contains("Z</") && !page.contains(":00Z"), "no raw UTC stamps: {page}");
        fill(manager, "#feedback", "Can we patch the staging hosts first?").await;
        submit(manager, "form[action$='/feedback'] button").await;
        assert_eq!(path(manager).await, format!("{action}?said=feedback"));
        fill(manager, "#reason", "The vendor's fixed build ships next sprint.").await;
        let until = (crate::support::today() + time::Duration::days(7)).to_string();
        // A date field takes what is typed in the order the locale shows: set it as a form value.
        manager
            .execute("document.getElementById('until').value = arguments[0];", vec![json!(until)])
            .await
            .unwrap();
        submit(manager, "form[action$='/exception'] button").await;
        let page = shot(manager, "manager-6-answered").await;
        assert!(page.contains("Asked. The security team decides"), "{page}");
        // They are asked whether the place is reachable from the internet, and say they don't know.
        manager.goto(&format!("{base}{action}")).await.unwrap();
        click(manager, "form[action$='/reachability'] input[value='unknown']").await;
        submit(manager, "form[action$='/reachability'] button").await;
        let page = shot(manager, "manager-7-reachability").await;
        assert!(page.contains("The security team will find out") && page.contains("did not know"), "{page}");
        // Another team's plan is not there for them.
        manager.goto(&format!("{base}/teams/Web")).await.unwrap();
        let page = shot(manager, "manager-8-other-team").await;
        assert!(page.contains("Not found") && !page.contains("Web: the plan"), "{page}");
        // What Rapport wrote to her, each message in her words, and how she takes them.
        submit(manager, "header nav a[href='/me/messages']").await;
        let page = shot(manager, "manager-9-messages").await;
        assert!(
            page.contains("New security work for Payments") && page.contains("kept for the digest due"),
            "{page}"
        );
        submit(manager, "table a[href^='/messages/']").await;
        let page = shot(manager, "manager-9b-message").await;
        assert!(page.contains("class=\"button\"") && page.contains("Reading ease"), "{page}");
        submit(manager, "header nav a[href='/me/preferences']").await;
        shot(manager, "manager-9c-message-settings").await;
        click(manager, "#rhythm-weekly").await;
        submit(manager, "form[action='/me/preferences'] button").await;
        let page = shot(manager, "manager-9d-message-settings-saved").await;
        assert!(
            page.contains("Saved. Messages reach you by email, and the ones that can wait come weekly"),
            "{page}"
        );

        // The analyst decides the exception and replies to the feedback from the queue.
        assert_eq!(path(analyst).await, "/overview");
        analyst.goto(&format!("{base}/teams")).await.unwrap();
        let page = shot(analyst, "analyst-2-teams").await;
        assert!(page.contains("Workplace IT"), "every team is listed: {page}");
        analyst.goto(&format!("{base}/queue")).await.unwrap();
        let page = shot(analyst, "analyst-3-queue").await;
        assert!(
            page.contains("The vendor&#x27;s fixed build") || page.contains("The vendor's fixed build"),
            "{page}"
        );
        fill(analyst, "form[action$='/decision'] input[name='reason']", "Agreed; watch the WAF meanwhile.")
            .await;
        submit(analyst, "form[action$='/decision'] button[value='approve']").await;
        let page = shot(analyst, "analyst-4-approved").await;
        assert!(page.contains("approved"), "{page}");
        fill(analyst, "form[action$='/reply'] textarea", "Yes: staging first is fine.").await;
        submit(analyst, "form[action$='/reply'] button").await;
        let page = shot(analyst, "analyst-5-replied").await;
        assert!(page.contains("None waiting."), "{page}");
        analyst.goto(&format!("{base}/audit")).await.unwrap();
        let page = shot(analyst, "analyst-6-audit").await;
        assert!(page.contains("exception granted") && page.contains("feedback given"), "{page}");
        // Only what the manager did: the filter stays in the address, the form keeps it.
        fill(analyst, "#who", "priya.nair@example.com").await;
        submit(analyst, "form.filters button").await;
        let page = shot(analyst, "analyst-6b-audit-filtered").await;
        assert!(path(analyst).await.contains("who=priya.nair%40example.com"), "the filter is in the address");
        assert!(
            page.contains("<td>feedback given</td>") && !page.contains("<td>exception granted</td>"),
            "{page}"
        );
        assert!(page.contains("value=\"priya.nair@example.com\""), "{page}");

        // The security team's own pages: the overview, findings, an upload, unowned assets,
        // the policy's acknowledgements, and the directory.
        submit(analyst, "header nav a[href='/overview']").await;
        let page = shot(analyst, "analyst-7-overview").await;
        assert!(page.contains("open findings") && page.contains("Latest imports"), "{page}");
        submit(analyst, "header nav a[href='/findings']").await;
        fill(analyst, "#vulnerability", "CVE-2021-44228").await;
        submit(analyst, "form.filters button").await;
        let page = shot(analyst, "analyst-8-findings").await;
        assert!(path(analyst).await.contains("vulnerability=CVE-2021-44228"), "the filter is in the address");
        assert!(page.contains("log4j-core") && !page.contains("CVE-2022-"), "{page}");
        submit(analyst, "td a[href^='/findings/']").await;
        let page = shot(analyst, "analyst-8b-finding").await;
        assert!(page.contains("Finding #") && page.contains("CISA KEV"), "{page}");
        submit(analyst, "header nav a[href='/imports']").await;
        let scan = corpus("scans/govulncheck/many_vulns.json").canonicalize().unwrap();
        let input = analyst.find(Locator::Css("#file")).await.unwrap();
        input.send_keys(&scan.display().to_string()).await.unwrap();
        submit(analyst, "form[enctype='multipart/form-data'] button").await;
        let page = shot(analyst, "analyst-9-imported").await;
        assert!(page.contains("Imported many_vulns.json as govulncheck: 3 findings, 3 new"), "{page}");
        submit(analyst, "header nav a[href='/actions']").await;
        let page = shot(analyst, "analyst-9b-actions").await;
        assert!(page.contains("Actions of every team") && page.contains("Payments"), "{page}");
        submit(analyst, "header nav a[href='/assets/unowned']").await;
        let page = shot(analyst, "analyst-10-unowned").await;
        assert!(page.contains("Assets nobody owns") && page.contains("2.3.4.5"), "{page}");
        // They give the unowned host to Web, read the difference, and apply it.
        let row = "form:has(input[name='name'][value='2.3.4.5'])";
        analyst
            .execute(&format!("document.querySelector(\"{row} select\").value = 'Web';"), vec![])
            .await
            .unwrap();
        submit(analyst, &format!("{row} button")).await;
        let page = shot(analyst, "analyst-10b-give-asset").await;
        assert!(page.contains("Give 2.3.4.5 to Web?") && page.contains("+team = \"Web\""), "{page}");
        submit(analyst, "form[action='/assets/assign'] button").await;
        let page = shot(analyst, "analyst-10c-given").await;
        assert!(page.contains("Ownership version 2 is in force"), "{page}");
        assert!(!page.contains("<td class=\"wrap\">2.3.4.5</td>"), "{page}");
        submit(analyst, "header nav a[href='/policy']").await;
        let page = shot(analyst, "analyst-11-policy").await;
        assert!(page.contains("Acknowledged by") && page.contains("Not yet acknowledged"), "{page}");
        submit(analyst, "header nav a[href='/people']").await;
        let page = shot(analyst, "analyst-12-people").await;
        assert!(page.contains("Payments") && page.contains("Priya"), "{page}");
        submit(analyst, "header nav a[href='/messages']").await;
        let page = shot(analyst, "analyst-13-messages").await;
        assert!(
            page.contains("Every message Rapport wrote") && page.contains("priya.nair@example.com"),
            "{page}"
        );
        // The template editor: a draft is previewed with its scores and nothing stored, a broken
        // one is refused with its line while the one in force stays, and an applied one writes
        // from then on until the team goes back to Rapport's.
        submit(analyst, "header nav a[href='/templates']").await;
        let page = shot(analyst, "analyst-14-templates").await;
        assert!(page.contains("href=\"/templates/action_due_soon.manager\""), "{page}");
        submit(analyst, "a[href='/templates/action_due_soon.manager']").await;
        let page = shot(analyst, "analyst-14b-template").await;
        assert!(page.contains("What it writes") && page.contains("One task for your team is due"), "{page}");
        assert!(
            page.contains("Reading ease") && page.contains("It meets the target for the manager"),
            "{page}"
        );
        let source =
            analyst.find(Locator::Css("#source")).await.unwrap().prop("value").await.unwrap().unwrap();
        let write_source = |text: String| async move {
            analyst
                .execute("document.getElementById('source').value = arguments[0];", vec![json!(text)])
                .await
                .unwrap();
        };
        let edited = source.replace("One task for your team is due", "Your team has one task due");
        write_source(edited.clone()).await;
        submit(analyst, "button[value='preview']").await;
        let page = shot(analyst, "analyst-14c-template-draft").await;
        assert!(
            page.contains("What your draft writes") && page.contains("Your team has one task due"),
            "{page}"
        );
        assert!(page.contains("In force: Rapport"), "a preview stores nothing: {page}");
        write_source(source.replace("{{ action.due }}:", "{{ action.due_date }}:")).await;
        submit(analyst, "button[value='apply']").await;
        let page = shot(analyst, "analyst-14d-template-refused").await;
        assert!(page.contains("Not applied, and the template in force stays"), "{page}");
        assert!(page.contains("action_due_soon.manager, line 5: undefined value"), "{page}");
        assert!(page.contains("action.due_date"), "the draft stays in the editor: {page}");
        write_source(edited).await;
        submit(analyst, "button[value='apply']").await;
        assert_eq!(path(analyst).await, "/templates/action_due_soon.manager?done=applied");
        let page = shot(analyst, "analyst-14e-template-applied").await;
        assert!(page.contains("Applied: messages from now on are written with it"), "{page}");
        assert!(page.contains("replaced by sam.okafor@example.com"), "{page}");
        assert!(page.contains("What it writes") && page.contains("Your team has one task due"), "{page}");
        submit(analyst, "form[action$='/reset'] button").await;
        let page = shot(analyst, "analyst-14f-template-reset").await;
        assert!(
            page.contains("Back to the template Rapport ships")
                && page.contains("One task for your team is due"),
            "{page}"
        );
        analyst.goto(&format!("{base}/audit")).await.unwrap();
        let page = shot(analyst, "analyst-14g-audit").await;
        assert!(page.contains("message template changed"), "{page}");
        // The campaigns, and the people of one: Anna, nudged about her Mac's update.
        submit(analyst, "header nav a[href='/campaigns']").await;
        let page = shot(analyst, "analyst-14h-campaigns").await;
        assert!(page.contains("Hygiene campaigns") && page.contains("password-manager"), "{page}");
        submit(analyst, "a[href='/campaigns/os-updates']").await;
        let page = shot(analyst, "analyst-14i-campaign-people").await;
        assert!(page.contains("<td>anna@acme.com</td>") && page.contains("1 nudge of 8"), "{page}");
        // The relationship's health, every team's with its charts, and the security team's own.
        submit(analyst, "header nav a[href='/health']").await;
        let page = shot(analyst, "analyst-14j-health").await;
        assert!(page.contains("How each relationship is going") && page.contains("own record"), "{page}");
        assert!(page.contains("Payments: share of open work closed each month"), "{page}");
        assert!(page.contains("<svg") && page.contains("15.2% median"), "{page}");
        // Follow-through: the demo's Log4j drafts; one shows exactly who would get it, its words
        // for teams are changed in its form, and it is sent once.
        submit(analyst, "header nav a[href='/follow-through']").await;
        let page = shot(analyst, "analyst-15-follow-through").await;
        assert!(page.contains("Waiting for review") && page.contains("GHSA-jfh8-c2jp-5v3q"), "{page}");
        submit(analyst, "ol.actions li:last-child a").await;
        let page = shot(analyst, "analyst-15b-draft").await;
        assert!(
            page.contains("1 reader: 0 people for their own devices, and 1 team.")
                && page.contains("Priya Nair"),
            "{page}"
        );
        fill(analyst, "#subject-team", "Log4j: the build cache needs one more upgrade").await;
        submit(analyst, "#words-team button").await;
        let page = shot(analyst, "analyst-15c-draft-edited").await;
        assert!(page.contains("Done: words changed.") && page.contains("one more upgrade"), "{page}");
        submit(analyst, "form[action$='/send'] button").await;
        let page = shot(analyst, "analyst-15d-sent").await;
        assert!(
            page.contains("sent.") && page.contains("by sam.okafor@example.com, to 0 people and 1 team."),
            "{page}"
        );

        // The partner sees the reply on the action.
        manager.goto(&format!("{base}{action}")).await.unwrap();
        let page = shot(manager, "manager-9-reply").await;
        assert!(page.contains("Security replied: Yes: staging first is fine."), "{page}");
        // Accepted now, so no second request is offered; done is still welcome.
        assert!(page.contains("accepted until") && !page.contains("Ask for an exception"), "{page}");
        submit(manager, "form[action$='/done'] button").await;
        let page = shot(manager, "manager-10-done").await;
        assert!(page.contains("Marked done"), "{page}");
        assert!(page.contains("Done, waiting for a scan to confirm"), "{page}");
        // Its own health, and no other team's; the exception it was granted is counted.
        submit(manager, "header nav a[href='/health']").await;
        let page = shot(manager, "manager-11-health").await;
        assert!(page.contains("<a href=\"/health?team=Payments\">Payments</a>"), "{page}");
        assert!(!page.contains("team=Web"), "{page}");
        assert!(page.contains("1 / 1 / 1"), "one exception asked, granted and in force: {page}");

        // The executive starts with the month's briefing, its charts drawn, and reads every
        // team and answers nothing.
        assert_eq!(path(executive).await, "/briefing");
        let page = shot(executive, "executive-1-briefing").await;
        assert!(
            page.contains("Monthly briefing for the executives") && page.contains("What went wrong"),
            "{page}"
        );
        assert!(
            page.contains("Every team: share of open work closed each month") && page.contains("<svg"),
            "{page}"
        );
        // Printed, it is the briefing alone on A4: no menu, no form, every part and chart.
        let printed = executive
            .print(PrintConfiguration::builder().size(PrintSize::A4).build().unwrap())
            .await
            .unwrap();
        let pdf = rapport.work.path().join("executive-briefing.pdf");
        std::fs::write(&pdf, &printed).unwrap();
        if let Some(pages) = pdf_pages(&pdf) {
            let text = printed_words(&pages);
            assert!(pages.iter().all(is_a4), "{pages:?}");
            for part in ["monthly briefing for the executives", "what went wrong", "what comes next"] {
                assert!(text.contains(part), "{part:?} printed: {text}");
            }
            assert!(text.contains("15.2% median"), "the charts are printed: {text}");
            assert!(!text.contains("sign out") && !text.contains("what would you change?"), "{text}");
        }
        // It asks one thing of them, and the answer reaches the security team.
        fill(executive, "#words", "One page is right; say more about the slow team.").await;
        submit(executive, "form[action='/briefing/answer'] button").await;
        let page = shot(executive, "executive-1b-briefing-answered").await;
        assert!(page.contains("Thank you. Your answer is with the security team."), "{page}");
        executive.goto(&format!("{base}/teams/Payments")).await.unwrap();
        let page = shot(executive, "executive-2-plan").await;
        assert!(
            page.contains("Payments: the plan") && !page.contains("Done, please verify</button>"),
            "{page}"
        );

        // An end user starts at their own devices: what to do on each, and why.
        assert_eq!(path(end_user).await, "/me/devices");
        let page = shot(end_user, "end-user-1c-devices").await;
        assert!(page.contains("MacBook"), "Anna's laptop from the sample Fleet export: {page}");
        // An end user reaches no team's data.
        end_user.goto(&format!("{base}/teams/Payments")).await.unwrap();
        let page = shot(end_user, "end-user-2-no-team").await;
        assert!(page.contains("Not found"), "{page}");

        // The same plan on a phone.
        manager.set_window_size(390, 844).await.unwrap();
        manager.goto(&format!("{base}/teams/Payments")).await.unwrap();
        shot(manager, "manager-10-phone").await;
        let overflow: bool = manager
            .execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![])
            .await
            .unwrap()
            .as_bool()
            .unwrap();
        assert!(!overflow, "the plan fits a phone's width without scrolling sideways");
        analyst.set_window_size(390, 844).await.unwrap();
        analyst.goto(&format!("{base}/overview")).await.unwrap();
        shot(analyst, "analyst-13-phone").await;
        let overflow: bool = analyst
            .execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![])
            .await
            .unwrap()
            .as_bool()
            .unwrap();
        assert!(!overflow, "the overview fits a phone's width without scrolling sideways");

        // Signing out ends the session.
        submit(analyst, "header form[action='/logout'] button").await;
        analyst.goto(&format!("{base}/queue")).await.unwrap();
        assert!(path(analyst).await.starts_with("/login"), "signed out");

        for client in clients {
            client.close().await.unwrap();
        }
    });
    drop(driver);
    drop(served);
}

/// panva's oidc-provider (npm) on a loopback port, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
    /// Kept open: node ends when what it writes has nowhere to go.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[allow(clippy::zombie_processes, reason = "Provider's drop kills and waits for it")]
fn start_provider(folder: &std::ffi::OsStr, redirect: &str, secret: &str) -> Provider {
    use std::io::BufRead;
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/provider.mjs");
    let mut child = Command::new("node")
        .args([script, &port.to_string(), redirect, secret])
        .env("RAPPORT_OIDC_PROVIDER", folder)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node with oidc-provider");
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let issuer = line.trim().strip_prefix("ready ").unwrap_or_else(|| panic!("oidc-provider said {line:?}"));
    Provider { issuer: issuer.to_owned(), child, _stdout: stdout }
}

/// Signs in at the provider's development form as `login` and agrees to share the email.
async fn sign_in_at_provider(client: &Client, login: &str) {
    fill(client, "input[name='login']", login).await;
    fill(client, "input[name='password']", "any password: the test provider takes every one").await;
    submit(client, "button[type='submit']").await;
    let page = shot_elsewhere(client, &format!("oidc-consent-{login}")).await;
    assert!(page.contains("Authorize"), "{page}");
    submit(client, "form input[value='consent'] ~ button").await;
}

#[test]
fn people_in_the_directory_sign_in_with_a_real_openid_connect_provider() {
    let Some(folder) = std::env::var_os("RAPPORT_OIDC_PROVIDER") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAPPORT_OIDC_PROVIDER is not set: run the tests with scripts/test"
        );
        eprintln!(
            "skipped: RAPPORT_OIDC_PROVIDER is not set (scripts/test installs oidc-provider and sets it)"
        );
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let rapport = Rapport { database: format!("sqlite://{}/data/rapport.db", work.path().display()), work };
    rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let secret = "a-client-secret-for-this-test-only";
    let provider = start_provider(&folder, &format!("{base}/login/oidc/callback"), secret);
    let config = format!(
        "[oidc]\nissuer = \"{}\"\nclient_id = \"rapport\"\nredirect_url = \"{base}/login/oidc/callback\"\n\
         button_label = \"Sign in with Acme SSO\"\n",
        provider.issuer
    );
    let config = rapport.write("server.toml", config.as_bytes());
    let listen = format!("127.0.0.1:{port}");
    let served = serve_with(
        &rapport,
        &["--config", &config, "--listen", &listen],
        &[("RAPPORT_OIDC_CLIENT_SECRET", secret)],
    );
    assert_eq!(served.base, base);

    let driver = start_driver();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        // Priya, Payments' manager in the directory, has no account yet: her first sign-in
        // through the provider makes one, as the directory describes her, and goes where she
        // was going.
        let priya = browser(&driver, &rapport.work.path().join("priya")).await;
        priya.goto(&format!("{base}/teams/Payments")).await.unwrap();
        let page = shot(&priya, "oidc-1-sign-in").await;
        assert!(page.contains("Sign in with Acme SSO"), "{page}");
        submit(&priya, "a.button[href^='/login/oidc']").await;
        assert!(priya.current_url().await.unwrap().as_str().starts_with(&provider.issuer), "at the provider");
        shot_elsewhere(&priya, "oidc-2-provider").await;
        sign_in_at_provider(&priya, "priya.nair@example.com").await;
        let page = shot(&priya, "oidc-3-back").await;
        assert_eq!(path(&priya).await, "/teams/Payments", "back where she was going: {page}");
        let page = shot(&priya, "oidc-3-signed-in").await;
        assert!(
            page.contains("priya.nair@example.com · team manager") && page.contains("Payments: the plan"),
            "{page}"
        );

        // Someone the provider knows but the directory does not gets no account.
        let stranger = browser(&driver, &rapport.work.path().join("stranger")).await;
        stranger.goto(&format!("{base}/login/oidc")).await.unwrap();
        sign_in_at_provider(&stranger, "stranger@example.com").await;
        let page = shot(&stranger, "oidc-4-stranger").await;
        assert!(page.contains("stranger@example.com may not use Rapport"), "{page}");
        stranger.goto(&format!("{base}/teams/Payments")).await.unwrap();
        assert!(path(&stranger).await.starts_with("/login"), "the stranger is not signed in");

        // A code sent back without the browser's state cookie is refused.
        rapport_workflows::use_ring_for_tls();
        let forged =
            reqwest::get(format!("{base}/login/oidc/callback?code=stolen&state=guessed")).await.unwrap();
        assert_eq!(forged.status(), reqwest::StatusCode::FORBIDDEN);

        for client in [priya, stranger] {
            client.close().await.unwrap();
        }
    });
    let accounts = rapport.ok(&["account", "list"]);
    assert!(
        accounts.contains("priya.nair@example.com") && !accounts.contains("stranger@example.com"),
        "{accounts}"
    );
    drop(served);
    drop(driver);
}
