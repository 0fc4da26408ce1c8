//! `truce serve` (the HTTP service on a data directory) and `truce token` (bearer tokens for
//! restricted reads). The service itself is `truce-server`; this is glue: configuration from a
//! file, the environment and flags, a runtime, signals.

use crate::datadir::DataDir;
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use serde_json::json;
use std::path::Path;
use truce_model::Role;
use truce_server::access::Access;
use truce_server::{AppState, Config};

/// Resolves the configuration: defaults, then `file`, then `TRUCE_*` variables, then `--listen`.
pub fn config(file: Option<&Path>, listen: Option<&str>) -> Result<Config, Failure> {
    let mut c = match file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", f.display())))?;
            Config::from_toml(&text).map_err(|e| Failure::input(anyhow!("{}: {e}", f.display())))?
        }
        None => Config::default(),
    };
    c.apply_env(std::env::vars())
        .map_err(|e| Failure::input(anyhow!(e)))?;
    if let Some(l) = listen {
        c.listen = l.to_string();
    }
    // A CA file that cannot be used is bad input, said before anything is opened.
    if let Some(f) = &c.witness_ca_cert {
        truce_tls::read_ca_file(f).map_err(|e| Failure::input(anyhow!("witness_ca_cert: {e}")))?;
    }
    Ok(c)
}

/// `truce serve`: serves the data directory until SIGINT or SIGTERM, then finishes in-flight
/// requests and makes every acknowledged submission durable before exiting.
pub fn serve(dir: &DataDir, config: Config) -> Result<(), Failure> {
    serve_announcing(dir, config, |_| {})
}

/// [`serve`], calling `ready` with the bound address once listening (after the `listening on`
/// line on stdout).
pub fn serve_announcing(
    dir: &DataDir,
    config: Config,
    ready: impl FnOnce(std::net::SocketAddr),
) -> Result<(), Failure> {
    dir.reader()?; // a clear error if there is no log here
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::store(anyhow!("starting the runtime: {e}")))?;
    runtime.block_on(async move {
        let listen = config.listen.clone();
        let state = tokio::task::block_in_place(|| AppState::open(&dir.path, config))
            .map_err(|e| Failure::store(anyhow!("{}: {e}", dir.path.display())))?;
        let listener = tokio::net::TcpListener::bind(&listen).await.map_err(|e| {
            Failure::input(anyhow!(
                "cannot listen on {listen}: {e} (choose another --listen address, or port 0 for a free one)"
            ))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::store(anyhow!("{e}")))?;
        {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            let _ = writeln!(o, "listening on http://{addr}");
            let _ = o.flush();
        }
        ready(addr);
        tracing::info!(%addr, dir = %dir.path.display(), "serving");
        // Warm the derived views so the first query does not wait for a recompute.
        let warm = state.clone();
        tokio::spawn(async move {
            if let Err(e) = warm.0.views.current(&warm).await {
                tracing::warn!("computing the derived views: {e}");
            }
        });
        truce_server::serve(listener, state, shutdown_signal())
            .await
            .map_err(|e| Failure::store(anyhow!("serving: {e}")))
    })
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM: the graceful-shutdown trigger of every server command.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn access(dir: &DataDir) -> Result<Access, Failure> {
    dir.reader()?;
    Access::open(&dir.path, &Config::default())
        .map_err(|e| Failure::store(anyhow!("{}: {e}", dir.path.display())))
}

/// `truce token create`: prints the token once (it is stored only as a hash).
pub fn token_create(
    dir: &DataDir,
    party: &str,
    role: Role,
    label: &str,
    out: &Out,
) -> Result<(), Failure> {
    let a = access(dir)?;
    let ledger = crate::domain_cmd::replay(&dir.reader()?)?;
    truce_server::access::check_party_role(&ledger, party, role)
        .map_err(|e| Failure::input(anyhow!(e)))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (token, id) = a
        .create_token(party, role, label, now)
        .map_err(|e| Failure::input(anyhow!(e)))?;
    out.print(
        format!(
            "{token}\n(token {id} for {party} as {}; shown once: store it now)\n",
            role.as_str()
        ),
        json!({ "token": token, "id": id, "party": party, "role": role }),
    )
}

/// `truce token list`.
pub fn token_list(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let a = access(dir)?;
    let tokens = a.list().map_err(|e| Failure::store(anyhow!(e)))?;
    let mut text = String::new();
    for t in &tokens {
        text.push_str(&format!("{t}\n"));
    }
    if tokens.is_empty() {
        text.push_str("no tokens\n");
    }
    out.print(text, serde_json::to_value(&tokens).unwrap_or_default())
}

/// `truce token revoke`.
pub fn token_revoke(dir: &DataDir, id: &str, out: &Out) -> Result<(), Failure> {
    let a = access(dir)?;
    a.revoke(id).map_err(|e| Failure::input(anyhow!(e)))?;
    out.print(format!("revoked token {id}\n"), json!({ "revoked": id }))
}
