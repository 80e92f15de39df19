//! The commands about the server and who may use it: `serve` and `account`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use rapport_core::Role;
use rapport_server::{
    AccountRequest, Acting, ServerConfig, account_by_email, create_account, create_api_token, reset_password,
};
use rapport_storage::{Store, TokenScope};

use crate::commands::{now, open};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML file of settings (listen, session_hours, secure_cookies,
    /// login_attempts_per_minute, max_upload_mib, [oidc], public_url, [smtp]); `RAPPORT_*` environment variables
    /// override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where to listen (overrides the file and RAPPORT_LISTEN).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
}

pub async fn serve(database: &str, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    serve_store(store, &args).await
}

fn load_config(args: &ServeArgs) -> anyhow::Result<ServerConfig> {
    let mut config = ServerConfig::load(args.config.as_deref(), |name| std::env::var(name).ok())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    Ok(config)
}

async fn serve_store(store: Store, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(args)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    writeln!(crate::printable::stdout(), "Rapport is serving on http://{address}/ (stop with Ctrl-C).")?;
    tracing::info!(%address, "serving");
    rapport_server::serve(store.clone(), config, listener, stopped()).await?;
    store.close().await;
    // Whoever started us may have stopped reading; that is no reason to fail at the end.
    let _ = writeln!(crate::printable::stdout(), "Rapport stopped.");
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM, so the server finishes its requests in flight and stops.
async fn stopped() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account and print its one-time password (changed at first sign-in).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, security_analyst, team_manager, team_engineer, executive or end_user.
        #[arg(long)]
        role: String,
        /// The team, for team_manager and team_engineer.
        #[arg(long)]
        team: Option<String>,
    },
    /// Give an account a new one-time password; its sessions end.
    Reset {
        #[arg(long)]
        email: String,
    },
    /// Make an API token for an account and print it (shown once; only its hash is kept).
    Token {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// read, or write (read and answer).
        #[arg(long, default_value = "read")]
        scope: String,
    },
    /// List the accounts.
    List,
}

/// Who runs this command, as the audit log names them: the operating system's account.
fn at_the_command_line() -> Acting {
    Acting::command_line(&operating_system_user())
}

/// The operating system's account running this command.
pub fn operating_system_user() -> String {
    let user = ["USER", "LOGNAME"].into_iter().find_map(|name| std::env::var(name).ok());
    user.unwrap_or_else(|| "someone".to_owned())
}

pub async fn account(database: &str, command: AccountCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let by = at_the_command_line();
    match command {
        AccountCommand::Add { email, name, role, team } => {
            let request = AccountRequest { email, name, role, team };
            let password = create_account(&store, &request, &by, now()).await?;
            let role = Role::parse(&request.role).map_or("", Role::label);
            writeln!(
                crate::printable::stdout(),
                "Account {} ({role}) created. One-time password: {password}",
                request.email
            )?;
        }
        AccountCommand::Reset { email } => {
            let password =
                reset_password(&store, &account_by_email(&store, &email).await?, &by, now()).await?;
            writeln!(crate::printable::stdout(), "{email} has a new one-time password: {password}")?;
        }
        AccountCommand::Token { email, name, scope } => {
            let scope = TokenScope::parse(&scope)
                .with_context(|| format!("unknown scope {scope:?}: expected read or write"))?;
            let account = store
                .account_by_email(&email)
                .await?
                .with_context(|| format!("there is no account for {email}"))?;
            let (id, secret) = create_api_token(&store, &account, &name, scope, &by, now()).await?;
            writeln!(crate::printable::stdout(), "Token #{id} for {email} ({}): {secret}", scope.as_str())?;
        }
        AccountCommand::List => {
            for account in store.accounts().await? {
                let team = account.team.as_deref().map(|t| format!(" of {t}")).unwrap_or_default();
                let disabled = if account.disabled { " (disabled)" } else { "" };
                writeln!(
                    crate::printable::stdout(),
                    "{} <{}>: {}{team}{disabled}",
                    account.name,
                    account.email,
                    account.role.label()
                )?;
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The OpenAPI document of the server's JSON API.
pub fn openapi() -> anyhow::Result<ExitCode> {
    writeln!(crate::printable::stdout(), "{}", rapport_server::openapi_document())?;
    Ok(ExitCode::SUCCESS)
}

/// The demo's administrator: created the first time, given a new one-time password after.
pub const DEMO_ADMIN: &str = "admin@rapport.local";

/// How to sign in as the demo's administrator: a new one-time password the first time, while
/// the last one was never changed, or when `reset` asks; after they chose their own, that one
/// (a demo run again must not lock out whoever has been using it).
pub async fn demo_admin(store: &Store, reset: bool) -> anyhow::Result<String> {
    let one_time = match store.account_by_email(DEMO_ADMIN).await? {
        Some(account) if account.password_hash.is_some() && !account.must_change_password && !reset => {
            return Ok(format!(
                "Sign in as {DEMO_ADMIN} with the password you chose (`rapport demo --reset-admin` \
                 gives a new one-time password)."
            ));
        }
        Some(account) => reset_password(store, &account, &at_the_command_line(), now()).await?,
        None => {
            let request = AccountRequest {
                email: DEMO_ADMIN.into(),
                name: "Rapport administrator".into(),
                role: Role::Admin.as_str().into(),
                team: None,
            };
            create_account(store, &request, &at_the_command_line(), now()).await?
        }
    };
    Ok(format!(
        "Sign in as {DEMO_ADMIN} with the one-time password {one_time} (you choose your own at once)."
    ))
}

/// The demo ends by serving what it loaded.
pub async fn demo_serve(store: Store, listen: Option<std::net::SocketAddr>) -> anyhow::Result<ExitCode> {
    serve_store(store, &ServeArgs { config: None, listen }).await
}
