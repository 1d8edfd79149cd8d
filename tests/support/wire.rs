//! Reading raw HTTP/1.1 messages from a socket, for the test servers and proxies that
//! need to control every byte (hostile targets, the interrupt proxy).

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// The largest head read; anything longer is treated as nonsense.
const MAX_HEAD: usize = 64 * 1024;
/// The largest Content-Length body read.
const MAX_BODY: usize = 1024 * 1024;

/// One message as read: its head (request or status line and headers) and the whole
/// message's bytes (head and Content-Length body). `None` at EOF or on nonsense. A
/// message without Content-Length (a GET, a 204) has no body; chunked bodies are not read.
pub async fn read_message(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut message = Vec::new();
    let mut byte = [0u8; 1];
    while !message.ends_with(b"\r\n\r\n") {
        if message.len() > MAX_HEAD || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        message.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&message).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0)
        .min(MAX_BODY);
    let start = message.len();
    message.resize(start + length, 0);
    stream.read_exact(&mut message[start..]).await.ok()?;
    Some((head, message))
}
