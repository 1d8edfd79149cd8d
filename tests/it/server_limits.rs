//! `cts-conform serve` bounds what clients can hold (issue 25): 300 slow clients (silent,
//! dripping their headers, or dripping their body) are all disconnected within the header
//! and body timeouts while a normal client is served; Ctrl-C with slow clients still
//! connected stops within the drain timeout and prints the summary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_cts-conform");
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn start_serve(extra: &[&str]) -> (Child, BufReader<ChildStderr>, String) {
    let mut child = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut line = String::new();
    while stderr.read_line(&mut line).expect("reads") > 0 {
        if let Some(url) = line.trim().strip_prefix("listening on http://") {
            let addr = url.to_owned();
            return (child, stderr, addr);
        }
        line.clear();
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not start");
}

/// A normal request on a fresh connection; its status.
fn normal_request(addr: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    let request =
        format!("GET /v3/{PROJECT}/trackers HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("writes");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Reads until the server closes the connection (or `limit` passes): whether it closed.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut buffer = [0u8; 1024];
    while Instant::now() < deadline {
        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn three_hundred_slow_clients_are_cut_within_the_timeouts_while_a_normal_one_is_served() {
    let (mut child, _stderr, addr) = start_serve(&["--header-timeout", "1", "--body-timeout", "1"]);
    let opened = Instant::now();
    let mut slow: Vec<TcpStream> = Vec::new();
    for n in 0..300 {
        let mut stream = TcpStream::connect(&addr).expect("connects");
        match n % 3 {
            // Silent.
            0 => {}
            // Headers begun, never finished.
            1 => {
                let _ = stream.write_all(b"GET /v3/");
            }
            // Headers whole, the body begun.
            _ => {
                let head = format!(
                    "POST /v3/{PROJECT}/tracker HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n{{"
                );
                let _ = stream.write_all(head.as_bytes());
            }
        }
        slow.push(stream);
    }
    // A normal client is served meanwhile.
    assert_eq!(normal_request(&addr), 200);
    // Dripping a byte now and then does not keep a connection open.
    for stream in slow.iter_mut().skip(1).step_by(3) {
        let _ = stream.write_all(b"x");
    }
    // Every slow connection is closed by the server: within the header (1 s) plus body
    // (1 s) timeouts and a generous margin for a loaded machine.
    let bound = Duration::from_secs(2) + Duration::from_secs(8);
    let still_open = slow
        .iter_mut()
        .map(|stream| closed_within(stream, bound.saturating_sub(opened.elapsed())))
        .filter(|closed| !closed)
        .count();
    assert_eq!(still_open, 0, "connections the server kept open");
    assert_eq!(normal_request(&addr), 200);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn ctrl_c_with_slow_clients_connected_stops_within_the_drain_timeout_with_the_summary() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("v.jsonl");
    let file_arg = file.display().to_string();
    let (mut child, mut stderr, addr) = start_serve(&[
        "--header-timeout",
        "60",
        "--body-timeout",
        "60",
        "--drain-timeout",
        "1",
        "--violations",
        &file_arg,
    ]);
    let mut slow = Vec::new();
    for _ in 0..10 {
        let mut stream = TcpStream::connect(&addr).expect("connects");
        let head = format!(
            "POST /v3/{PROJECT}/tracker HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).expect("writes");
        slow.push(stream);
    }
    // Let the server start reading those bodies.
    assert_eq!(normal_request(&addr), 200);
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let mut printed = String::new();
    stderr.read_to_string(&mut printed).expect("reads");
    let status = child.wait().expect("exits");
    assert!(status.success(), "{status:?}: {printed}");
    assert!(printed.contains("shutting down"), "{printed}");
    assert!(printed.contains("violations: "), "{printed}");
    for stream in &mut slow {
        assert!(closed_within(stream, Duration::from_secs(5)));
    }
}
