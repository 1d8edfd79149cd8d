//! `cts-conform serve`: the reference emulator standalone, as its flags describe it
//! ([`ServeArgs::emulator_config`]), until Ctrl-C or SIGTERM; then the violations summary.

use cts_conform::emulator;
use cts_conform::options::server_args::ServeArgs;

use super::exit::{runtime, usage, Exit};

pub(crate) fn serve(args: ServeArgs) -> Exit {
    if args.list_faults {
        print!("{}", emulator::fault::listing());
        return Exit::Passed;
    }
    let config = match args.emulator_config(&mut |notice| eprintln!("{notice}")) {
        Ok(config) => config,
        Err(message) => return usage(message),
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let sink = config.violations.clone();
    let served = runtime.block_on(emulator::serve(
        config,
        args.listen,
        emulator::server::interrupted(),
    ));
    if let Some(sink) = &sink {
        eprint!("{}", sink.summary());
    }
    match served {
        Ok(()) => Exit::Passed,
        Err(e) => usage(format!("cannot serve on {}: {e}", args.listen)),
    }
}
