//! The server end to end, on both back ends: `rapport demo --no-serve` loads the samples,
//! `rapport account add` makes one account per role, `rapport serve` runs as its own process,
//! and every person signs in over HTTP. The role matrix asks every endpoint as every role
//! (and as a member of another team, and as nobody) and checks the exact status.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use serde_json::Value;

use crate::support::{Rapport, add_account, corpus, demo_served, each_backend, sample, serve, today};

pub(crate) fn client() -> reqwest::Client {
    rapport_workflows::use_ring_for_tls();
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of `name="csrf" value="…"` in a page.
fn csrf_in(page: &str) -> String {
    let after = page.split("name=\"csrf\" value=\"").nth(1).expect("a form with a CSRF token");
    after.split('"').next().unwrap().to_owned()
}

fn cookie_named(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(|value| value.split(';').next().unwrap().to_owned())
}

/// A signed-in browser: its session cookie and the CSRF token of its forms.
#[derive(Clone, Debug)]
pub(crate) struct Browser {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

async fn sign_in(http: &reqwest::Client, base: &str, email: &str, password: &str) -> reqwest::Response {
    sign_in_from(http, base, (email, password), None, None).await
}

/// Signs in as if from `address` (the server trusts 127.0.0.1 as its proxy), with a browser
/// that may carry a device cookie.
async fn sign_in_from(
    http: &reqwest::Client,
    base: &str,
    (email, password): (&str, &str),
    address: Option<&str>,
    device: Option<&str>,
) -> reqwest::Response {
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let login_cookie = cookie_named(&form, "rapport_login_csrf").expect("the sign-in form sets its cookie");
    let page = form.text().await.unwrap();
    let cookies = [Some(login_cookie), device.map(str::to_owned)].into_iter().flatten().collect::<Vec<_>>();
    let mut request = http.post(format!("{base}/login")).header(COOKIE, cookies.join("; ")).form(&[
        ("email", email),
        ("password", password),
        ("csrf", &csrf_in(&page)),
        ("next", "/"),
    ]);
    if let Some(address) = address {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.unwrap()
}

/// Issue 18, item 3: where the sign-in page sends someone afterwards is a safe path on this
/// site; a tab, a newline or a control character in `next` sends them to the start page, and
/// none of them is a server error.
async fn returns_only_to_this_site(http: &reqwest::Client, base: &str, db: &str) {
    // Two tries: the account's sign-ins are limited to five a minute.
    let password = "anna@acme.com chose this";
    for next in ["/%09/evil.example", "/%0d%0aLocation:%20//evil.example%7f"] {
        let form = http.get(format!("{base}/login?next={next}")).send().await.unwrap();
        assert_eq!(form.status(), StatusCode::OK, "{db}: the sign-in page with next={next}");
        let login_cookie = cookie_named(&form, "rapport_login_csrf").unwrap();
        let page = form.text().await.unwrap();
        let decoded =
            next.replace("%09", "\t").replace("%0d%0a", "\r\n").replace("%7f", "\u{7f}").replace("%20", " ");
        let signed_in = http
            .post(format!("{base}/login"))
            .header(COOKIE, login_cookie)
            .form(&[
                ("email", "anna@acme.com"),
                ("password", password),
                ("csrf", &csrf_in(&page)),
                ("next", &decoded),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{db}: next={next}");
        assert_eq!(signed_in.headers()[LOCATION], "/", "{db}: next={next} stays on this site");
    }
}

/// Issue 18, item 9: the headers a web application sends, a page that shows a new token kept
/// out of every cache, and a challenge on every 401.
async fn sends_security_headers(http: &reqwest::Client, base: &str, browser: &Browser, db: &str) {
    let page =
        http.get(format!("{base}/account/tokens")).header(COOKIE, &browser.cookie).send().await.unwrap();
    let headers = page.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{db}: {csp}");
    assert_eq!(headers["x-frame-options"], "DENY", "{db}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{db}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{db}");
    assert_eq!(headers["cache-control"], "no-store", "{db}: tokens are shown here once");
    let nobody = http.get(format!("{base}/api/v1/me")).send().await.unwrap();
    assert_eq!(nobody.status(), StatusCode::UNAUTHORIZED, "{db}");
    assert_eq!(nobody.headers()["www-authenticate"], "Bearer realm=\"rapport\"", "{db}");
    let style = http.get(format!("{base}/static/rapport.css")).send().await.unwrap();
    assert!(style.headers().get("cache-control").is_none(), "{db}: the stylesheet may be cached");
    let briefing = http.get(format!("{base}/static/briefing.css")).send().await.unwrap();
    assert_eq!(briefing.status(), StatusCode::OK, "{db}: the briefing's styles need no sign-in");
    assert!(briefing.text().await.unwrap().contains("@media print"), "{db}");
    closes_after_an_unread_body(base, db).await;
}

/// Issue 18, item 9: a request refused before its body was read used to leave the rest of
/// the body in a connection the server then closed without a word.
async fn closes_after_an_unread_body(base: &str, db: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let head_of = |request: String| async move {
        let mut connection = tokio::net::TcpStream::connect(address).await.unwrap();
        connection.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = connection.read(&mut buffer).await.unwrap();
            assert!(read > 0, "{db}: the connection closed before an answer");
            answer.extend_from_slice(&buffer[..read]);
        }
        String::from_utf8_lossy(&answer).to_lowercase()
    };
    // (An upload refused so is read and dropped, up to 16 MiB, so that a client still
    // sending it sees the answer; other requests are not worth reading.)
    let refused = head_of(format!(
        "POST /api/v1/actions/1/done HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: 100000\r\n\r\n{{\"note\": \"{}",
        "x".repeat(4096)
    ))
    .await;
    assert!(refused.starts_with("http/1.1 401"), "{db}: {refused}");
    assert!(refused.contains("\r\nconnection: close\r\n"), "{db}: {refused}");
    let read = head_of(format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n")).await;
    assert!(read.starts_with("http/1.1 200") && !read.contains("connection: close"), "{db}: {read}");
}

/// Signs in with the one-time password, is sent to choose a new one, and signs in again.
pub(crate) async fn first_sign_in(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    one_time: &str,
) -> Browser {
    let response = sign_in(http, base, email, one_time).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email}");
    assert_eq!(response.headers()[LOCATION], "/account/password", "{email}");
    let cookie = cookie_named(&response, "rapport_session").unwrap();
    // Nothing else is open until the password is changed.
    let blocked = http.get(format!("{base}/teams")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(blocked.headers()[LOCATION], "/account/password", "{email}");
    let page = http.get(format!("{base}/account/password")).header(COOKIE, &cookie).send().await.unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    let new_password = format!("{email} chose this");
    let weak = http
        .post(format!("{base}/account/password"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str()), ("current", one_time), ("new", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    let changed = http
        .post(format!("{base}/account/password"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str()), ("current", one_time), ("new", &new_password)])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    // The change ended the session.
    let ended = http.get(format!("{base}/account/tokens")).header(COOKIE, &cookie).send().await.unwrap();
    assert!(ended.headers()[LOCATION].to_str().unwrap().starts_with("/login"), "{email}");
    let again = sign_in(http, base, email, &new_password).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(again.headers()[LOCATION], "/");
    let cookie = cookie_named(&again, "rapport_session").unwrap();
    let page = http.get(format!("{base}/account/tokens")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_in(&page.text().await.unwrap());
    Browser { cookie, csrf }
}

/// The people of the matrix: (who, email, role, team).
const PEOPLE: [(&str, &str, &str, Option<&str>); 6] = [
    ("admin", "admin@example.com", "admin", None),
    ("analyst", "sam.okafor@example.com", "security_analyst", None),
    ("manager", "priya.nair@example.com", "team_manager", Some("Payments")),
    ("other team", "marta.ruiz@example.com", "team_engineer", Some("Web")),
    ("executive", "olu.adeyemi@example.com", "executive", None),
    ("end user", "anna@acme.com", "end_user", None),
];

/// An open action of `team`.
fn action_of(rapport: &Rapport, team: &str) -> i64 {
    let lines = rapport.json_lines(&["actions", "--json", "--team", team]);
    lines.first().and_then(|line| line["id"].as_i64()).unwrap_or_else(|| panic!("{team} has an action"))
}

/// The security team uploads a scanner file from the imports page and by the API; nobody else
/// may, a forged form is refused, and a broken file is refused whole, named, with nothing stored.
async fn upload_as_the_roles_allow(http: &reqwest::Client, base: &str, browsers: &[Browser], db: &str) {
    let scan = corpus("scans/govulncheck/many_vulns.json");
    let bytes = std::fs::read(&scan).unwrap();
    let form = |bytes: Vec<u8>, name: &str| {
        reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()))
    };
    // The page's form: its CSRF token first, in the body (issue 19, item 5: never the address).
    let page_form = |csrf: &str, bytes: Vec<u8>, name: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.to_owned())
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()))
    };
    let imports = |browser: &Browser| {
        let request = http.get(format!("{base}/api/v1/imports")).header(COOKIE, &browser.cookie);
        async move { request.send().await.unwrap().json::<Vec<Value>>().await.unwrap().len() }
    };
    let analyst = &browsers[1];
    let before = imports(analyst).await;
    for (index, expected) in [(2, 403), (4, 403), (5, 403)] {
        let browser = &browsers[index];
        let response = http
            .post(format!("{base}/imports"))
            .header(COOKIE, &browser.cookie)
            .multipart(page_form(&browser.csrf, bytes.clone(), "many_vulns.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected, "{db}: upload as {}", PEOPLE[index].0);
    }
    let forged = http
        .post(format!("{base}/imports"))
        .header(COOKIE, &analyst.cookie)
        .multipart(form(bytes.clone(), "many_vulns.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{db}: an upload without the CSRF token");
    let in_the_address = http
        .post(format!("{base}/imports?csrf={}", analyst.csrf))
        .header(COOKIE, &analyst.cookie)
        .multipart(form(bytes.clone(), "many_vulns.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        in_the_address.status(),
        StatusCode::FORBIDDEN,
        "{db}: a token in the address counts for nothing"
    );
    let wrong = http
        .post(format!("{base}/imports"))
        .header(COOKIE, &analyst.cookie)
        .multipart(page_form(&browsers[0].csrf, bytes.clone(), "many_vulns.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "{db}: another session's token");
    let elsewhere = http
        .post(format!("{base}/logout"))
        .header(COOKIE, &analyst.cookie)
        .multipart(page_form(&analyst.csrf, Vec::new(), "empty"))
        .send()
        .await
        .unwrap();
    assert!(
        elsewhere.headers()[LOCATION].to_str().unwrap().starts_with("/login?next="),
        "{db}: a multipart form anywhere but an upload is nobody's"
    );

    let cut = bytes[..bytes.len() / 2].to_vec();
    let broken = http
        .post(format!("{base}/api/v1/imports"))
        .header(COOKIE, &analyst.cookie)
        .header("x-csrf-token", &analyst.csrf)
        .multipart(form(cut, "C:\\scans\\cut.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST, "{db}");
    let error: Value = broken.json().await.unwrap();
    let message = error["error"].as_str().unwrap();
    assert!(message.starts_with("cut.json: not valid govulncheck"), "{db}: {message}");
    assert!(message.contains("line"), "{db}: the place in the file: {message}");
    assert_eq!(imports(analyst).await, before, "{db}: a refused file leaves no import behind");
    // Issue 18, item 1: a file nested 50,000 deep is refused, and the server goes on answering.
    let deep = http
        .post(format!("{base}/api/v1/imports"))
        .header(COOKIE, &analyst.cookie)
        .header("x-csrf-token", &analyst.csrf)
        .multipart(form(crate::support::deep_nessus(), "deep.nessus"))
        .send()
        .await
        .unwrap();
    assert_eq!(deep.status(), StatusCode::BAD_REQUEST, "{db}");
    let message = deep.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("deep.nessus: not valid nessus") && message.contains("nest more than"),
        "{db}: {message}"
    );
    let alive = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK, "{db}: the server survives the file");
    assert_eq!(imports(analyst).await, before, "{db}: nothing stored");
    // Issue 19, item 7: a format named in the form, before the file, is the one read.
    for (named, expected) in [
        ("tenable", "the form's field \"format\": unknown format \"tenable\": expected one of trivy, grype"),
        ("sarif", "many_vulns.json: not valid sarif"),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("format", named)
            .part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name("many_vulns.json"));
        let refused = http
            .post(format!("{base}/api/v1/imports"))
            .header(COOKIE, &analyst.cookie)
            .header("x-csrf-token", &analyst.csrf)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{db}: {named}");
        let message = refused.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_owned();
        assert!(message.starts_with(expected), "{db}: {message}");
    }
    assert_eq!(imports(analyst).await, before, "{db}: nothing stored");

    let page = http
        .post(format!("{base}/imports"))
        .header(COOKIE, &analyst.cookie)
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf", analyst.csrf.clone())
                .text("format", "govulncheck")
                .part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name("many_vulns.json")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{db}");
    let page = page.text().await.unwrap();
    assert!(page.contains("Imported many_vulns.json as govulncheck"), "{db}: {page}");
    let again = http
        .post(format!("{base}/api/v1/imports"))
        .header(COOKIE, &analyst.cookie)
        .header("x-csrf-token", &analyst.csrf)
        .multipart(form(bytes, "many_vulns.json"))
        .send()
        .await
        .unwrap();
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["import"]["new"], 0, "{db}: the same file twice stores nothing twice: {again}");
    assert_eq!(again["import"]["known"], again["import"]["findings"], "{db}: {again}");
    assert_eq!(imports(analyst).await, before + 2, "{db}");
    let findings: Vec<Value> = http
        .get(format!("{base}/api/v1/findings?tool=govulncheck&limit=1000"))
        .header(COOKIE, &analyst.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(Some(findings.len() as u64), again["import"]["findings"].as_u64(), "{db}");
    assert!(
        findings.iter().all(|f| f["decision"].is_string()),
        "{db}: each upload is assessed at once: {findings:?}"
    );
}

/// The administrator keeps accounts from the browser: adds one with a one-time password,
/// disables it (its sessions end), enables it and resets its password; nobody else may, and
/// nobody may disable themselves.
async fn administer_accounts(http: &reqwest::Client, base: &str, browsers: &[Browser], db: &str) {
    let admin = &browsers[0];
    let post = |path: String, browser: &Browser, mut fields: Vec<(&'static str, String)>| {
        fields.push(("csrf", browser.csrf.clone()));
        http.post(format!("{base}{path}")).header(COOKIE, &browser.cookie).form(&fields).send()
    };
    let new = |email: &str| {
        vec![
            ("email", email.to_owned()),
            ("name", "Lee Chen".to_owned()),
            ("role", "team_engineer".to_owned()),
            ("team", "Payments".to_owned()),
        ]
    };
    let refused = post("/accounts".into(), &browsers[1], new("lee.chen@example.com")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{db}: an analyst keeps no accounts");
    let page =
        post("/accounts".into(), admin, new("lee.chen@example.com")).await.unwrap().text().await.unwrap();
    let password =
        page.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let again = post("/accounts".into(), admin, new("Lee.Chen@example.com")).await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "{db}: one account per email");
    let teamless = post(
        "/accounts".into(),
        admin,
        vec![("email", "x@example.com".into()), ("name", "X".into()), ("role", "team_manager".into())],
    )
    .await
    .unwrap();
    assert_eq!(teamless.status(), StatusCode::BAD_REQUEST, "{db}: a team manager needs a team");

    let lee = first_sign_in(http, base, "lee.chen@example.com", &password).await;
    let accounts: Vec<Value> = http
        .get(format!("{base}/api/v1/accounts"))
        .header(COOKIE, &admin.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_of =
        |email: &str| accounts.iter().find(|a| a["email"] == email).and_then(|a| a["id"].as_i64()).unwrap();
    let (lee_id, admin_id) = (id_of("lee.chen@example.com"), id_of("admin@example.com"));
    let yourself = post(format!("/accounts/{admin_id}/disable"), admin, vec![]).await.unwrap();
    assert_eq!(yourself.status(), StatusCode::CONFLICT, "{db}: nobody disables themselves");
    // Issue 19, item 5: what cannot be undone asks once, and does nothing until confirmed.
    let asked = post(format!("/accounts/{lee_id}/disable"), admin, vec![]).await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK, "{db}");
    let asked = asked.text().await.unwrap();
    assert!(asked.contains("<h1>Disable lee.chen@example.com?</h1>"), "{db}: {asked}");
    assert!(asked.contains("name=\"confirmed\" value=\"yes\""), "{db}: {asked}");
    assert!(asked.contains("action=\"/logout\""), "{db}: the menu and sign-out stay: {asked}");
    let still = http.get(format!("{base}/api/v1/teams/Payments/plan")).header(COOKIE, &lee.cookie).send();
    assert_eq!(still.await.unwrap().status(), StatusCode::OK, "{db}: asking disabled nobody");
    let disabled =
        post(format!("/accounts/{lee_id}/disable"), admin, vec![("confirmed", "yes".into())]).await.unwrap();
    assert_eq!(disabled.status(), StatusCode::OK, "{db}");
    let plan = http
        .get(format!("{base}/api/v1/teams/Payments/plan"))
        .header(COOKIE, &lee.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(plan.status(), StatusCode::UNAUTHORIZED, "{db}: a disabled account's session ends");
    post(format!("/accounts/{lee_id}/enable"), admin, vec![]).await.unwrap();
    let asked = post(format!("/accounts/{lee_id}/reset"), admin, vec![]).await.unwrap().text().await.unwrap();
    assert!(asked.contains("<h1>Give lee.chen@example.com a new one-time password?</h1>"), "{db}: {asked}");
    let page = post(format!("/accounts/{lee_id}/reset"), admin, vec![("confirmed", "yes".into())]);
    let page = page.await.unwrap().text().await.unwrap();
    assert!(page.contains("lee.chen@example.com: password reset."), "{db}: {page}");
    let fresh = page.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap();
    assert_ne!(fresh, password, "{db}");
    let by_api = http
        .post(format!("{base}/api/v1/accounts/{lee_id}/disable"))
        .header(COOKIE, &browsers[1].cookie)
        .header("x-csrf-token", &browsers[1].csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(by_api.status(), StatusCode::FORBIDDEN, "{db}");
}

/// The security team changes the policy from its page (a broken file is refused whole, with
/// the place) and declares an emergency on an action; partners may do neither.
async fn change_policy_and_declare_an_emergency(
    http: &reqwest::Client,
    base: &str,
    browsers: &[Browser],
    db: &str,
    (action, open_action): (i64, i64),
) {
    let (analyst, manager) = (&browsers[1], &browsers[2]);
    let post = |path: String, browser: &Browser, mut fields: Vec<(&'static str, String)>| {
        fields.push(("csrf", browser.csrf.clone()));
        http.post(format!("{base}{path}")).header(COOKIE, &browser.cookie).form(&fields).send()
    };
    let policy: Value = http
        .get(format!("{base}/api/v1/policy"))
        .header(COOKIE, &analyst.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let content = policy["content"].as_str().unwrap().to_owned();
    let version = policy["version"].as_i64().unwrap();
    let renamed = content.replacen("name = \"", "name = \"Revised ", 1).replacen(
        "weekly_budget_per_person = 3",
        "weekly_budget_per_person = 2",
        1,
    );
    assert_ne!(renamed, content, "{db}: the sample policy has a name");
    let refused = post("/policy".into(), manager, vec![("content", renamed.clone())]).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{db}: a partner changes no policy");
    let broken = post("/policy".into(), analyst, vec![("content", format!("{content}\nthis is not toml"))])
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST, "{db}");
    let page = broken.text().await.unwrap();
    assert!(page.contains("(submitted text)") && page.contains("line"), "{db}: {page}");
    // Issue 19, item 5: what was typed comes back in the form, with why, and the menu stays.
    assert!(page.contains("this is not toml</textarea>") && page.contains("Not applied: "), "{db}: {page}");
    assert!(page.contains("action=\"/logout\""), "{db}: {page}");
    // A browser sends the textarea's lines with CRLF. The difference is shown first, and
    // nothing is applied until it is confirmed.
    let typed = renamed.replace('\n', "\r\n");
    let asked = post("/policy".into(), analyst, vec![("content", typed.clone())]).await.unwrap();
    let asked = asked.text().await.unwrap();
    assert!(
        asked.contains(&format!("<h1>Apply this as policy version {}?</h1>", version + 1)),
        "{db}: {asked}"
    );
    assert!(
        asked.contains("+name = &#34;Revised ") && asked.contains("textarea name=\"content\" hidden"),
        "{db}: {asked}"
    );
    let still = http.get(format!("{base}/api/v1/policy")).header(COOKIE, &analyst.cookie).send();
    let still: Value = still.await.unwrap().json().await.unwrap();
    assert_eq!(still["version"].as_i64(), Some(version), "{db}: asking applied nothing");
    let applied =
        post("/policy".into(), analyst, vec![("content", typed), ("confirmed", "yes".into())]).await.unwrap();
    let page = applied.text().await.unwrap();
    assert!(page.contains(&format!("Applied as version {}", version + 1)), "{db}: {page}");
    assert!(
        page.contains("What changed") && page.contains("Revised"),
        "{db}: the difference is shown: {page}"
    );

    // Issue 19, item 2: the manager, who acknowledged the earlier version, reads the new one
    // and what changed since, in sentences and as the file's difference.
    let read = http.get(format!("{base}/teams/Payments/policy")).header(COOKIE, &manager.cookie).send();
    let page = read.await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("Payments acknowledged version {version}")), "{db}: {page}");
    assert!(page.contains(&format!("What changed since version {version}")), "{db}: {page}");
    assert!(page.contains("Acknowledge policy version"), "{db}: the manager may acknowledge it: {page}");
    let read =
        http.get(format!("{base}/api/v1/teams/Payments/policy")).header(COOKIE, &manager.cookie).send();
    let read: Value = read.await.unwrap().json().await.unwrap();
    assert_eq!(read["version"].as_i64(), Some(version + 1), "{db}: {read}");
    assert_eq!(read["acknowledged"]["version"].as_i64(), Some(version), "{db}: {read}");
    let change = &read["since_acknowledged"];
    let messages = |words: &str| {
        format!(
            "Each person gets at most {words} a week, emergencies aside, and none from 19:00 to 08:00 their time."
        )
    };
    assert_eq!(change["now"], serde_json::json!([messages("2 messages")]), "{db}: {read}");
    assert_eq!(change["before"], serde_json::json!([messages("3 messages")]), "{db}: {read}");
    assert!(change["difference"].as_str().unwrap().contains("+weekly_budget_per_person = 2"), "{db}");
    assert!(read["terms"][0].as_str().unwrap().starts_with("Act: fix it now"), "{db}: {read}");

    let reason = vec![("reason", "Exploited at a peer bank this morning".to_owned())];
    let by_partner = post(format!("/actions/{action}/emergency"), manager, reason.clone()).await.unwrap();
    assert_eq!(by_partner.status(), StatusCode::FORBIDDEN, "{db}: a partner declares no emergency");
    let declared = post(format!("/actions/{action}/emergency"), analyst, reason).await.unwrap();
    assert_eq!(declared.headers()[LOCATION], format!("/actions/{action}?said=emergency"), "{db}");
    let page =
        http.get(format!("{base}/actions/{action}")).header(COOKIE, &analyst.cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    let emergency = "Emergency, declared by sam.okafor@example.com: Exploited at a peer bank this morning";
    assert!(page.contains(emergency), "{db}: even once marked done, the emergency shows: {page}");
    assert!(!page.contains("Declare an emergency</button>"), "{db}: no second declaration is offered");

    // An emergency on open work says so with its reason, and every team's list puts it first.
    let reason = vec![("reason", "In the news".to_owned())];
    let declared = post(format!("/actions/{open_action}/emergency"), analyst, reason).await.unwrap();
    assert_eq!(declared.status(), StatusCode::SEE_OTHER, "{db}");
    let page = http
        .get(format!("{base}/actions/{open_action}"))
        .header(COOKIE, &analyst.cookie)
        .send()
        .await
        .unwrap();
    let standing = "emergency, declared by sam.okafor@example.com: In the news";
    assert!(page.text().await.unwrap().contains(standing), "{db}");
    let listed: Value = http
        .get(format!("{base}/api/v1/actions"))
        .header(COOKIE, &analyst.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], open_action, "{db}: the emergency is first: {listed}");
    assert_eq!(listed[0]["standing"], standing, "{db}");
}

#[test]
fn each_person_reads_their_own_messages_and_chooses_how_they_come() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rapport in each_backend() {
        runtime.block_on(async {
            let db = rapport.database.split(':').next().unwrap().to_owned();
            rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
            let priya = add_account(&rapport, "priya.nair@example.com", "team_manager", Some("Payments"));
            let marta = add_account(&rapport, "marta.ruiz@example.com", "team_engineer", Some("Web"));
            let served = serve(&rapport);
            let (base, http) = (served.base.clone(), client());
            let priya = first_sign_in(&http, &base, "priya.nair@example.com", &priya).await;
            let marta = first_sign_in(&http, &base, "marta.ruiz@example.com", &marta).await;
            let get = |path: String, browser: &Browser| {
                http.get(format!("{base}{path}")).header(COOKIE, &browser.cookie).send()
            };

            // Priya's inbox: her messages, each with where it stands, and none of Marta's.
            let inbox: Value = get("/api/v1/me/messages".into(), &priya).await.unwrap().json().await.unwrap();
            let inbox = inbox.as_array().unwrap();
            assert!(!inbox.is_empty(), "{db}");
            assert!(inbox.iter().all(|m| m["recipient"] == "priya.nair@example.com"), "{db}: {inbox:?}");
            assert!(
                inbox.iter().any(|m| m["delivery"].as_str().unwrap().starts_with("kept for the digest due ")),
                "{db}"
            );
            let first = inbox[0]["id"].as_i64().unwrap();
            let page = get("/me/messages".into(), &priya).await.unwrap().text().await.unwrap();
            assert!(page.contains(&format!("href=\"/messages/{first}\"")), "{db}: {page}");
            let message = get(format!("/messages/{first}"), &priya).await.unwrap();
            assert_eq!(message.status(), StatusCode::OK, "{db}");
            let message = message.text().await.unwrap();
            assert!(message.contains("class=\"button\""), "{db}: the ask is the one button: {message}");
            let theirs = get(format!("/messages/{first}"), &marta).await.unwrap();
            assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "{db}: another person's message is not found");

            // She chooses a weekly digest, from the page and from the API; nonsense is refused.
            let saved = http
                .post(format!("{base}/me/preferences"))
                .header(COOKIE, &priya.cookie)
                .form(&[("csrf", priya.csrf.as_str()), ("rhythm", "weekly")])
                .send()
                .await
                .unwrap();
            assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{db}");
            let page = get("/me/preferences?saved=1".into(), &priya).await.unwrap().text().await.unwrap();
            assert!(page.contains("value=\"weekly\" checked"), "{db}: {page}");
            assert!(page.contains("not between 19:00 and 08:00 (Asia/Kolkata)"), "{db}: {page}");
            let chosen: Value =
                get("/api/v1/me/preferences".into(), &priya).await.unwrap().json().await.unwrap();
            assert_eq!(chosen["rhythm"], "weekly", "{db}");
            let nonsense = http
                .put(format!("{base}/api/v1/me/preferences"))
                .header(COOKIE, &priya.cookie)
                .header("x-csrf-token", &priya.csrf)
                .json(&serde_json::json!({"rhythm": "hourly"}))
                .send()
                .await
                .unwrap();
            assert_eq!(nonsense.status(), StatusCode::BAD_REQUEST, "{db}");
            let body: Value = nonsense.json().await.unwrap();
            assert_eq!(
                body["error"], "rhythm: expected each, daily or weekly, got \"hourly\"",
                "{db}: {body}"
            );
            let marta_chose: Value =
                get("/api/v1/me/preferences".into(), &marta).await.unwrap().json().await.unwrap();
            assert_eq!(marta_chose["rhythm"], "daily", "{db}: one person's choice is theirs only");
        });
    }
}

#[test]
fn every_endpoint_answers_every_role_exactly_as_the_roles_allow() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rapport in each_backend() {
        runtime.block_on(walk_the_matrix(&rapport));
    }
}

async fn walk_the_matrix(rapport: &Rapport) {
    {
        let db = rapport.database.split(':').next().unwrap().to_owned();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let payments_action = action_of(rapport, "Payments");
        let platform_action = action_of(rapport, "Platform");
        let priyas =
            rapport.ok(&["messages", "list", "--person", "priya.nair@example.com", "--limit", "1", "--json"]);
        let priyas: Value = serde_json::from_str(priyas.trim()).unwrap();
        let priyas = format!("/messages/{}", priyas["id"]);
        let passwords: Vec<String> =
            PEOPLE.iter().map(|(_, email, role, team)| add_account(rapport, email, role, *team)).collect();
        let error = rapport.fails(&[
            "account",
            "add",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "team_manager",
        ]);
        assert!(error.contains("needs a team"), "{error}");
        let served = serve(rapport);
        let base = served.base.clone();
        let http = client();

        let mut browsers = Vec::new();
        for ((_, email, ..), password) in PEOPLE.iter().zip(&passwords) {
            browsers.push(first_sign_in(&http, &base, email, password).await);
        }
        returns_only_to_this_site(&http, &base, &db).await;
        sends_security_headers(&http, &base, &browsers[2], &db).await;

        // (method, path, expected status per person in PEOPLE order)
        let team = "/teams/Payments";
        let action = format!("/actions/{payments_action}");
        let api_plan = "/api/v1/teams/Payments/plan";
        let api_action = format!("/api/v1/actions/{payments_action}");
        let reads: Vec<(String, [u16; 6])> = vec![
            ("/".into(), [303; 6]),
            ("/teams".into(), [200, 200, 403, 403, 200, 403]),
            (team.into(), [200, 200, 200, 404, 200, 404]),
            ("/teams/Web".into(), [200, 200, 404, 200, 200, 404]),
            ("/teams/No%20such%20team".into(), [404, 404, 404, 404, 404, 404]),
            (action.clone(), [200, 200, 200, 404, 200, 404]),
            ("/actions/999999".into(), [404; 6]),
            ("/audit".into(), [200, 200, 403, 403, 403, 403]),
            ("/api/v1/audit?what=login&search=example".into(), [200, 200, 403, 403, 403, 403]),
            ("/queue".into(), [200, 200, 403, 403, 403, 403]),
            ("/api/v1/queue".into(), [200, 200, 403, 403, 403, 403]),
            ("/metrics".into(), [200, 200, 403, 403, 403, 403]),
            ("/account/tokens".into(), [200; 6]),
            ("/me/devices".into(), [200; 6]),
            ("/api/v1/me/devices".into(), [200; 6]),
            ("/me/messages".into(), [200; 6]),
            ("/api/v1/me/messages".into(), [200; 6]),
            ("/me/preferences".into(), [200; 6]),
            ("/api/v1/me/preferences".into(), [200; 6]),
            (priyas.clone(), [200, 200, 200, 404, 404, 404]),
            (format!("/api/v1{priyas}"), [200, 200, 200, 404, 404, 404]),
            ("/messages/999999".into(), [404; 6]),
            ("/account/password".into(), [200; 6]),
            ("/api/v1/me".into(), [200; 6]),
            ("/api/v1/teams".into(), [200, 200, 403, 403, 200, 403]),
            (api_plan.into(), [200, 200, 200, 404, 200, 404]),
            ("/teams/Payments/policy".into(), [200, 200, 200, 404, 200, 404]),
            ("/api/v1/teams/Payments/policy".into(), [200, 200, 200, 404, 200, 404]),
            ("/api/v1/teams/No%20such%20team/policy".into(), [404; 6]),
            (api_action.clone(), [200, 200, 200, 404, 200, 404]),
            ("/no/such/page".into(), [404; 6]),
            // Every team's health for the security team and the executives, a partner's own.
            ("/health".into(), [200, 200, 200, 200, 200, 403]),
            ("/api/v1/health?months=3".into(), [200, 200, 200, 200, 200, 403]),
            ("/health?team=Payments".into(), [200, 200, 200, 404, 200, 403]),
            ("/api/v1/health?team=Web".into(), [200, 200, 404, 200, 200, 403]),
            ("/api/v1/health?months=30".into(), [400, 400, 400, 400, 400, 403]),
            // The monthly briefing: the executives' for them and the security team, a partner's
            // own team's as its manager reads it.
            ("/briefing".into(), [200, 200, 200, 200, 200, 403]),
            ("/api/v1/briefing".into(), [200, 200, 200, 200, 200, 403]),
            ("/briefing?team=Payments".into(), [200, 200, 200, 404, 200, 403]),
            ("/api/v1/briefing?team=Web".into(), [200, 200, 404, 200, 200, 403]),
            ("/api/v1/briefing?month=November".into(), [400, 400, 400, 400, 400, 403]),
            ("/api/v1/briefing?month=2999-01".into(), [400, 400, 400, 400, 400, 403]),
        ];
        // The security team's own pages and their API, for the security team only.
        let security_only = [200, 200, 403, 403, 403, 403];
        let mut reads = reads;
        for path in [
            "/overview",
            "/findings",
            "/findings/1",
            "/assets/unowned",
            "/policy",
            "/people",
            "/imports",
            "/messages",
            "/templates",
            "/templates/action_due_soon.manager",
            "/campaigns",
        ] {
            reads.push((path.into(), security_only));
            reads.push((format!("/api/v1{path}"), security_only));
        }
        reads.push(("/findings?severity=high&tool=trivy&target=debian&limit=5".into(), security_only));
        reads.push(("/outbox?state=queued".into(), security_only));
        reads.push(("/campaigns/restart-weekly".into(), security_only));
        reads.push(("/api/v1/campaigns/restart-weekly/people".into(), security_only));
        reads.push(("/api/v1/outbox?state=nonsense".into(), [400, 400, 403, 403, 403, 403]));
        reads.push(("/templates/action_due_soon.boss".into(), [404, 404, 403, 403, 403, 403]));
        let everything = [200, 200, 403, 403, 200, 403];
        reads.push(("/actions".into(), everything));
        reads.push(("/actions?team=Payments&state=closed".into(), everything));
        reads.push(("/api/v1/actions?team=Payments&limit=3".into(), everything));
        reads.push(("/api/v1/actions?state=nonsense".into(), [400, 400, 403, 403, 400, 403]));
        let admin_only = [200, 403, 403, 403, 403, 403];
        reads.push(("/accounts".into(), admin_only));
        reads.push(("/api/v1/accounts".into(), admin_only));
        reads.push(("/api/v1/findings?severity=nonsense".into(), [400, 400, 403, 403, 403, 403]));
        for (path, expected) in &reads {
            for (index, browser) in browsers.iter().enumerate() {
                let response =
                    http.get(format!("{base}{path}")).header(COOKIE, &browser.cookie).send().await.unwrap();
                assert_eq!(
                    response.status().as_u16(),
                    expected[index],
                    "{db}: GET {path} as {}",
                    PEOPLE[index].0
                );
            }
            // Nobody signed in: pages send to the sign-in page, the API and metrics say 401.
            let response = http.get(format!("{base}{path}")).send().await.unwrap();
            let anonymous = response.status();
            if path.starts_with("/api/") || path == "/metrics" {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{db}: GET {path} signed out");
            } else if path != "/no/such/page" {
                assert_eq!(anonymous, StatusCode::SEE_OTHER, "{db}: GET {path} signed out");
                assert!(response.headers()[LOCATION].to_str().unwrap().starts_with("/login?next="));
            }
        }
        let health = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);

        // A partner sees its own plan, in its words.
        let plan: Value = http
            .get(format!("{base}{api_plan}"))
            .header(COOKIE, &browsers[2].cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(plan["team"], "Payments", "{db}: {plan}");
        let page = http
            .get(format!("{base}{team}"))
            .header(COOKIE, &browsers[2].cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Payments: the plan") && page.contains("Done, please verify"), "{db}: {page}");

        // Writes: without the CSRF token a session's write is refused.
        let forged = http
            .post(format!("{base}{api_action}/done"))
            .header(COOKIE, &browsers[2].cookie)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{db}: a write without the CSRF token");
        // Only Payments' manager acknowledges the policy for Payments (a plain HTML form).
        for (index, expected) in [(0, 403), (1, 403), (3, 404), (4, 403), (5, 404), (2, 303)] {
            let browser = &browsers[index];
            let response = http
                .post(format!("{base}{team}/acknowledge"))
                .header(COOKIE, &browser.cookie)
                .form(&[("csrf", browser.csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), expected, "{db}: acknowledge as {}", PEOPLE[index].0);
        }
        let page = http
            .get(format!("{base}{team}"))
            .header(COOKIE, &browsers[2].cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("The team has acknowledged <a href=\"/teams/Payments/policy\">policy version"),
            "{db}"
        );

        // Answers: feedback, "not ours" and exceptions, as the roles allow.
        for (index, expected) in [(4, 403), (3, 404), (5, 404), (2, 200)] {
            let browser = &browsers[index];
            let response = http
                .post(format!("{base}{api_action}/feedback"))
                .header(COOKIE, &browser.cookie)
                .header("x-csrf-token", &browser.csrf)
                .json(&serde_json::json!({"text": "Which hosts first?"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), expected, "{db}: feedback as {}", PEOPLE[index].0);
        }
        let manager = &browsers[2];
        let analyst = &browsers[1];
        let post_form = |path: String, browser: &Browser, fields: Vec<(&'static str, String)>| {
            let mut fields = fields;
            fields.push(("csrf", browser.csrf.clone()));
            http.post(format!("{base}{path}")).header(COOKIE, &browser.cookie).form(&fields).send()
        };
        let until = (today() + time::Duration::days(10)).to_string();
        let disputed = post_form(
            format!("{action}/not-ours"),
            manager,
            vec![("reason", "That image is the Web team's".into()), ("suggested_team", "Web".into())],
        )
        .await
        .unwrap();
        assert_eq!(disputed.headers()[LOCATION], format!("{action}?said=not_ours"), "{db}");
        // Issue 18, item 9: the "not ours" form used to list every team to a partner.
        let page = http.get(format!("{base}{action}")).header(COOKIE, &manager.cookie).send().await.unwrap();
        let page = page.text().await.unwrap();
        assert!(page.contains("name=\"suggested_team\""), "{db}: {page}");
        for other in ["Platform", "Workplace IT"] {
            assert!(!page.contains(other), "{db}: a partner's action page names the {other} team");
        }
        let asked = post_form(
            format!("{action}/exception"),
            manager,
            vec![("reason", "The vendor ships the fix next sprint".into()), ("until", until.clone())],
        )
        .await
        .unwrap();
        assert_eq!(asked.status(), StatusCode::SEE_OTHER, "{db}");
        let too_long = post_form(
            format!("{action}/exception"),
            manager,
            vec![("reason", "forever".into()), ("until", "2099-01-01".into())],
        )
        .await
        .unwrap();
        assert_eq!(too_long.status(), StatusCode::BAD_REQUEST, "{db}: beyond the policy's longest exception");
        let queue: Value = http
            .get(format!("{base}/api/v1/queue"))
            .header(COOKIE, &analyst.cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let exception = queue["exceptions"][0]["id"].as_i64().unwrap();
        let answers: Vec<&str> =
            queue["answers"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
        assert_eq!(answers, ["feedback", "not_ours"], "{db}: {queue}");
        let feedback = queue["answers"][0]["id"].as_i64().unwrap();
        let decision =
            vec![("decision", "approve".to_owned()), ("reason", "Compensated meanwhile".to_owned())];
        let by_partner =
            post_form(format!("/exceptions/{exception}/decision"), manager, decision.clone()).await.unwrap();
        assert_eq!(by_partner.status(), StatusCode::FORBIDDEN, "{db}: a partner decides nothing");
        let approved =
            post_form(format!("/exceptions/{exception}/decision"), analyst, decision).await.unwrap();
        assert_eq!(approved.status(), StatusCode::SEE_OTHER, "{db}");
        let reply = vec![("text", "Start with the internet-facing ones.".to_owned())];
        let by_partner =
            post_form(format!("/answers/{feedback}/reply"), manager, reply.clone()).await.unwrap();
        assert_eq!(by_partner.status(), StatusCode::FORBIDDEN, "{db}");
        let replied = post_form(format!("/answers/{feedback}/reply"), analyst, reply).await.unwrap();
        assert_eq!(replied.status(), StatusCode::SEE_OTHER, "{db}");
        let page = http.get(format!("{base}{action}")).header(COOKIE, &manager.cookie).send().await.unwrap();
        let page = page.text().await.unwrap();
        assert!(page.contains("Security replied: Start with the internet-facing ones."), "{db}: {page}");
        assert!(page.contains("exception granted"), "{db}: the history shows the decision");
        assert!(page.contains("accepted until"), "{db}: the action says it is accepted, everywhere");
        assert!(!page.contains("Ask for an exception"), "{db}: and offers no second request");
        // The teams page and `rapport plan` count the team's work the same way.
        let teams: Value = http
            .get(format!("{base}/api/v1/teams"))
            .header(COOKIE, &analyst.cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let payments =
            teams["teams"].as_array().unwrap().iter().find(|t| t["name"] == "Payments").unwrap().clone();
        let plan: Value =
            serde_json::from_str(&rapport.ok(&["plan", "--json", "--no-refresh", "--team", "Payments"]))
                .unwrap();
        let plan = &plan["plans"][0];
        assert_eq!(payments["open"], plan["actions"].as_array().unwrap().len(), "{db}: {payments} / {plan}");
        assert_eq!(payments["accepted"], plan["excepted"].as_array().unwrap().len(), "{db}: {payments}");
        assert_eq!(payments["accepted"], 1, "{db}: the approved exception sets its action aside");
        // Who may not answer for Payments is refused; its manager may, once, even
        // while an exception runs.
        for (index, expected) in [(4, 403), (3, 404), (5, 404), (2, 200), (1, 409)] {
            let browser = &browsers[index];
            let response = http
                .post(format!("{base}{api_action}/done"))
                .header(COOKIE, &browser.cookie)
                .header("x-csrf-token", &browser.csrf)
                .json(&serde_json::json!({"note": "patched"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), expected, "{db}: done as {}", PEOPLE[index].0);
        }

        // API tokens: shown once, hashed at rest, scoped and revocable.
        let made = http
            .post(format!("{base}/account/tokens"))
            .header(COOKIE, &manager.cookie)
            .form(&[("csrf", manager.csrf.as_str()), ("name", "dashboard"), ("scope", "read")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token =
            made.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        assert!(token.starts_with("rpt_"), "{token}");
        let read = http.get(format!("{base}{api_plan}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(read.status(), StatusCode::OK);
        let other =
            http.get(format!("{base}/api/v1/teams/Web/plan")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(other.status(), StatusCode::NOT_FOUND, "{db}: a token sees only its owner's team");
        let write = http
            .post(format!("{base}{api_action}/done"))
            .bearer_auth(&token)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(write.status(), StatusCode::FORBIDDEN, "{db}: a read token writes nothing");
        let listed =
            http.get(format!("{base}/account/tokens")).header(COOKIE, &manager.cookie).send().await.unwrap();
        let listed = listed.text().await.unwrap();
        assert!(!listed.contains(&token), "{db}: the secret is shown once");
        let id = listed.split("/account/tokens/").nth(1).unwrap().split('/').next().unwrap().to_owned();
        let revoked = http
            .post(format!("{base}/account/tokens/{id}/revoke"))
            .header(COOKIE, &manager.cookie)
            .form(&[("csrf", manager.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        let after = http.get(format!("{base}{api_plan}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "{db}: a revoked token");

        upload_as_the_roles_allow(&http, &base, &browsers, &db).await;
        administer_accounts(&http, &base, &browsers, &db).await;
        change_policy_and_declare_an_emergency(
            &http,
            &base,
            &browsers,
            &db,
            (payments_action, platform_action),
        )
        .await;

        // Guessing a password is slowed down: the sixth try within the minute is refused.
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(sign_in(&http, &base, "nobody@example.com", "a guess").await.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "{db}");

        // The audit log has who did what, each kind of act found by its name.
        let audit = |query: String| {
            let request =
                http.get(format!("{base}/api/v1/audit?{query}")).header(COOKIE, &browsers[1].cookie);
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{query}");
                response.json::<Vec<Value>>().await.unwrap()
            }
        };
        for act in [
            "login",
            "login failed",
            "login throttled",
            "password changed",
            "token created",
            "token revoked",
            "marked done",
            "policy acknowledged",
            "file imported",
            "account created",
            "account disabled",
            "account enabled",
            "password reset",
            "token used",
            "policy applied",
            "emergency declared",
            "exception granted",
            "security team replied",
        ] {
            let lines = audit(format!("what={}", act.replace(' ', "+"))).await;
            assert!(!lines.is_empty(), "{db}: the audit log lacks {act:?}");
            assert!(lines.iter().all(|line| line["what"] == act), "{db}: {act}: {lines:?}");
        }
        // Accounts made at the command line are there too, by whoever ran the command.
        let made = audit("what=account+created&search=olu.adeyemi".into()).await;
        assert_eq!(made.len(), 1, "{db}: {made:?}");
        assert!(made[0]["who"].as_str().unwrap().ends_with(" at the command line"), "{db}: {made:?}");
        assert_eq!(made[0]["from"], "command line", "{db}");
        assert_eq!(made[0]["detail"], "executive, with a one-time password", "{db}");
        let sam = audit("who=SAM.OKAFOR@example.com".into()).await;
        assert!(!sam.is_empty() && sam.iter().all(|line| line["who"] == PEOPLE[1].1), "{db}: {sam:?}");
        let page = http.get(format!("{base}/audit?what=login&page=2")).header(COOKIE, &browsers[1].cookie);
        let page = page.send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Nothing matches on page 2.") && page.contains("rel=\"prev\""), "{db}: {page}");
        let refused = http.get(format!("{base}/api/v1/audit?page=0")).header(COOKIE, &browsers[1].cookie);
        assert_eq!(refused.send().await.unwrap().status(), StatusCode::BAD_REQUEST, "{db}");
        let metrics =
            http.get(format!("{base}/metrics")).header(COOKIE, &browsers[0].cookie).send().await.unwrap();
        let metrics = metrics.text().await.unwrap();
        assert!(
            metrics.contains(
                "rapport_http_requests_total{method=\"GET\",route=\"/teams/{team}\",status=\"200\"}"
            ),
            "{metrics}"
        );

        // Signing out ends the session.
        let admin = &browsers[0];
        let out = http
            .post(format!("{base}/logout"))
            .header(COOKIE, &admin.cookie)
            .form(&[("csrf", admin.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let after = http.get(format!("{base}/api/v1/me")).header(COOKIE, &admin.cookie).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "{db}");
        drop(served);
    }
}

/// What an import leads to, as recorded: the decisions and the actions planning opened.
fn after_import(rapport: &Rapport) -> (Vec<Value>, Vec<(String, String, String)>) {
    let mut decisions = rapport.json_lines(&["decisions", "--json", "--limit", "1000"]);
    for decision in &mut decisions {
        decision.as_object_mut().unwrap().remove("decided_at");
    }
    decisions.sort_by_key(|line| line.to_string());
    let mut opened: Vec<(String, String, String)> = rapport
        .json_lines(&["events", "--json", "--kind", "action_opened"])
        .iter()
        .map(|e| (e["team"].to_string(), e["detail"].to_string(), e["actor"]["kind"].to_string()))
        .collect();
    opened.sort();
    (decisions, opened)
}

/// `rapport import` and an upload to the server are one workflow: the same file leaves the
/// same decisions and the same actions behind, both re-decided and re-planned.
#[test]
fn an_upload_and_rapport_import_decide_and_plan_the_same() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for (cli, server) in each_backend().into_iter().zip(each_backend()) {
        let db = cli.database.split(':').next().unwrap().to_owned();
        let kev = corpus("feeds/kev/known_exploited_vulnerabilities.json").display().to_string();
        let files = [sample("cyclonedx-log4j.json"), sample("grype-image.json")];
        // The scans' targets are known and owned, nothing is decided or planned yet.
        for rapport in [&cli, &server] {
            rapport.ok(&["import", "--no-plan", &files[0], &files[1]]);
            rapport.ok(&["people", "import", &sample("people/people.csv"), &sample("people/teams.csv")]);
            rapport.ok(&["owners", "apply", "--no-plan", &sample("ownership/ownership.toml")]);
            rapport.ok(&["intel", "import", "--no-assess", &kev]);
            assert!(
                rapport.json_lines(&["events", "--json", "--kind", "action_opened"]).is_empty(),
                "{}",
                rapport.database
            );
        }
        // The same rescans, from the command line and uploaded.
        for file in &files {
            cli.ok(&["import", file]);
        }
        let one_time = add_account(&server, "sam.okafor@example.com", "security_analyst", None);
        let served = serve(&server);
        runtime.block_on(async {
            let http = client();
            let analyst = first_sign_in(&http, &served.base, "sam.okafor@example.com", &one_time).await;
            for file in &files {
                let bytes = std::fs::read(file).unwrap();
                let name = std::path::Path::new(file).file_name().unwrap().to_str().unwrap().to_owned();
                let form = reqwest::multipart::Form::new()
                    .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
                let response = http
                    .post(format!("{}/api/v1/imports", served.base))
                    .header(COOKIE, &analyst.cookie)
                    .header("x-csrf-token", &analyst.csrf)
                    .multipart(form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{db}: {}", response.text().await.unwrap());
            }
        });
        let (cli_decisions, cli_opened) = after_import(&cli);
        let (server_decisions, server_opened) = after_import(&server);
        assert!(!cli_decisions.is_empty() && !cli_opened.is_empty(), "{db}: the import decided and planned");
        assert_eq!(cli_decisions, server_decisions, "{db}: the same decisions");
        assert_eq!(cli_opened, server_opened, "{db}: the same actions, opened by the same planning");
    }
}

/// The token `rapport account token` prints.
/// Issue 18, item 9: an account of a team the directory does not know used to be made, and
/// then saw an empty plan forever.
#[test]
fn an_account_of_a_team_the_directory_does_not_know_is_refused() {
    for rapport in each_backend() {
        let args = ["account", "add", "--email", "x@example.com", "--name", "X", "--role", "team_engineer"];
        let error = rapport.fails(&[&args[..], &["--team", "Payments"]].concat());
        assert!(error.contains("the directory has no team \"Payments\" (teams: none yet: import"), "{error}");
        rapport.ok(&["people", "import", &sample("people/people.csv"), &sample("people/teams.csv")]);
        let error = rapport.fails(&[&args[..], &["--team", "payments"]].concat());
        assert!(error.contains("no team \"payments\" (teams: "), "{error}");
        assert!(error.contains("Payments"), "{error}");
        rapport.ok(&[&args[..], &["--team", "Payments"]].concat());
    }
}

/// Issue 18, item 9: sign-ins used to be limited per account alone, so anyone guessing at an
/// account kept its owner out for as long as they kept guessing.
#[test]
fn guessing_elsewhere_or_spraying_from_the_same_office_keeps_no_one_out() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.split(':').next().unwrap().to_owned();
        let one_time = add_account(&rapport, "admin@example.com", "admin", None);
        let proxy = rapport.write("server.toml", b"trusted_proxies = [\"127.0.0.1\"]\n");
        let served =
            crate::support::serve_with(&rapport, &["--config", &proxy, "--listen", "127.0.0.1:0"], &[]);
        let (http, base) = (client(), served.base.clone());
        runtime.block_on(async {
            let office = Some("10.0.0.9");
            let admin = ("admin@example.com", one_time.as_str());
            let first = sign_in_from(&http, &base, admin, office, None).await;
            assert_eq!(first.status(), StatusCode::SEE_OTHER, "{db}");
            let device =
                cookie_named(&first, "rapport_device").expect("a known browser gets a device cookie");

            // Address after address guesses the admin's password until the account's allowance
            // is spent (each address alone is stopped after five), and someone in the same
            // office sprays a guess at account after account until the office's is spent too.
            let mut guessed = 0;
            while guessed < 100 {
                let address = format!("198.51.100.{}", guessed / 5);
                let guess = sign_in_from(&http, &base, ("admin@example.com", "guess"), Some(&address), None);
                guessed += 1;
                if guess.await.status() == StatusCode::TOO_MANY_REQUESTS {
                    break;
                }
            }
            assert!(guessed < 100, "{db}: the account's allowance was never spent");
            let mut sprayed = 0;
            while sprayed < 200 {
                let email = format!("person{sprayed}@example.com");
                sprayed += 1;
                let spray = sign_in_from(&http, &base, (&email, "Winter2026!"), office, None).await;
                if spray.status() == StatusCode::TOO_MANY_REQUESTS {
                    break;
                }
            }
            assert!(sprayed < 200, "{db}: the office's allowance was never spent");
            let known = sign_in_from(&http, &base, admin, office, Some(&device)).await;
            assert_eq!(known.status(), StatusCode::SEE_OTHER, "{db}: the admin's own browser signs in");
        });
        drop(served);
    }
}

/// Issue 18, item 6: an upload's import commits before deciding and planning run in
/// transactions of their own; a crash between the two left every finding undecided, and a
/// restart did not catch up. `--no-plan` leaves the database exactly as such a crash does.
#[test]
#[allow(clippy::disallowed_methods, reason = "waiting for the server's catching up, which has no signal")]
fn a_starting_server_catches_up_on_the_deciding_and_planning_an_import_was_owed() {
    for rapport in each_backend() {
        let db = rapport.database.split(':').next().unwrap().to_owned();
        let owed = |rapport: &Rapport| -> Vec<bool> {
            let imports = rapport.json_lines(&["imports", "--json"]);
            imports.iter().map(|import| import["awaiting_refresh"].as_bool().unwrap()).collect()
        };
        rapport.ok(&["people", "import", &sample("people/people.csv"), &sample("people/teams.csv")]);
        rapport.ok(&["owners", "apply", &sample("ownership/ownership.toml")]);
        rapport.ok(&["import", &sample("cyclonedx-log4j.json")]);
        assert_eq!(owed(&rapport)[2..], [false], "{db}: an import that planned owes nothing");
        rapport.ok(&["import", "--no-plan", &sample("grype-image.json")]);
        assert_eq!(owed(&rapport)[2..], [false, true], "{db}");
        let undecided = |rapport: &Rapport| rapport.ok(&["decisions", "--json"]).matches("busybox").count();
        assert_eq!(undecided(&rapport), 0, "{db}: the image's findings are not decided yet");

        let served = serve(&rapport);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while owed(&rapport).contains(&true) {
            assert!(std::time::Instant::now() < deadline, "{db}: the server never caught up");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        assert!(undecided(&rapport) > 0, "{db}: the image's findings are decided");
        let plan = rapport.ok(&["actions"]);
        assert!(plan.contains("busybox"), "{db}: and planned: {plan}");
        drop(served);
    }
}

/// Issue 18, item 2: while a long import held SQLite's one writer, every request with a token
/// answered 500 after 30 s (its first use each minute was written down first), signing in
/// failed the same way (it wrote a session), and a second import failed with "database is
/// locked". Here another process holds the main file's writer, as a 4M-finding import does
/// for 100 s, while the server is read from, people sign in and out, and a second import starts.
#[test]
fn a_long_import_stops_no_reader_and_the_next_import_waits_its_turn() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let rapport = each_backend().remove(0);
    crate::support::sample_estate(&rapport);
    let one_time = add_account(&rapport, crate::support::PAYMENTS_MANAGER, "team_manager", Some("Payments"));
    let served = serve(&rapport);
    let (http, base) = (client(), served.base.clone());
    let manager = runtime.block_on(first_sign_in(&http, &base, crate::support::PAYMENTS_MANAGER, &one_time));
    let token = cli_token(&rapport, crate::support::PAYMENTS_MANAGER, "read");

    let file = rapport.database.trim_start_matches("sqlite://").to_owned();
    let mut writer = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
                      c.execute('BEGIN IMMEDIATE')\nprint('writing', flush=True)\ntime.sleep(600)",
            &file,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 holds the write lock");
    let mut said = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(writer.stdout.take().unwrap()), &mut said)
        .unwrap();
    assert_eq!(said.trim(), "writing");

    let mut second = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["import", &sample("osv-scanner.json")])
        .env("RAPPORT_DATABASE_URL", &rapport.database)
        .current_dir(rapport.work.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // It says it waits (the writer holds on until told to stop, so this comes first).
    let mut waits = String::new();
    let mut second_errors = std::io::BufReader::new(second.stderr.take().unwrap());
    std::io::BufRead::read_line(&mut second_errors, &mut waits).unwrap();
    assert!(waits.contains("this one waits its turn"), "the second import says it waits: {waits:?}");
    runtime.block_on(async {
        // Well inside the 30 s a write would wait before it failed.
        let patient = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let plan = patient.get(format!("{base}/api/v1/teams/Payments/plan")).bearer_auth(&token).send().await;
        assert_eq!(plan.unwrap().status(), StatusCode::OK, "a token's request while the writer is busy");
        let page = patient.get(format!("{base}/teams/Payments")).header(COOKIE, &manager.cookie).send().await;
        assert_eq!(page.unwrap().status(), StatusCode::OK, "a signed-in page while the writer is busy");
        let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(ready.text().await.unwrap().contains("another import is writing"));
        let health = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK, "the server itself is well");

        // Signing in and out writes only the access file (sessions and the audit log).
        let password = format!("{} chose this", crate::support::PAYMENTS_MANAGER);
        let wrong = sign_in(&patient, &base, crate::support::PAYMENTS_MANAGER, "not the password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "a wrong password while the writer is busy");
        let signed = sign_in(&patient, &base, crate::support::PAYMENTS_MANAGER, &password).await;
        assert_eq!(signed.status(), StatusCode::SEE_OTHER, "signing in while the writer is busy");
        let session = cookie_named(&signed, "rapport_session").unwrap();
        let page =
            patient.get(format!("{base}/account/tokens")).header(COOKIE, &session).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "the new session works");
        let csrf = csrf_in(&page.text().await.unwrap());
        let out = patient
            .post(format!("{base}/logout"))
            .header(COOKIE, &session)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::SEE_OTHER, "signing out while the writer is busy");
        let ended = patient.get(format!("{base}/account/tokens")).header(COOKIE, &session).send().await;
        assert!(ended.unwrap().headers()[LOCATION].to_str().unwrap().starts_with("/login"));

        // A change to the main file waits the busy timeout, then says to send it again:
        // nothing was changed, and it is not a server error.
        let made = http
            .post(format!("{base}/account/tokens"))
            .header(COOKIE, &manager.cookie)
            .form(&[("csrf", manager.csrf.as_str()), ("name", "dashboard"), ("scope", "read")])
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(made.headers()[RETRY_AFTER], "60");
        let said = made.text().await.unwrap();
        assert!(said.contains("nothing was changed: send it again in a minute"), "{said}");
    });

    let _ = writer.kill();
    let _ = writer.wait();
    let second = second.wait_with_output().unwrap();
    let mut error = String::new();
    std::io::Read::read_to_string(&mut second_errors, &mut error).unwrap();
    assert!(second.status.success(), "the second import waited its turn: {error}");
    assert!(String::from_utf8_lossy(&second.stdout).contains("osv-scanner.json: 1 finding "));
    let ready = runtime.block_on(async { http.get(format!("{base}/readyz")).send().await.unwrap().status() });
    assert_eq!(ready, StatusCode::OK);
    drop(served);
}

/// Issue 18, item 8, through the server: an uploaded scan with a 20 MB title is stored cut,
/// the answer says so, and the server goes on answering.
#[test]
fn an_upload_of_text_longer_than_rapport_keeps_is_cut_and_said() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let original = std::fs::read_to_string(corpus("scans/trivy/issue_9092.json")).unwrap();
    let mut report: Value = serde_json::from_str(&original).unwrap();
    report["Results"][0]["Vulnerabilities"][0]["Title"] = Value::String("long ".repeat(4 << 20));
    let bytes = report.to_string().into_bytes();
    for rapport in each_backend() {
        let db = rapport.database.split(':').next().unwrap().to_owned();
        let one_time = add_account(&rapport, "admin@example.com", "admin", None);
        let served = serve(&rapport);
        let (http, base) = (client(), served.base.clone());
        runtime.block_on(async {
            let admin = first_sign_in(&http, &base, "admin@example.com", &one_time).await;
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name("long.json");
            let uploaded = http
                .post(format!("{base}/api/v1/imports"))
                .header(COOKIE, &admin.cookie)
                .header("x-csrf-token", &admin.csrf)
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await
                .unwrap();
            assert_eq!(uploaded.status(), StatusCode::OK, "{db}");
            let answer: Value = uploaded.json().await.unwrap();
            assert_eq!(answer["findings_cut"], 1, "{db}: {answer}");
            let listed =
                http.get(format!("{base}/api/v1/findings")).header(COOKIE, &admin.cookie).send().await;
            let listed: Vec<Value> = listed.unwrap().json().await.unwrap();
            let title = listed[0]["title"].as_str().unwrap();
            assert!(
                title.len() <= 1024 && title.contains("[cut by Rapport: 20971520 bytes"),
                "{db}: {title}"
            );
            let alive = http.get(format!("{base}/healthz")).send().await.unwrap();
            assert_eq!(alive.status(), StatusCode::OK, "{db}");
        });
        drop(served);
    }
}

fn cli_token(rapport: &Rapport, email: &str, scope: &str) -> String {
    let out = rapport.ok(&["account", "token", "--email", email, "--name", "script", "--scope", scope]);
    out.trim().rsplit(' ').next().unwrap().to_owned()
}

/// Issue 18, item 5: a token stops with the controls a session stops with, and a leaked token
/// administers nothing.
#[test]
fn tokens_stop_with_the_password_controls_and_administer_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.split(':').next().unwrap().to_owned();
        rapport.ok(&["people", "import", &sample("people/people.csv"), &sample("people/teams.csv")]);
        let admin_password = add_account(&rapport, "admin@example.com", "admin", None);
        let manager_password =
            add_account(&rapport, "priya.nair@example.com", "team_manager", Some("Payments"));
        let early = cli_token(&rapport, "priya.nair@example.com", "write");
        let served = serve(&rapport);
        let base = served.base.clone();
        runtime.block_on(async {
            let http = client();
            let me = |token: String| {
                let request = http.get(format!("{base}/api/v1/me")).bearer_auth(token);
                async move { request.send().await.unwrap() }
            };
            let refused = me(early.clone()).await;
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{db}: one-time password not changed yet");
            assert_eq!(refused.json::<Value>().await.unwrap()["code"], "change_password_first", "{db}");
            first_sign_in(&http, &base, "priya.nair@example.com", &manager_password).await;
            assert_eq!(
                me(early).await.status(),
                StatusCode::UNAUTHORIZED,
                "{db}: the password change revoked it"
            );

            let later = cli_token(&rapport, "priya.nair@example.com", "write");
            assert_eq!(me(later.clone()).await.status(), StatusCode::OK, "{db}");
            rapport.ok(&["account", "reset", "--email", "priya.nair@example.com"]);
            assert_eq!(me(later).await.status(), StatusCode::UNAUTHORIZED, "{db}: a reset revokes it");

            // An administrator's own write token makes no account and resets nobody.
            let admin = first_sign_in(&http, &base, "admin@example.com", &admin_password).await;
            let token = cli_token(&rapport, "admin@example.com", "write");
            let listed =
                http.get(format!("{base}/api/v1/accounts")).bearer_auth(&token).send().await.unwrap();
            assert_eq!(listed.status(), StatusCode::FORBIDDEN, "{db}");
            let made = http
                .post(format!("{base}/api/v1/accounts"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"email": "mallory@example.com", "name": "M", "role": "admin"}))
                .send()
                .await
                .unwrap();
            assert_eq!(made.status(), StatusCode::FORBIDDEN, "{db}: a token creates no administrator");
            let body: Value = made.json().await.unwrap();
            assert!(body["error"].as_str().unwrap().contains("signed in with a browser"), "{db}: {body}");
            let accounts = http
                .get(format!("{base}/api/v1/accounts"))
                .header(COOKIE, &admin.cookie)
                .send()
                .await
                .unwrap();
            let accounts: Value = accounts.json().await.unwrap();
            assert!(!accounts.to_string().contains("mallory"), "{db}: {accounts}");
        });
    }
}

/// Issue 19, item 6: every demo run gave its administrator a new one-time password, locking
/// out whoever had chosen their own. It is kept now, unless `--reset-admin` asks.
#[test]
fn the_demo_keeps_the_password_its_administrator_chose() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let rapport = each_backend().remove(0);
    let one_time = |said: &str| {
        let line = said.lines().find(|line| line.starts_with("Sign in as admin@rapport.local"));
        let line = line.unwrap_or_else(|| panic!("no way to sign in: {said}"));
        line.split("one-time password ").nth(1).and_then(|rest| rest.split(' ').next()).map(str::to_owned)
    };
    let (served, said) = demo_served(&rapport, &[]);
    let first = one_time(&said).expect("the first run gives a one-time password");
    let http = client();
    runtime.block_on(first_sign_in(&http, &served.base, "admin@rapport.local", &first));
    drop(served);

    let (served, said) = demo_served(&rapport, &[]);
    assert_eq!(one_time(&said), None, "{said}");
    assert!(said.contains("with the password you chose (`rapport demo --reset-admin`"), "{said}");
    let chosen = "admin@rapport.local chose this";
    let again = runtime.block_on(sign_in(&http, &served.base, "admin@rapport.local", chosen));
    assert_eq!(again.headers()[LOCATION], "/", "the chosen password still signs in");
    drop(served);

    let (served, said) = demo_served(&rapport, &["--reset-admin"]);
    let reset = one_time(&said).expect("asked to, the demo gives a new one-time password");
    let old = runtime.block_on(sign_in(&http, &served.base, "admin@rapport.local", chosen));
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "the chosen password no longer works");
    let new = runtime.block_on(sign_in(&http, &served.base, "admin@rapport.local", &reset));
    assert_eq!(new.headers()[LOCATION], "/account/password");
    drop(served);
}

/// Issue 19, item 2: the plan showed two weeks whatever the policy said, and hid the rest
/// behind "N more actions" with no way to see them.
#[test]
fn a_plan_shows_the_weeks_the_policy_lays_out_and_more_on_request() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let rapport = each_backend().remove(0);
    rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
    let one_time = add_account(&rapport, crate::support::PAYMENTS_MANAGER, "team_manager", Some("Payments"));
    let served = serve(&rapport);
    let (http, base) = (client(), served.base.clone());
    runtime.block_on(async {
        let manager = first_sign_in(&http, &base, crate::support::PAYMENTS_MANAGER, &one_time).await;
        let plan = |weeks: &str| {
            let request =
                http.get(format!("{base}/api/v1/teams/Payments/plan{weeks}")).header(COOKIE, &manager.cookie);
            async move { request.send().await.unwrap() }
        };
        let laid_out: Value = plan("").await.json().await.unwrap();
        assert_eq!(laid_out["weeks"].as_array().unwrap().len(), 4, "the sample policy's plan_weeks");
        let whole: Value = plan("?weeks=104").await.json().await.unwrap();
        assert_eq!((whole["later"].as_u64(), &whole["more_weeks"]), (Some(0), &Value::Null), "{whole}");
        let started = |plan: &Value| {
            let weeks = plan["weeks"].as_array().unwrap();
            weeks
                .iter()
                .flat_map(|w| w["items"].as_array().unwrap())
                .filter(|i| i["continued"] == false)
                .count()
        };
        let first: Value = plan("?weeks=1").await.json().await.unwrap();
        assert_eq!(first["weeks"].as_array().unwrap().len(), 1);
        let later = first["later"].as_u64().unwrap() as usize;
        assert_eq!(started(&first) + later, started(&whole), "every action is in a week or counted after");
        assert_eq!(first["more_weeks"].as_u64(), (later > 0).then_some(5), "{first}");
        let page = http.get(format!("{base}/teams/Payments?weeks=1")).header(COOKIE, &manager.cookie).send();
        let page = page.await.unwrap().text().await.unwrap();
        if later > 0 {
            assert!(
                page.contains("<a href=\"/teams/Payments?weeks=5\">Show the plan for 5 weeks</a>"),
                "{page}"
            );
        }
        for wrong in ["?weeks=0", "?weeks=105"] {
            let refused = plan(wrong).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{wrong}");
            let error: Value = refused.json().await.unwrap();
            assert!(
                error["error"]
                    .as_str()
                    .unwrap()
                    .starts_with("weeks: expected a number of weeks from 1 to 104")
            );
        }
        // A frozen week says what the freeze means for the work in it.
        let page =
            http.get(format!("{base}/teams/Payments?weeks=104")).header(COOKIE, &manager.cookie).send();
        let page = page.await.unwrap().text().await.unwrap();
        assert!(
            page.contains(
                "Frozen: End-of-year shutdown. Nothing but an emergency is booked on the frozen days"
            ),
            "{page}"
        );
    });
    drop(served);
}

/// Issue 19, item 3: the findings list stopped at 200 rows with no paging, team, decision or
/// state filter, order or search, and no finding had a page of its own.
#[test]
fn the_analyst_searches_filters_and_pages_findings_and_reads_one_with_its_decision() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        // The command line reads the same list and the same finding.
        let listed = rapport
            .ok(&["findings", "--search", "LOG4J", "--team", "payments", "--sort", "newest", "--json"]);
        let skipped = rapport.ok(&[
            "findings", "--search", "LOG4J", "--team", "payments", "--sort", "newest", "--skip", "1",
            "--limit", "1", "--json",
        ]);
        assert_eq!(listed.lines().nth(1), Some(skipped.trim_end()), "{db}");
        let why = rapport.ok(&["why", "CVE-2021-44228"]);
        assert!(
            why.contains("Action #") && why.contains("of Payments: Upgrade log4j-core to 2.15.0"),
            "{db}: {why}"
        );
        let one_time = add_account(&rapport, crate::support::SECURITY, "security_analyst", None);
        let served = serve(&rapport);
        let (http, base) = (client(), served.base.clone());
        runtime.block_on(async {
            let analyst = first_sign_in(&http, &base, crate::support::SECURITY, &one_time).await;
            let get = |path: String| {
                let request = http.get(format!("{base}{path}")).header(COOKIE, &analyst.cookie);
                async move { request.send().await.unwrap() }
            };
            let list = |query: &'static str| {
                let response = get(format!("/api/v1/findings?{query}"));
                async move {
                    let response = response.await;
                    assert_eq!(response.status(), StatusCode::OK, "{query}");
                    response.json::<Vec<Value>>().await.unwrap()
                }
            };
            let all = list("limit=1000").await;
            assert!(all.len() > 20, "{db}: the demo has findings: {}", all.len());

            // Search in any case, over ids, packages, targets and the advisory.
            let log4j = list("search=LOG4J&team=payments").await;
            assert!(!log4j.is_empty(), "{db}");
            for finding in &log4j {
                assert_eq!(finding["team"], "Payments", "{db}: {finding}");
                let text = format!(
                    "{} {} {} {}",
                    finding["vulnerability"], finding["what"], finding["target"], finding["title"]
                );
                assert!(text.to_lowercase().contains("log4j"), "{db}: {finding}");
            }
            let searched = list("search=CVE-2021-44228").await;
            assert!(searched.iter().any(|f| f["vulnerability"] == "CVE-2021-44228"), "{db}");
            assert!(!list("search=log4j-core").await.is_empty(), "{db}");
            assert!(
                list("search=log4j%25core").await.is_empty(),
                "{db}: a % is a percent sign, not a wildcard"
            );
            assert!(list("search=log4j_core").await.is_empty(), "{db}: an _ is itself, not any character");

            // Team, decision and state filters.
            let decision = log4j[0]["decision"].as_str().unwrap().to_lowercase();
            let decided =
                list(Box::leak(format!("decision={}", decision.replace('*', "%2A")).into_boxed_str())).await;
            assert!(!decided.is_empty(), "{db}");
            assert!(
                decided.iter().all(|f| f["decision"].as_str().unwrap().to_lowercase() == decision),
                "{db}"
            );
            let nobody = list("team=nobody&limit=1000").await;
            assert!(nobody.iter().all(|f| f["team"].is_null()), "{db}");
            let owned = all.iter().filter(|f| !f["team"].is_null()).count();
            assert_eq!(nobody.len() + owned, all.len(), "{db}: every finding is owned or not");
            let undecided = list("decision=undecided&limit=1000").await;
            assert!(undecided.iter().all(|f| f["decision"].is_null()), "{db}");
            assert!(list("state=resolved").await.iter().all(|f| !f["resolved"].is_null()), "{db}");
            assert!(list("state=any&limit=1000").await.len() >= all.len(), "{db}");

            // Pages follow one another without overlap, in every order.
            for order in ["", "&sort=newest", "&sort=vulnerability", "&sort=target"] {
                let leaked: &'static str = Box::leak(format!("limit=4{order}").into_boxed_str());
                let four = list(leaked).await;
                let first: &'static str = Box::leak(format!("limit=2&page=1{order}").into_boxed_str());
                let second: &'static str = Box::leak(format!("limit=2&page=2{order}").into_boxed_str());
                let paged: Vec<Value> = [list(first).await, list(second).await].concat();
                assert_eq!(paged, four, "{db}: pages of {order:?}");
            }
            let newest = list("sort=newest&limit=1000").await;
            let ids: Vec<i64> = newest.iter().map(|f| f["id"].as_i64().unwrap()).collect();
            assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{db}: newest first");

            // A word the list does not know is refused with the field and the words it knows.
            for (query, said) in [
                (
                    "decision=maybe",
                    "decision: expected act, attend, track*, track or undecided, got \"maybe\"",
                ),
                ("state=gone", "state: expected open, resolved or any, got \"gone\""),
                ("sort=random", "sort: expected severity, newest, vulnerability or target, got \"random\""),
                ("page=0", "page: expected 1 or more, got 0"),
            ] {
                let refused = get(format!("/api/v1/findings?{query}")).await;
                assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{db}: {query}");
                let error: Value = refused.json().await.unwrap();
                assert_eq!(error["error"], said, "{db}: {query}");
            }

            // The page links to the next and previous pages, keeping the filter.
            let page = get("/findings?search=log4j&limit=1&page=2".into()).await.text().await.unwrap();
            assert!(
                page.contains("href=\"/findings?search=log4j&#38;limit=1&#38;page=3\" rel=\"next\""),
                "{db}: {page}"
            );
            assert!(
                page.contains("href=\"/findings?search=log4j&#38;limit=1&#38;page=1\" rel=\"prev\""),
                "{db}: {page}"
            );
            assert!(page.contains(&format!("<a href=\"/findings/{}\">", log4j[1]["id"])), "{db}: {page}");

            // One finding: its decision with the evidence, its scores and its work.
            let id = searched.iter().find(|f| f["vulnerability"] == "CVE-2021-44228").unwrap()["id"].clone();
            let finding: Value = get(format!("/api/v1/findings/{id}")).await.json().await.unwrap();
            let decision = &finding["decision"];
            assert_eq!(decision["points"].as_array().unwrap().len(), 4, "{db}: {finding}");
            assert!(
                decision["evidence"][0]
                    .as_str()
                    .unwrap()
                    .starts_with("CISA KEV: CVE-2021-44228 added 2021-12-10"),
                "{db}: {finding}"
            );
            assert!(!finding["cvss"].as_array().unwrap().is_empty(), "{db}: {finding}");
            let actions = finding["actions"].as_array().unwrap();
            assert!(
                actions[0]["what"].as_str().unwrap().starts_with("Upgrade log4j-core to 2.15.0"),
                "{db}: {finding}"
            );
            let page = get(format!("/findings/{id}")).await.text().await.unwrap();
            assert!(
                page.contains("Finding #") && page.contains("Decision: <span class=\"tag"),
                "{db}: {page}"
            );
            assert!(
                page.contains("CISA KEV: CVE-2021-44228")
                    && page.contains(&format!("href=\"/actions/{}\"", actions[0]["id"])),
                "{db}: {page}"
            );
            assert_eq!(get("/findings/999999".into()).await.status(), StatusCode::NOT_FOUND, "{db}");
            assert_eq!(get("/api/v1/findings/999999".into()).await.status(), StatusCode::NOT_FOUND, "{db}");
        });
        drop(served);
    }
}

#[test]
fn the_analyst_gives_an_unowned_asset_and_a_disputed_action_to_a_team_as_the_next_ownership_version() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let disputed_action = action_of(&rapport, "Payments");
        let analyst_password = add_account(&rapport, crate::support::SECURITY, "security_analyst", None);
        let manager_password =
            add_account(&rapport, crate::support::PAYMENTS_MANAGER, "team_manager", Some("Payments"));
        let served = serve(&rapport);
        let (http, base) = (client(), served.base.clone());
        runtime.block_on(async {
            let analyst = first_sign_in(&http, &base, crate::support::SECURITY, &analyst_password).await;
            let manager =
                first_sign_in(&http, &base, crate::support::PAYMENTS_MANAGER, &manager_password).await;
            let get = |path: &str, browser: &Browser| {
                let request = http.get(format!("{base}{path}")).header(COOKIE, &browser.cookie);
                async move { request.send().await.unwrap() }
            };
            let post = |path: &str, browser: &Browser, fields: &[(&str, &str)]| {
                let mut fields: Vec<(&str, &str)> = fields.to_vec();
                fields.push(("csrf", &browser.csrf));
                let request =
                    http.post(format!("{base}{path}")).header(COOKIE, &browser.cookie).form(&fields);
                async move { request.send().await.unwrap() }
            };
            let page = get("/assets/unowned", &analyst).await.text().await.unwrap();
            assert!(page.contains("<td class=\"wrap\">2.3.4.5</td>"), "{db}: {page}");
            let give = [("team", "web"), ("kind", "host"), ("name", "2.3.4.5")];

            // Nobody else may, and a team the directory does not know is refused by name.
            assert_eq!(post("/assets/assign", &manager, &give).await.status(), StatusCode::FORBIDDEN, "{db}");
            let unknown =
                post("/assets/assign", &analyst, &[("team", "Webb"), ("kind", "host"), ("name", "2.3.4.5")]);
            let unknown = unknown.await;
            assert_eq!(unknown.status(), StatusCode::BAD_REQUEST, "{db}");
            assert!(
                unknown.text().await.unwrap().contains("the directory has no team &#34;Webb&#34;"),
                "{db}"
            );

            // First the difference, nothing applied yet.
            let asked = post("/assets/assign", &analyst, &give).await;
            assert_eq!(asked.status(), StatusCode::OK, "{db}");
            let asked = asked.text().await.unwrap();
            assert!(
                asked.contains("Give 2.3.4.5 to Web?") && asked.contains("ownership version 2"),
                "{db}: {asked}"
            );
            assert!(asked.contains("+match.name = &#34;2.3.4.5&#34;"), "{db}: {asked}");
            assert!(asked.contains("+team = &#34;Web&#34;"), "{db}: {asked}");
            assert!(asked.contains("1 asset changes owner"), "{db}: {asked}");
            assert_eq!(rapport.ok(&["owners", "history"]).lines().count(), 1, "{db}: nothing applied yet");

            // Confirmed: the next version is applied, the plans are rebuilt and the audit says who.
            let mut confirmed = give.to_vec();
            confirmed[0] = ("team", "Web");
            confirmed.push(("confirmed", "yes"));
            let applied = post("/assets/assign", &analyst, &confirmed).await;
            assert_eq!(applied.status(), StatusCode::SEE_OTHER, "{db}");
            assert_eq!(applied.headers()[LOCATION], "/assets/unowned?given=2", "{db}");
            let page = get("/assets/unowned?given=2", &analyst).await.text().await.unwrap();
            assert!(page.contains("Ownership version 2 is in force"), "{db}: {page}");
            assert!(!page.contains("<td class=\"wrap\">2.3.4.5</td>"), "{db}: {page}");
            let explained = rapport.ok(&["owners", "explain", "2.3.4.5"]);
            assert!(
                explained.contains("owner Web") && explained.contains("2.3.4.5 given to Web by"),
                "{db}: {explained}"
            );
            let web = rapport.ok(&["actions", "--team", "Web", "--json"]);
            assert!(web.contains("2.3.4.5"), "{db}: the host's work is in Web's plan: {web}");
            let audit = get("/audit", &analyst).await.text().await.unwrap();
            assert!(audit.contains("ownership changed") && audit.contains("2.3.4.5 given to Web"), "{db}");

            // The file keeps every rule and comment it had, after the new one.
            let original = std::fs::read_to_string(sample("ownership/ownership.toml")).unwrap();
            assert_eq!(rapport.ok(&["owners", "show", "1"]), original, "{db}");
            let second = rapport.ok(&["owners", "show"]);
            let (header, rules) = original.split_once("\n\n").unwrap();
            assert!(
                second.starts_with(&format!("{header}\n\n[[rule]]\nname = \"2.3.4.5 given to Web by")),
                "{db}: {second}"
            );
            assert!(second.ends_with(rules), "{db}: {second}");

            // A disputed action: its assets go to the team the analyst picks, the one the
            // partner suggested being picked already.
            let said = post(
                &format!("/actions/{disputed_action}/not-ours"),
                &manager,
                &[("reason", "The Java build cache is Web's"), ("suggested_team", "Web")],
            )
            .await;
            assert_eq!(said.status(), StatusCode::SEE_OTHER, "{db}");
            let queue = get("/queue", &analyst).await.text().await.unwrap();
            assert!(queue.contains(&format!("name=\"action\" value=\"{disputed_action}\"")), "{db}: {queue}");
            assert!(queue.contains("<option selected>Web</option>"), "{db}: {queue}");
            let action = disputed_action.to_string();
            let asked = post("/assets/assign", &analyst, &[("team", "Web"), ("action", &action)]).await;
            let asked = asked.text().await.unwrap();
            assert!(asked.contains("to Web?") && asked.contains("ownership version 3"), "{db}: {asked}");
            let applied = post(
                "/assets/assign",
                &analyst,
                &[("team", "Web"), ("action", &action), ("confirmed", "yes")],
            )
            .await;
            assert_eq!(applied.headers()[LOCATION], "/assets/unowned?given=3", "{db}");
            let web = rapport.ok(&["actions", "--team", "Web", "--json"]);
            assert!(web.contains("log4j-core"), "{db}: the disputed work moved to Web: {web}");
            let payments = rapport.ok(&["actions", "--team", "Payments", "--json"]);
            assert!(!payments.contains("log4j-core"), "{db}: and left Payments: {payments}");
            let explained = rapport.ok(&[
                "owners",
                "explain",
                "./configuration/.m2/repository/org/apache/logging/log4j/log4j-core/2.13.2",
            ]);
            assert!(
                explained.contains("owner Web") && explained.contains("criticality medium"),
                "{db}: only the owner changed: {explained}"
            );
            // The API says the same, and without `apply` changes nothing.
            let answer: Value = http
                .post(format!("{base}/api/v1/ownership/assignments"))
                .header(COOKIE, &analyst.cookie)
                .header("x-csrf-token", &analyst.csrf)
                .json(&serde_json::json!({
                    "team": "platform",
                    "asset": {"kind": "filesystem", "name": "trivy-debian-image.json"},
                }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(answer["version"], 4, "{db}: {answer}");
            assert_eq!(answer["applied"], false, "{db}: {answer}");
            assert_eq!(
                answer["changes"],
                serde_json::json!([{"asset": "trivy-debian-image.json", "before": null, "after": "Platform"}]),
                "{db}"
            );
            assert_eq!(rapport.ok(&["owners", "history"]).lines().count(), 3, "{db}");
            let (_, second_rules) = second.split_once("\n\n").unwrap();
            assert!(
                rapport.ok(&["owners", "show", "3"]).ends_with(second_rules),
                "{db}: each version builds on the last"
            );
        });
        drop(served);
    }
}

/// Issue 19, item 4: "nobody has said whether this system is reachable" is the security
/// team's to-do; the owning team is asked instead, and its answer is evidence with its name.
#[test]
fn the_team_is_asked_whether_a_place_is_reachable_and_its_answer_decides_with_its_name() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let action = action_of(&rapport, "Payments");
        let place = "./configuration/.m2/repository/org/apache/logging/log4j/log4j-core/2.13.2";
        let passwords = [
            add_account(&rapport, crate::support::SECURITY, "security_analyst", None),
            add_account(&rapport, crate::support::PAYMENTS_MANAGER, "team_manager", Some("Payments")),
            add_account(&rapport, "marta.ruiz@example.com", "team_engineer", Some("Web")),
        ];
        let served = serve(&rapport);
        let (http, base) = (client(), served.base.clone());
        runtime.block_on(async {
            let emails =
                [crate::support::SECURITY, crate::support::PAYMENTS_MANAGER, "marta.ruiz@example.com"];
            let mut browsers = Vec::new();
            for (email, password) in emails.into_iter().zip(&passwords) {
                browsers.push(first_sign_in(&http, &base, email, password).await);
            }
            let [analyst, manager, other] = &browsers[..] else { unreachable!() };
            let page = |browser: &Browser| {
                let request = http.get(format!("{base}/actions/{action}")).header(COOKIE, &browser.cookie);
                async move { request.send().await.unwrap().text().await.unwrap() }
            };
            let answer = |browser: &Browser, name: &str, said: &str| {
                let fields = [
                    ("csrf", browser.csrf.as_str()),
                    ("kind", "filesystem"),
                    ("name", name),
                    ("answer", said),
                ];
                let request = http
                    .post(format!("{base}/actions/{action}/reachability"))
                    .header(COOKIE, &browser.cookie)
                    .form(&fields);
                async move { request.send().await.unwrap() }
            };

            // The team is asked; the reason it reads has no to-do of the security team's in it.
            let theirs = page(manager).await;
            assert!(theirs.contains("Can it be reached from the internet?"), "{db}: {theirs}");
            assert!(!theirs.contains("nobody has said"), "{db}: {theirs}");
            let security = page(analyst).await;
            assert!(
                security.contains("nobody has said whether this system is reachable"),
                "{db}: {security}"
            );

            // Another team may not answer; a place that is not the action's is refused by name.
            assert_eq!(answer(other, place, "no").await.status(), StatusCode::NOT_FOUND, "{db}");
            let elsewhere = answer(manager, "busybox:1.32.1", "no").await;
            assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST, "{db}");
            assert!(elsewhere.text().await.unwrap().contains("busybox:1.32.1 is not where action"), "{db}");
            assert_eq!(answer(manager, place, "maybe").await.status(), StatusCode::BAD_REQUEST, "{db}");

            // "I don't know" is recorded and leaves the question open.
            let unsure = answer(manager, place, "unknown").await;
            assert_eq!(unsure.headers()[LOCATION], format!("/actions/{action}?said=unknown"), "{db}");
            let theirs = page(manager).await;
            assert!(theirs.contains("Priya Nair did not know, on "), "{db}: {theirs}");
            assert!(rapport.ok(&["why", "CVE-2021-44228"]).contains("nobody has said"), "{db}");

            // A no is evidence from then on, with her name, and the decision is made again.
            let said = answer(manager, place, "no").await;
            assert_eq!(said.headers()[LOCATION], format!("/actions/{action}?said=reachable"), "{db}");
            let why = rapport.ok(&["why", "CVE-2021-44228"]);
            assert!(
                why.contains("Priya Nair says this system is reachable only from inside the network"),
                "{db}: {why}"
            );
            assert!(why.contains("internal as Priya Nair answered on"), "{db}: {why}");
            let theirs = page(manager).await;
            assert!(!theirs.contains("Can it be reached from the internet?"), "{db}: asked once: {theirs}");
            assert!(
                theirs.contains("said whether it is reachable from the internet"),
                "{db}: in the history"
            );

            // The API takes the same answer.
            let api = http
                .post(format!("{base}/api/v1/actions/{action}/reachability"))
                .header(COOKIE, &manager.cookie)
                .header("x-csrf-token", &manager.csrf)
                .json(&serde_json::json!({"kind": "filesystem", "name": place, "answer": "yes"}))
                .send()
                .await
                .unwrap();
            assert_eq!(api.status(), StatusCode::OK, "{db}");
            let api: Value = api.json().await.unwrap();
            assert_eq!(api, serde_json::json!({"action": action, "answer": "yes"}), "{db}");
            let why = rapport.ok(&["why", "CVE-2021-44228"]);
            assert!(
                why.contains("Priya Nair says this system is reachable from the internet"),
                "{db}: {why}"
            );
        });
        drop(served);
    }
}

/// Issue 19, item 5: a refused form is no dead end: the page keeps the menu and the way to
/// sign out, and shows what was typed, to copy back; never a password.
#[test]
fn a_refused_form_keeps_the_menu_and_what_was_typed() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rapport = Rapport { database: format!("sqlite://{}/data/rapport.db", work.path().display()), work };
    rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
    let passwords =
        [add_account(&rapport, crate::support::PAYMENTS_MANAGER, "team_manager", Some("Payments"))];
    let served = serve(&rapport);
    let action = action_of(&rapport, "Payments");
    let (http, base) = (client(), served.base.clone());
    runtime.block_on(async {
        let manager = first_sign_in(&http, &base, crate::support::PAYMENTS_MANAGER, &passwords[0]).await;
        let far = (today() + time::Duration::days(4000)).to_string();
        let reason = "The vendor ships the fixed build in the spring, and we test it first.";
        let refused = http
            .post(format!("{base}/actions/{action}/exception"))
            .header(COOKIE, &manager.cookie)
            .header("referer", format!("{base}/actions/{action}"))
            .form(&[("csrf", manager.csrf.as_str()), ("reason", reason), ("until", &far)])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let page = refused.text().await.unwrap();
        assert!(page.contains("That could not be done"), "{page}");
        assert!(
            page.contains("action=\"/logout\"") && page.contains("href=\"/teams/Payments\""),
            "the menu: {page}"
        );
        assert!(page.contains("What you typed") && page.contains(reason), "{page}");
        assert!(page.contains(&format!("<a href=\"/actions/{action}\">Back to the form</a>")), "{page}");
        assert!(!page.contains("<dt>csrf</dt>"), "the CSRF token is not among what was typed");

        // A wrong current password is refused without echoing either password.
        let wrong = http
            .post(format!("{base}/account/password"))
            .header(COOKIE, &manager.cookie)
            .form(&[
                ("csrf", manager.csrf.as_str()),
                ("current", "not my password"),
                ("new", "a brand new secret 123"),
            ])
            .send()
            .await
            .unwrap();
        let page = wrong.text().await.unwrap();
        assert!(!page.contains("not my password") && !page.contains("a brand new secret"), "{page}");
    });
    drop(served);
}
