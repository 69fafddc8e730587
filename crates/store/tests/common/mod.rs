//! Test helpers: a real S3-compatible server (moto's server mode, from PyPI, installed by
//! scripts/test) on a free port of 127.0.0.1, stopped by PID when the test ends; a proxy
//! that plays a server dying in the middle of a request; test models.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The moto server binary: `$AQCAST_MOTO`, else the venv scripts/test makes.
pub fn moto_binary() -> Option<PathBuf> {
    let p = std::env::var_os("AQCAST_MOTO")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/tools/moto/bin/moto_server")
        });
    if p.is_file() {
        Some(p)
    } else if std::env::var_os("AQCAST_SKIP_S3").is_some() && std::env::var_os("CI").is_none() {
        // Asked for by name: the skip is the caller's choice, and said.
        eprintln!("skipped (AQCAST_SKIP_S3): no S3 server at {}", p.display());
        None
    } else {
        // A test that cannot run fails: a pass would claim what was never tried.
        panic!(
            "no S3 server at {}: run scripts/test once (it installs moto[server] 5.2.5 there), \
             set AQCAST_MOTO to a moto_server, or AQCAST_SKIP_S3=1 to skip the S3 tests",
            p.display()
        )
    }
}

/// Held while a test runs its S3 servers: the tests of one binary run in parallel, and
/// one at a time keeps their ports and their CPU apart.
pub fn s3_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One HTTP/1.1 request without a body (`request_line` such as `GET / HTTP/1.1`) to
/// 127.0.0.1:`port`; the whole answer, the connection closed by the server.
fn http(port: u16, request_line: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{request_line}\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// A running moto server; killed (by PID) and reaped when dropped.
pub struct Moto {
    child: Child,
    /// Its log (stderr), shown when a request to it fails; removed with the server.
    log: tempfile::NamedTempFile,
    /// Its port.
    pub port: u16,
}

impl Moto {
    /// Starts a server; with `auth`, it checks credentials (and knows none). It is ready
    /// when it answers an HTTP request (a TCP connect alone can land in the backlog of a
    /// server still starting, or on another process). A free port can be taken by another
    /// process between finding it and the server binding it: if this server exits instead
    /// of answering, it is started again on another port.
    pub fn start(bin: &std::path::Path, auth: bool) -> Moto {
        for _ in 0..5 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("a log file");
            let mut cmd = Command::new(bin);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(log.reopen().expect("the log file"));
            if auth {
                cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", "0");
            }
            let child = cmd.spawn().expect("moto_server starts");
            let mut m = Moto { child, log, port };
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if m.child.try_wait().ok().flatten().is_some() {
                    break; // it could not bind: another port
                }
                // Any HTTP answer (403 with `auth`) from a server that is still running:
                // moto, on this port.
                if http(port, "GET / HTTP/1.1").is_ok_and(|r| r.starts_with("HTTP/1.1 "))
                    && m.child.try_wait().ok().flatten().is_none()
                {
                    return m;
                }
                assert!(
                    Instant::now() < deadline,
                    "moto did not answer on {port} within 60 s; its log:\n{}",
                    std::fs::read_to_string(m.log.path()).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            m.stop();
        }
        panic!("moto could not start on a free port in 5 attempts");
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (moto takes an unsigned CreateBucket, and creating one that
    /// exists again answers 200, so a request cut off by a reset is sent again).
    pub fn bucket(&self, name: &str) {
        let mut last = None;
        for _ in 0..5 {
            match http(self.port, &format!("PUT /{name} HTTP/1.1")) {
                Ok(out) => {
                    assert!(out.starts_with("HTTP/1.1 200"), "CreateBucket: {out}");
                    return;
                }
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "CreateBucket {name} on port {}: {last:?}; the server's log:\n{}",
            self.port,
            std::fs::read_to_string(self.log.path()).unwrap_or_default()
        );
    }

    /// S3 settings for `Objects::open_with`.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("aws_endpoint_url", self.endpoint()),
            ("aws_access_key_id", "aqcast-test".into()),
            ("aws_secret_access_key", "aqcast-test-secret".into()),
            ("aws_region", "us-east-1".into()),
        ]
    }

    /// Stops the server now.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A proxy in front of a server that dies when the client sends `trigger` (say
/// `PUT /bucket/prefix/registry/`): it forwards `after` more bytes of that request, then
/// closes every connection and stops listening, as a server that was stopped would.
pub struct DyingProxy {
    /// Its port.
    pub port: u16,
    /// Set once it has died.
    pub died: Arc<AtomicBool>,
}

impl DyingProxy {
    /// Starts the proxy to `upstream` (a port of 127.0.0.1).
    pub fn start(upstream: u16, trigger: &str, after: usize) -> DyingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let died = Arc::new(AtomicBool::new(false));
        let d = died.clone();
        let trigger = trigger.as_bytes().to_vec();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if d.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    break;
                };
                let (c2, s2) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                // Server to client: copied as is.
                std::thread::spawn(move || {
                    let (mut s, mut c) = (s2, c2);
                    let _ = std::io::copy(&mut s, &mut c);
                    let _ = c.shutdown(Shutdown::Both);
                });
                // Client to server: watched for the trigger.
                let d = d.clone();
                let trigger = trigger.clone();
                std::thread::spawn(move || {
                    let (mut c, mut s) = (client, server);
                    let mut window: Vec<u8> = Vec::new();
                    let mut buf = [0u8; 8192];
                    while !d.load(Ordering::SeqCst) {
                        let n = match c.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        window.extend_from_slice(&buf[..n]);
                        if let Some(i) = find(&window, &trigger) {
                            // Where the trigger starts in this chunk (before it, when it
                            // began in an earlier one): forward `after` bytes from there.
                            let start = i as isize - (window.len() - n) as isize;
                            let keep = (start.max(0) as usize + after).min(n);
                            let _ = s.write_all(&buf[..keep]);
                            d.store(true, Ordering::SeqCst);
                            break;
                        }
                        let cut = window.len().saturating_sub(trigger.len());
                        window.drain(..cut);
                        if s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s.shutdown(Shutdown::Both);
                    let _ = c.shutdown(Shutdown::Both);
                });
            }
        });
        DyingProxy { port, died }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `n` distinct valid models (the shipped LightGBM model, each with its own description).
pub fn models(n: usize) -> Vec<Vec<u8>> {
    let text = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/models/lightgbm_l2.txt"),
    )
    .expect("fixture model");
    let base = aqcast_core::import::load_any(&text).expect("imports");
    (0..n)
        .map(|i| {
            let mut m = base.clone();
            m.metadata.name = "no2".into();
            m.metadata.description = format!("test model {i}");
            m.metadata.metrics.insert("h1.rmse".into(), 10.0 + i as f64);
            m.encode().expect("encodes")
        })
        .collect()
}
