//! A Postgres for tests: [`database`] gives each test its own database in one cluster per test
//! process (started on first use in a temporary directory, on a free loopback port), or on the
//! server `CONNECTLY_TEST_DATABASE_URL` names. [`Cluster::start`] starts a cluster of one's own,
//! for the tests that stop and restart Postgres.
//!
//! A cluster runs under a small `sh` supervisor whose stdin is a pipe from the test process:
//! when the test process ends, however it ends (a panic, `kill -9`), the pipe closes and the
//! supervisor stops Postgres (`pg_ctl stop -m immediate`) and removes the directory. The server
//! binaries are found through `pg_config --bindir`, then in `/usr/lib/postgresql/*/bin`; when
//! there are none the test fails, saying what to install. As root, `initdb` and `postgres` run
//! as the `postgres` user (they refuse to run as root).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The environment variable naming a server the tests may create databases on, instead of
/// starting their own cluster.
pub const DATABASE_URL_ENV: &str = "CONNECTLY_TEST_DATABASE_URL";

const SUPERVISOR: &str = r#"
run() { if [ -n "$PG_USER" ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/connectly-pg-XXXXXX") || exit 1
cleanup() {
    run "$PG_BIN/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
if [ -n "$PG_USER" ]; then chown "$PG_USER" "$dir" || exit 1; fi
if ! run "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1; then
    echo "initdb failed: $(tail -n 5 "$dir/initdb.log" | tr '\n' ' ')"
    exit 1
fi
# Where it listens, in its configuration: every start (and `Cluster::restart`) reads it.
printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n" \
    "$PG_PORT" "$dir" >>"$dir/data/postgresql.conf"
if [ -n "$PG_TLS" ]; then
    # TLS only on TCP: a CA made now, a server certificate for 127.0.0.1 it signs, and another
    # CA that signed nothing (for the tests of a wrong CA).
    tls="$dir/tls"
    mkdir "$tls" && cd "$tls" || exit 1
    ca() {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=$1" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$2.key" -out "$2.crt"
    }
    printf "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" >server.ext
    if ! { ca "connectly test CA" ca && ca "connectly other CA" other-ca &&
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -subj "/CN=127.0.0.1" -keyout server.key -out server.csr &&
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                -extfile server.ext -out server.crt &&
            chmod 600 server.key; } >"$dir/tls.log" 2>&1; then
        echo "openssl failed: $(tail -n 5 "$dir/tls.log" | tr '\n' ' ')"
        exit 1
    fi
    if [ -n "$PG_USER" ]; then chown -R "$PG_USER" "$tls" || exit 1; fi
    printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" \
        "$tls/server.crt" "$tls/server.key" >>"$dir/data/postgresql.conf"
    hba="$dir/data/pg_hba.conf"
    { echo "hostnossl all all all reject"; cat "$hba"; } >"$hba.new" && mv "$hba.new" "$hba"
    if [ -n "$PG_USER" ]; then chown "$PG_USER" "$hba" || exit 1; fi
    cd "$dir" || exit 1
fi
if ! run "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null 2>&1; then
    echo "pg_ctl start failed: $(tail -n 5 "$dir/log" | tr '\n' ' ')"
    exit 1
fi
echo "ready $dir"
cat >/dev/null
"#;

/// A Postgres cluster of this test process, stopped and removed when it is dropped or the
/// process ends.
pub struct Cluster {
    bin: PathBuf,
    user: Option<&'static str>,
    dir: PathBuf,
    port: u16,
    supervisor: Mutex<Option<(Child, ChildStdin)>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("dir", &self.dir)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
fn bin_dir() -> PathBuf {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return dir;
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "these tests need a Postgres server's binaries (initdb, pg_ctl, postgres) and found \
             none (neither `pg_config --bindir` nor /usr/lib/postgresql/*/bin): install them \
             (`apt-get install postgresql`) or set {DATABASE_URL_ENV} to a server the tests may \
             create databases on"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl Cluster {
    /// Starts a cluster in a new temporary directory on a free loopback port.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// Starts a cluster that accepts TCP connections over TLS only, with a certificate for
    /// `127.0.0.1` signed by a CA made for it ([`Cluster::ca_file`]); libpq (`psql`) uses TLS
    /// to it by itself.
    pub fn start_tls() -> Self {
        Self::start_with(true)
    }

    /// The PEM file of the CA that signed a TLS cluster's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("tls/ca.crt")
    }

    /// The PEM file of another CA, which signed nothing.
    pub fn other_ca_file(&self) -> PathBuf {
        self.dir.join("tls/other-ca.crt")
    }

    fn start_with(tls: bool) -> Self {
        let bin = bin_dir();
        let user = is_root().then_some("postgres");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut child = Command::new("sh")
            .args(["-c", SUPERVISOR])
            .env("PG_BIN", &bin)
            .env("PG_USER", user.unwrap_or(""))
            .env("PG_PORT", port.to_string())
            .env("PG_TLS", if tls { "1" } else { "" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("sh runs");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        let Some(dir) = line.trim_end().strip_prefix("ready ") else {
            let _ = child.wait();
            panic!(
                "the test Postgres did not start ({}): {line}",
                bin.display()
            );
        };
        Self {
            bin,
            user,
            dir: PathBuf::from(dir),
            port,
            supervisor: Mutex::new(Some((child, stdin))),
        }
    }

    /// Its loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` on it.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new, empty database; returns its URL.
    pub fn create_database(&self) -> String {
        let name = fresh_name();
        psql(&self.url("postgres"), &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    fn pg_ctl(&self, args: &[&str]) {
        let mut command = match self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(self.bin.join("pg_ctl"));
                c
            }
            None => Command::new(self.bin.join("pg_ctl")),
        };
        let out = command
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops the server (fast: open connections are cut) and waits until it is down.
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast", "-w"]);
    }

    /// Starts the server again, on the same port, and waits until it accepts connections.
    pub fn restart(&self) {
        let log = self.dir.join("log");
        self.pg_ctl(&["-l", log.to_str().unwrap(), "-w", "-t", "60", "start"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Closing the pipe tells the supervisor to stop the server and remove the directory.
        if let Some((mut child, stdin)) = self.supervisor.lock().unwrap().take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

fn fresh_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "connectly_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// `psql` on `url`: no startup file, quiet, stopping at the first error.
fn psql_on(url: &str) -> Command {
    let mut command = Command::new(bin_dir().join("psql"));
    command.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
    command
}

/// Runs one statement with `psql` against `url`.
pub fn psql(url: &str, sql: &str) -> String {
    let out = psql_on(url)
        .args(["-t", "-A", "-c", sql])
        .stdin(Stdio::null())
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql: {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A transaction that holds the row locks `sql` takes (e.g. `SELECT ... FOR UPDATE`) until it is
/// dropped: what another relay's batch does while a statement under test runs.
#[derive(Debug)]
pub struct Locks(std::process::Child);

impl Drop for Locks {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `sql` in an open transaction on `url` and returns once its locks are held.
pub fn hold_locks(url: &str, sql: &str) -> Locks {
    use std::io::Write as _;
    let name = format!("connectly_locks_{}", fresh_name());
    let mut child = psql_on(url)
        .env("PGAPPNAME", &name)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("psql runs");
    let script = format!("BEGIN;\n{sql};\nSELECT pg_sleep(600);\n");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes())
        .expect("psql reads its script");
    let locks = Locks(child);
    let sleeping = format!(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '{name}' \
         AND state = 'active' AND query LIKE '%pg_sleep%'"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while psql(url, &sleeping) != "1" {
        assert!(
            std::time::Instant::now() < deadline,
            "psql did not take the locks of: {sql}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    locks
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A database of one's own for a test: in this process's shared cluster, or on
/// `CONNECTLY_TEST_DATABASE_URL`'s server (dropped again at the end of the test there).
#[derive(Debug)]
pub struct Database {
    url: String,
    external: Option<(String, String)>,
}

impl Database {
    /// Its URL (no password in it; the cluster trusts loopback).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.external {
            let _ = std::panic::catch_unwind(|| {
                psql(
                    server,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
            });
        }
    }
}

/// A new, empty database (see the module doc).
pub fn database() -> Database {
    if let Ok(server) = std::env::var(DATABASE_URL_ENV) {
        let name = fresh_name();
        psql(&server, &format!("CREATE DATABASE {name}"));
        return Database {
            url: with_database(&server, &name),
            external: Some((server, name)),
        };
    }
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    let cluster = SHARED.get_or_init(Cluster::start);
    Database {
        url: cluster.create_database(),
        external: None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_replaces_the_path_and_keeps_the_rest() {
        assert_eq!(
            super::with_database("postgres://u:p@h:5/old?sslmode=disable", "new"),
            "postgres://u:p@h:5/new?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgresql://h", "new"),
            "postgresql://h/new"
        );
    }
}
