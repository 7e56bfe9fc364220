//! Hostile clients for a server of the Connectly webhooks API on loopback, to measure what they
//! cost it (`scripts/bench-mock-hostile.sh` runs both against `connectly mock`):
//!
//! ```sh
//! # N keyless POSTs, each announcing and sending a body of BYTES, over C connections at a time:
//! cargo run --release -p connectly-mock --example hostile_load -- flood http://127.0.0.1:PORT \
//!     [--requests 3000] [--bytes 1048576] [--connections 16]
//! # N connections that send part of a request's headers and stop; meanwhile, a normal request
//! # with KEY every 100 ms; reports when each slow connection was closed:
//! cargo run --release -p connectly-mock --example hostile_load -- slow-headers http://127.0.0.1:PORT \
//!     --key KEY [--connections 100] [--max-seconds 30]
//! # N connections at once, each sending BYTES of headers (keyless, 1 KiB lines, never ending
//! # them); meanwhile, a normal request with KEY every 100 ms; reports what each connection got:
//! cargo run --release -p connectly-mock --example hostile_load -- header-flood http://127.0.0.1:PORT \
//!     --key KEY [--connections 3000] [--bytes 307200] [--max-seconds 60]
//! ```
//!
//! Only loopback URLs are accepted; every run is bounded (requests, or `--max-seconds`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Options {
    mode: String,
    addr: SocketAddr,
    key: String,
    requests: usize,
    bytes: usize,
    connections: usize,
    max_seconds: u64,
}

fn parse() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mode = args
        .next()
        .ok_or("usage: hostile_load flood|slow-headers|header-flood URL [options]")?;
    let url = args.next().ok_or("missing the server's base URL")?;
    let addr: SocketAddr = url
        .strip_prefix("http://")
        .and_then(|a| a.trim_end_matches('/').parse().ok())
        .ok_or_else(|| format!("{url}: expected http://IP:PORT"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{url}: only loopback servers"));
    }
    let mut options = Options {
        mode,
        addr,
        key: String::new(),
        requests: 3000,
        bytes: 1024 * 1024,
        connections: 16,
        max_seconds: 60,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--key" => options.key = value.clone(),
            "--requests" => options.requests = number()?,
            "--bytes" => options.bytes = number()?,
            "--connections" => options.connections = number()?.max(1),
            "--max-seconds" => options.max_seconds = number()? as u64,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(options)
}

/// One keyless POST: headers, then the body until the server stops taking it; what happened.
async fn keyless_post(addr: SocketAddr, bytes: usize, chunk: &[u8]) -> String {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return "connect failed".into();
    };
    let head = format!(
        "POST /v1/businesses/biz_flood/create/webhooks HTTP/1.1\r\nhost: x\r\n\
         content-type: application/json\r\ncontent-length: {bytes}\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return "closed before the headers were sent".into();
    }
    let mut sent = 0;
    while sent < bytes {
        let n = chunk.len().min(bytes - sent);
        if stream.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        sent += n;
    }
    let mut answer = [0u8; 12];
    match stream.read_exact(&mut answer).await {
        Ok(_) => String::from_utf8_lossy(&answer[9..12]).into_owned(),
        Err(_) if sent < bytes => "closed early, answer lost".into(),
        Err(_) => "no answer".into(),
    }
}

