//! A small HTTP/1.1 server on a free port of 127.0.0.1 for the feed tests: each request is
//! answered by the test's handler, which can also misbehave as real sources do (a 429
//! with reset headers, a 500, a body cut short, a slow answer, an answer that never
//! comes). Every request is logged. Stopped (and its port freed) when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A request as the handler sees it.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`…
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query's pairs, decoded.
    pub query: Vec<(String, String)>,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How to answer.
pub enum Reply {
    /// A status, headers and a body.
    Full(u16, Vec<(String, String)>, Vec<u8>),
    /// A 200 that announces `declared` bytes and sends only the first `sent` of `body`.
    Truncated(Vec<u8>, usize),
    /// This reply after a delay.
    Slow(Duration, Box<Reply>),
}

impl Reply {
    /// 200 with a JSON body.
    pub fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full(
            200,
            vec![("content-type".into(), "application/json".into())],
            body.into(),
        )
    }

    /// 200 with a text body.
    pub fn text(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full(
            200,
            vec![("content-type".into(), "text/plain".into())],
            body.into(),
        )
    }

    /// An error status with a JSON body.
    pub fn status(code: u16, body: &str) -> Reply {
        Reply::Full(
            code,
            vec![("content-type".into(), "application/json".into())],
            body.as_bytes().to_vec(),
        )
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// The running server.
pub struct Server {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    stop: Arc<AtomicBool>,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    accept: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Starts a server answering with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (s, l) = (stop.clone(), log.clone());
        let accept = thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, l) = (handler.clone(), l.clone());
                thread::spawn(move || {
                    let _ = serve(conn, &*h, &l);
                });
            }
        });
        Server {
            url: format!("http://127.0.0.1:{port}/"),
            stop,
            port,
            log,
            accept: Some(accept),
        }
    }

    /// Every request so far, as `METHOD path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (c, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve(conn: TcpStream, handler: &Handler, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect();
    let req = Request {
        method: method.clone(),
        path: decode(path),
        query,
        headers,
        body,
    };
    if let Ok(mut l) = log.lock() {
        l.push(format!("{method} {target}"));
    }
    let reply = handler(&req);
    write(conn, reply)
}

fn write(mut conn: TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Slow(d, r) => {
            thread::sleep(d);
            write(conn, *r)
        }
        Reply::Truncated(body, sent) => {
            write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )?;
            conn.write_all(&body[..sent.min(body.len())])?;
            conn.flush()?;
            let _ = conn.shutdown(std::net::Shutdown::Both);
            Ok(())
        }
        Reply::Full(code, headers, body) => {
            let reason = match code {
                200 => "OK",
                404 => "Not Found",
                429 => "Too Many Requests",
                500 => "Internal Server Error",
                401 => "Unauthorized",
                _ => "Status",
            };
            write!(conn, "HTTP/1.1 {code} {reason}\r\n")?;
            for (n, v) in &headers {
                write!(conn, "{n}: {v}\r\n")?;
            }
            write!(
                conn,
                "content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )?;
            conn.write_all(&body)?;
            conn.flush()
        }
    }
}
