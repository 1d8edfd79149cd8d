//! The small helpers every command shares around its exit code ([`Exit`], the library's):
//! a usage error, the async runtime, an exit now.

pub(crate) use cts_conform::outcome::Exit;

/// A run that could not start: a configuration problem is a usage error (exit 2); a
/// target that did not answer or refused the credentials is exit 3. The message is printed.
pub(crate) fn not_started(error: cts_conform::runner::RunError) -> Exit {
    use cts_conform::runner::RunError;
    match error {
        RunError::Config(message) => usage(message),
        RunError::Unreachable(message) => {
            eprintln!("error: {message}");
            Exit::Unreachable
        }
    }
}

/// Ends the process now with `exit`, after stdout is flushed (see `cli::stdout`).
pub(crate) fn exit_now(exit: Exit) -> ! {
    super::stdout::finish();
    std::process::exit(exit as i32)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn usage(message: String) -> Exit {
    eprintln!("error: {message}");
    Exit::Usage
}