async fn flood(options: &Options) {
    let next = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let chunk: Arc<[u8]> = vec![b' '; 64 * 1024].into();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.max_seconds);
    let tasks: Vec<_> = (0..options.connections)
        .map(|_| {
            let (next, outcomes, chunk) = (next.clone(), outcomes.clone(), chunk.clone());
            let (addr, bytes, requests) = (options.addr, options.bytes, options.requests);
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < requests && Instant::now() < deadline {
                    let outcome = keyless_post(addr, bytes, &chunk).await;
                    *outcomes.lock().unwrap().entry(outcome).or_default() += 1;
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let outcomes = outcomes.lock().unwrap();
    println!(
        "flood: {} keyless POSTs announcing {} bytes each, {} at a time, in {:.1} s; outcomes: {:?}",
        outcomes.values().sum::<usize>(),
        options.bytes,
        options.connections,
        started.elapsed().as_secs_f64(),
        *outcomes
    );
}

async fn slow_headers(options: &Options) {
    let started = Instant::now();
    let limit = Duration::from_secs(options.max_seconds);
    let mut slow = Vec::new();
    for _ in 0..options.connections {
        let mut stream = TcpStream::connect(options.addr).await.expect("connect");
        stream
            .write_all(b"GET /v1/businesses/biz_slow/webhooks HTTP/1.1\r\nhost: x\r\nx-api-k")
            .await
            .expect("write");
        slow.push(tokio::spawn(async move {
            let opened = Instant::now();
            let mut buffer = [0u8; 1024];
            let closed = tokio::time::timeout(limit, async {
                loop {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            })
            .await;
            closed.ok().map(|()| opened.elapsed())
        }));
    }
    // Meanwhile, normal requests.
    let (addr, key) = (options.addr, options.key.clone());
    let normal = tokio::spawn(async move {
        let mut latencies = Vec::new();
        for _ in 0..20 {
            let sent = Instant::now();
            let Ok(mut stream) = TcpStream::connect(addr).await else {
                latencies.push(None);
                continue;
            };
            let request = format!(
                "GET /v1/businesses/biz_ok/webhooks HTTP/1.1\r\nhost: x\r\nx-api-key: {key}\r\nconnection: close\r\n\r\n"
            );
            let mut answer = Vec::new();
            let ok = stream.write_all(request.as_bytes()).await.is_ok()
                && tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
                    .await
                    .is_ok()
                && answer.starts_with(b"HTTP/1.1 200");
            latencies.push(ok.then(|| sent.elapsed()));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        latencies
    });
    let mut closed_after = Vec::new();
    for task in slow {
        closed_after.push(task.await.expect("a task"));
    }
    let served = normal.await.expect("a task");
    let closed: Vec<Duration> = closed_after.iter().flatten().copied().collect();
    let max = closed.iter().max().copied().unwrap_or_default();
    let min = closed.iter().min().copied().unwrap_or_default();
    let ok: Vec<Duration> = served.iter().flatten().copied().collect();
    println!(
        "slow headers: {} connections, {} closed by the server (after {:.2} s to {:.2} s), {} still open after {} s; \
         meanwhile {}/{} normal requests answered 200 (slowest {:.1} ms); run took {:.1} s",
        closed_after.len(),
        closed.len(),
        min.as_secs_f64(),
        max.as_secs_f64(),
        closed_after.len() - closed.len(),
        limit.as_secs(),
        ok.len(),
        served.len(),
        ok.iter().max().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        started.elapsed().as_secs_f64()
    );
}

/// One connection sending `bytes` of header lines without ending them: what it got back.
async fn big_headers(addr: SocketAddr, bytes: usize, limit: Duration) -> String {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return "connect failed".into();
    };
    let line = format!("x-filler: {}\r\n", "h".repeat(1024 - 14));
    let outcome = tokio::time::timeout(limit, async {
        if stream
            .write_all(b"GET /v1/businesses/biz_flood/webhooks HTTP/1.1\r\nhost: x\r\n")
            .await
            .is_err()
        {
            return "closed before the request line was sent".to_owned();
        }
        let mut sent = 0;
        while sent < bytes {
            if stream.write_all(line.as_bytes()).await.is_err() {
                break;
            }
            sent += line.len();
        }
        let mut answer = [0u8; 12];
        match stream.read_exact(&mut answer).await {
            Ok(_) => format!("answered {}", String::from_utf8_lossy(&answer[9..12])),
            Err(_) if sent < bytes => "closed while sending".to_owned(),
            Err(_) => "closed after all was sent".to_owned(),
        }
    })
    .await;
    outcome.unwrap_or_else(|_| "still open at the time limit".to_owned())
}

async fn header_flood(options: &Options) {
    let started = Instant::now();
    let limit = Duration::from_secs(options.max_seconds);
    let outcomes = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let attackers: Vec<_> = (0..options.connections)
        .map(|_| {
            let (addr, bytes, outcomes) = (options.addr, options.bytes, outcomes.clone());
            tokio::spawn(async move {
                let outcome = big_headers(addr, bytes, limit).await;
                *outcomes.lock().unwrap().entry(outcome).or_default() += 1;
            })
        })
        .collect();
    // Meanwhile, a normal request every 100 ms until the attack is over.
    let done = Arc::new(AtomicUsize::new(0));
    let (addr, key, flag) = (options.addr, options.key.clone(), done.clone());
    let normal = tokio::spawn(async move {
        let mut latencies = Vec::new();
        while flag.load(Ordering::Relaxed) == 0 && started.elapsed() < limit {
            let sent = Instant::now();
            let request = format!(
                "GET /v1/businesses/biz_ok/webhooks HTTP/1.1\r\nhost: x\r\nx-api-key: {key}\r\nconnection: close\r\n\r\n"
            );
            let ok = tokio::time::timeout(Duration::from_secs(10), async {
                let mut stream = TcpStream::connect(addr).await.ok()?;
                stream.write_all(request.as_bytes()).await.ok()?;
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).await.ok()?;
                answer.starts_with(b"HTTP/1.1 200").then_some(())
            })
            .await
            .ok()
            .flatten()
            .is_some();
            latencies.push(ok.then(|| sent.elapsed()));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        latencies
    });
    for task in attackers {
        let _ = task.await;
    }
    let attack_took = started.elapsed();
    done.store(1, Ordering::Relaxed);
    let served = normal.await.expect("a task");
    let ok: Vec<Duration> = served.iter().flatten().copied().collect();
    println!(
        "header flood: {} connections at once, each sending {} bytes of headers, over in {:.1} s; \
         outcomes: {:?}; meanwhile {}/{} normal requests answered 200 (slowest {:.1} ms)",
        options.connections,
        options.bytes,
        attack_took.as_secs_f64(),
        *outcomes.lock().unwrap(),
        ok.len(),
        served.len(),
        ok.iter().max().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
}

#[tokio::main]
async fn main() {
    let options = match parse() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("hostile_load: {e}");
            std::process::exit(2);
        }
    };
    match options.mode.as_str() {
        "flood" => flood(&options).await,
        "slow-headers" => slow_headers(&options).await,
        "header-flood" => header_flood(&options).await,
        other => {
            eprintln!("hostile_load: unknown mode {other}: flood, slow-headers or header-flood");
            std::process::exit(2);
        }
    }
}
