//! A private PostgreSQL server run from the machine's PostgreSQL binaries:
//! the default database of `claimdb serve` and of the test suite.
//!
//! Layout under the base directory: `pgdata/` (the cluster), `run/` (its
//! Unix socket; no TCP port is opened) and `postgres.log`. PostgreSQL refuses
//! to run as root, so when we are root the cluster is owned by and run as an
//! unprivileged user (`postgres` when it exists, else `nobody`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor};

/// The superuser the private cluster is initialized with.
const SUPERUSER: &str = "claimdb";
/// Socket "port" (it names the socket file; no TCP port is opened).
const PORT: u16 = 5432;

/// Why the local PostgreSQL could not be run.
#[derive(Debug, thiserror::Error)]
pub enum LocalPgError {
    /// No `initdb`/`pg_ctl` on PATH or under /usr/lib/postgresql.
    #[error(
        "no PostgreSQL server binaries found (looked for initdb and pg_ctl on PATH and under \
         /usr/lib/postgresql/*/bin). Install them (Debian/Ubuntu: `apt-get install -y postgresql`; \
         Fedora: `dnf install postgresql-server`; macOS: `brew install postgresql`) or set DATABASE_URL"
    )]
    NoBinaries,
    /// A directory the server needs cannot be reached by the user it runs as.
    #[error("{0}")]
    Permissions(String),
    /// A PostgreSQL tool failed.
    #[error("{tool} failed: {detail}")]
    Tool {
        /// The tool.
        tool: String,
        /// Its output, or the spawn error.
        detail: String,
    },
    /// A file-system operation failed.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// Creating the application database failed.
    #[error("creating the database failed: {0}")]
    Sql(#[from] sqlx::Error),
}

/// Settings of a private cluster.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// `max_connections` of the server.
    pub max_connections: u32,
    /// Turn off fsync and synchronous commit: for throwaway test clusters only.
    pub unsafe_fast: bool,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            max_connections: 100,
            unsafe_fast: false,
        }
    }
}

/// A running private PostgreSQL server.
#[derive(Debug)]
pub struct LocalPostgres {
    bin: PathBuf,
    base: PathBuf,
    run_as: Option<(u32, u32)>,
    started_here: bool,
}

/// Finds the directory holding `initdb` and `pg_ctl`: PATH first, then the
/// newest `/usr/lib/postgresql/N/bin` (Debian keeps them off PATH).
pub fn find_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

/// The uid/gid to run PostgreSQL as when we are root.
fn unprivileged_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    for name in [c"postgres", c"nobody"] {
        // SAFETY: getpwnam takes a NUL-terminated string and returns a pointer
        // to static storage or NULL; we copy the two fields out immediately.
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        if !pw.is_null() {
            // SAFETY: checked non-null above.
            let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
            return Some((uid, gid));
        }
    }
    Some((65534, 65534))
}

fn io_err(what: &Path) -> impl FnOnce(std::io::Error) -> LocalPgError + '_ {
    move |e| LocalPgError::Io(what.display().to_string(), e)
}

/// Every ancestor of `dir` must be searchable by `uid`, or PostgreSQL cannot
/// reach its own data directory.
fn check_reachable(dir: &Path, uid: u32) -> Result<(), LocalPgError> {
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = std::fs::metadata(ancestor) else {
            continue;
        };
        let mode = meta.permissions().mode();
        let searchable = mode & 0o001 != 0 || (meta.uid() == uid && mode & 0o100 != 0);
        if !searchable {
            return Err(LocalPgError::Permissions(format!(
                "PostgreSQL runs as uid {uid} (it refuses to run as root) and cannot reach {}: \
                 {} is not searchable by others. Choose a data directory outside it with \
                 --data-dir / CLAIMDB_DATA_DIR (e.g. /var/lib/claimdb), or set DATABASE_URL",
                dir.display(),
                ancestor.display()
            )));
        }
    }
    Ok(())
}

impl LocalPostgres {
    /// Initializes the cluster under `base` when needed and starts it (or
    /// adopts it when it is already running).
    pub async fn start(base: &Path, options: &LocalOptions) -> Result<Self, LocalPgError> {
        let bin = find_bin_dir().ok_or(LocalPgError::NoBinaries)?;
        let base = std::path::absolute(base).map_err(io_err(base))?;
        let pg = Self {
            bin,
            base,
            run_as: unprivileged_user(),
            started_here: false,
        };
        let options = options.clone();
        let pg = tokio::task::spawn_blocking(move || pg.start_blocking_inner(options))
            .await
            .map_err(|e| LocalPgError::Tool {
                tool: "start".into(),
                detail: e.to_string(),
            })??;
        pg.create_database().await?;
        Ok(pg)
    }

