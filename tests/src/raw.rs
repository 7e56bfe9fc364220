//! Raw connections to a server under test (the mock, the relay), for the faults a client
//! library cannot send: headers that never end, oversized headers, connections held open.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads what the server sends on `stream` until it closes the connection or `deadline`
/// passes; `None` if it was still open then.
pub async fn read_until_closed(stream: &mut TcpStream, deadline: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(deadline, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

/// Sends `request` on a new connection to `addr` and reads until the server closes it (send
/// `connection: close`); `None` if still open after `deadline`.
pub async fn exchange(addr: SocketAddr, request: &[u8], deadline: Duration) -> Option<String> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before all of a refused request is written.
    let _ = stream.write_all(request).await;
    read_until_closed(&mut stream, deadline).await
}

/// A new connection to `addr` that has sent `partial` (e.g. half a header block) and sends
/// nothing more.
pub async fn stalled(addr: SocketAddr, partial: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(partial).await.unwrap();
    stream
}

/// Checks a server's connection cap of `max_connections` (with a header timeout longer than
/// this takes): `max_connections` connections hold every slot with `partial` headers that never
/// end; one more, sending `request` (which says `connection: close`), is not served while they
/// are open; once one of them closes it is, and its answer is returned.
pub async fn served_only_once_a_slot_frees(
    addr: SocketAddr,
    max_connections: usize,
    partial: &[u8],
    request: &[u8],
) -> String {
    let mut held = Vec::new();
    for _ in 0..max_connections {
        held.push(stalled(addr, partial).await);
    }
    let mut next = TcpStream::connect(addr).await.unwrap();
    next.write_all(request).await.unwrap();
    assert_eq!(
        read_until_closed(&mut next, Duration::from_millis(300)).await,
        None,
        "a connection was served past max_connections = {max_connections}"
    );
    drop(held.pop());
    read_until_closed(&mut next, Duration::from_secs(10))
        .await
        .expect("served once a slot is free")
}
