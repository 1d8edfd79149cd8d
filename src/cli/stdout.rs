//! Standard output that survives its reader going away (`cts-conform --list | head -1`).
//!
//! Rust's `println!` panics when stdout is a closed pipe, which would end a run with
//! exit 101 ("a case failed") and no cleanup. When stdout is not a terminal, [`guard`]
//! puts a pipe of our own in its place and a thread copies that pipe to the real stdout;
//! once the real one is closed, the thread reads on and drops what it reads. The program
//! thus runs to its end and exits with the code it would have had. [`finish`] flushes
//! and waits for the copy; call it before exiting.

use std::sync::Mutex;
use std::thread::JoinHandle;

/// The copying thread, while there is one.
static FORWARDER: Mutex<Option<JoinHandle<()>>> = Mutex::new(None);

/// Replaces stdout with a pipe copied to it (a no-op on a terminal or outside Unix).
pub(crate) fn guard() {
    #[cfg(unix)]
    if let Some(thread) = unix::install() {
        if let Ok(mut slot) = FORWARDER.lock() {
            *slot = Some(thread);
        }
    }
}

/// Flushes stdout and waits until everything written reached the real stdout (or was
/// dropped because nobody reads it any more).
pub(crate) fn finish() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let thread = FORWARDER.lock().ok().and_then(|mut slot| slot.take());
    if let Some(thread) = thread {
        #[cfg(unix)]
        unix::close_stdout();
        let _ = thread.join();
    }
}

#[cfg(unix)]
mod unix {
    use std::fs::File;
    use std::io::{IsTerminal, Read, Write};
    use std::os::fd::FromRawFd;
    use std::thread::JoinHandle;

    const STDOUT: libc::c_int = 1;

    pub(super) fn install() -> Option<JoinHandle<()>> {
        if std::io::stdout().is_terminal() {
            return None;
        }
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: plain descriptor calls; every result is checked before use, and each
        // descriptor handed to a `File` is owned by it alone.
        unsafe {
            let real = libc::dup(STDOUT);
            if real < 0 {
                return None;
            }
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                libc::close(real);
                return None;
            }
            let [read, write] = fds;
            libc::fcntl(read, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(real, libc::F_SETFD, libc::FD_CLOEXEC);
            if libc::dup2(write, STDOUT) < 0 {
                libc::close(read);
                libc::close(write);
                libc::close(real);
                return None;
            }
            libc::close(write);
            let source = File::from_raw_fd(read);
            let sink = File::from_raw_fd(real);
            Some(std::thread::spawn(move || copy(source, sink)))
        }
    }

    /// Copies until end of file; after the first failed write, only reads.
    fn copy(mut source: File, mut sink: File) {
        let mut buffer = [0u8; 8192];
        let mut open = true;
        loop {
            match source.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    if open && sink.write_all(&buffer[..n]).is_err() {
                        open = false;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }

    /// Points stdout at /dev/null, which closes our pipe's writing end: the copy ends.
    pub(super) fn close_stdout() {
        if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
            use std::os::fd::AsRawFd;
            // SAFETY: `null` is open for the call; dup2 leaves it owned by `null`.
            unsafe {
                libc::dup2(null.as_raw_fd(), STDOUT);
            }
        }
    }
}