    fn start_blocking_inner(mut self, options: LocalOptions) -> Result<Self, LocalPgError> {
        self.prepare_dirs()?;
        if !self.pgdata().join("PG_VERSION").is_file() {
            self.initdb()?;
        }
        self.write_config(&options)?;
        if self
            .pg_ctl(&["status"])
            .map(|o| o.status.success())
            .unwrap_or(false)
        {
            tracing::info!(data = %self.pgdata().display(), "adopting running local PostgreSQL");
            return Ok(self);
        }
        let log = self.base.join("postgres.log");
        let out = self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log.to_string_lossy()])?;
        if !out.status.success() {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: String = tail
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            return Err(LocalPgError::Tool {
                tool: "pg_ctl start".into(),
                detail: format!("{}\n{tail}", String::from_utf8_lossy(&out.stderr)),
            });
        }
        self.started_here = true;
        tracing::info!(data = %self.pgdata().display(), "started local PostgreSQL");
        Ok(self)
    }

    fn pgdata(&self) -> PathBuf {
        self.base.join("pgdata")
    }

    /// The directory holding the server's Unix socket.
    pub fn socket_dir(&self) -> PathBuf {
        self.base.join("run")
    }

    fn prepare_dirs(&self) -> Result<(), LocalPgError> {
        std::fs::create_dir_all(&self.base).map_err(io_err(&self.base))?;
        for dir in [self.pgdata(), self.socket_dir()] {
            std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io_err(&dir))?;
            if let Some((uid, gid)) = self.run_as {
                std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(io_err(&dir))?;
            }
        }
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&self.base, Some(uid), Some(gid))
                .map_err(io_err(&self.base))?;
            check_reachable(&self.pgdata(), uid)?;
        }
        Ok(())
    }

    fn command(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(tool));
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::process::CommandExt::uid(&mut cmd, uid);
            std::os::unix::process::CommandExt::gid(&mut cmd, gid);
        }
        // Run from a directory the unprivileged user can read.
        cmd.current_dir(&self.base);
        cmd.env_remove("PGDATA").env("LC_ALL", "C");
        cmd
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<Output, LocalPgError> {
        self.command(tool)
            .args(args)
            .output()
            .map_err(|e| LocalPgError::Tool {
                tool: tool.into(),
                detail: e.to_string(),
            })
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<Output, LocalPgError> {
        let data = self.pgdata();
        let mut all = vec!["-D", data.to_str().unwrap_or_default()];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    fn initdb(&self) -> Result<(), LocalPgError> {
        let data = self.pgdata();
        // Byte-order collation (fast, the same everywhere), but a UTF-8
        // character classification: under a plain C locale the full-text
        // parser glues non-ASCII punctuation to words ("marzipan”" instead
        // of "marzipan"), so words next to curly quotes or dashes could not
        // be found. C.UTF-8 is missing on some systems: then plain C.
        let mut out = None;
        let locales: [&[&str]; 2] = [&["--lc-collate=C", "--lc-ctype=C.UTF-8"], &["--locale=C"]];
        for locale in locales {
            let mut args = vec![
                "-D".to_string(),
                data.to_string_lossy().into_owned(),
                "-U".into(),
                SUPERUSER.into(),
                "--auth=trust".into(),
                "-E".into(),
                "UTF8".into(),
            ];
            args.extend(locale.iter().map(|a| a.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let attempt = self.run("initdb", &args)?;
            let ok = attempt.status.success();
            out = Some(attempt);
            if ok {
                break;
            }
        }
        let Some(out) = out else {
            return Err(LocalPgError::Tool {
                tool: "initdb".into(),
                detail: "not run".into(),
            });
        };
        if !out.status.success() {
            return Err(LocalPgError::Tool {
                tool: "initdb".into(),
                detail: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).map_err(io_err(&conf))?;
        text.push_str("\ninclude_if_exists = 'claimdb.conf'\n");
        std::fs::write(&conf, text).map_err(io_err(&conf))
    }

    /// Settings rewritten at every start: socket only, connection budget.
    fn write_config(&self, o: &LocalOptions) -> Result<(), LocalPgError> {
        let path = self.pgdata().join("claimdb.conf");
        let socket = self.socket_dir().to_string_lossy().replace('\'', "''");
        let mut text = format!(
            "# Written by claimdb at every start.\nlisten_addresses = ''\nport = {PORT}\n\
             unix_socket_directories = '{socket}'\nmax_connections = {}\n",
            o.max_connections
        );
        if o.unsafe_fast {
            text.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        std::fs::write(&path, text).map_err(io_err(&path))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).map_err(io_err(&path))?;
        }
        Ok(())
    }

    /// Connection options for database `db` on this server.
    pub fn connect_options(&self, db: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(self.socket_dir())
            .port(PORT)
            .username(SUPERUSER)
            .database(db)
    }

    async fn create_database(&self) -> Result<(), LocalPgError> {
        let mut conn = self.connect_options("postgres").connect().await?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = 'claimdb'")
                .fetch_optional(&mut conn)
                .await?;
        if exists.is_none() {
            conn.execute("CREATE DATABASE claimdb").await?;
        }
        Ok(())
    }

    /// Stops the server with a fast shutdown (if this process started it).
    pub fn stop(&self) {
        if !self.started_here {
            return;
        }
        match self.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "30"]) {
            Ok(o) if o.status.success() => tracing::info!("stopped local PostgreSQL"),
            Ok(o) => {
                tracing::warn!(stderr = %String::from_utf8_lossy(&o.stderr), "pg_ctl stop failed")
            }
            Err(e) => tracing::warn!(error = %e, "pg_ctl stop failed"),
        }
    }

    /// Stops the server immediately (tests: simulate an outage).
    pub fn stop_immediate(&self) -> Result<(), LocalPgError> {
        let o = self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"])?;
        if o.status.success() {
            Ok(())
        } else {
            Err(LocalPgError::Tool {
                tool: "pg_ctl stop".into(),
                detail: String::from_utf8_lossy(&o.stderr).into_owned(),
            })
        }
    }

    /// Starts the server again after [`stop_immediate`](Self::stop_immediate).
    pub fn restart(&self) -> Result<(), LocalPgError> {
        let log = self.base.join("postgres.log");
        let o = self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log.to_string_lossy()])?;
        if o.status.success() {
            Ok(())
        } else {
            Err(LocalPgError::Tool {
                tool: "pg_ctl start".into(),
                detail: String::from_utf8_lossy(&o.stderr).into_owned(),
            })
        }
    }

    /// Marks the server as started by this process, so [`stop`](Self::stop)
    /// stops it even when it was adopted.
    pub fn take_ownership(&mut self) {
        self.started_here = true;
    }
}
