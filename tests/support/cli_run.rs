//! Running the built `cts-conform` binary from tests: with a time limit, a clean
//! environment and a fresh working directory, the case directories of `tests/fixtures/cli/`, a loopback listener that records whether
//! anything connected, and text normalisation for snapshots.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// No run in these tests needs more than a few seconds; this only stops a hang.
const TIME_LIMIT: Duration = Duration::from_secs(90);

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Files the run left in its working directory (a fresh temporary one).
    pub files_left: Vec<String>,
}

/// The environment variables that would point a run elsewhere or give it credentials.
const AMBIENT: [&str; 5] = [
    "CTS_TARGET",
    "CTS_AUTH_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
];

/// The binary with `args`, none of the ambient variables, no stdin, piped output.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cts-conform"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in AMBIENT {
        command.env_remove(var);
    }
    command
}

/// Runs the binary with `args`; panics (after killing it) if it takes over the time limit.
pub fn run(args: &[&str]) -> Run {
    let workdir = tempfile::tempdir().unwrap();
    let mut command = command(args);
    command.current_dir(workdir.path());
    let mut child = command.spawn().expect("the binary starts");
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).map(|_| text)
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cts-conform {args:?} did not finish within {TIME_LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().expect("exited, not killed by a signal"),
        stdout: stdout.join().unwrap().unwrap(),
        stderr: stderr.join().unwrap().unwrap(),
        files_left: std::fs::read_dir(workdir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
    }
}

/// The path of `tests/fixtures/cli/NAME`, a directory of case files.
pub fn cases(name: &str) -> String {
    format!("{}/tests/fixtures/cli/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A loopback listener that never answers; tells whether anything connected to it.
pub struct Probe {
    listener: TcpListener,
}

impl Probe {
    pub fn new() -> Probe {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Probe { listener }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }

    /// Whether a connection is waiting (the kernel completes connects before `accept`).
    pub fn was_connected(&self) -> bool {
        match self.listener.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => panic!("accept failed: {e}"),
        }
    }

    /// Connects to itself (for proving `was_connected` can say yes).
    pub fn connect_once(&self) -> TcpStream {
        TcpStream::connect(self.listener.local_addr().unwrap()).unwrap()
    }
}

/// A loopback URL nothing listens on (bound, then released).
pub fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Replaces what changes from run to run: ports, the run id, uuids, timestamps, timings.
pub fn normalise(text: &str) -> String {
    let mut text = text.to_string();
    let run_id = regex::Regex::new(r"cc-([0-9a-f]{8})").unwrap();
    if let Some(id) = run_id.captures(&text).map(|c| c[1].to_string()) {
        text = text.replace(&id, "<run_id>");
    }
    let rules = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "<uuid>",
        ),
        (r"\b\d{13}\b", "<timestamp>"),
        (r"\b\d{8}T\d{6}Z\b", "<sdk-date>"),
        (r"in \d+ ms\b", "in <ms> ms"),
        (r"finished in \d+\.\d+s", "finished in <secs>s"),
    ];
    for (pattern, replacement) in rules {
        text = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, replacement)
            .into_owned();
    }
    text
}
