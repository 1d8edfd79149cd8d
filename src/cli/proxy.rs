//! `cts-conform proxy`: the validating proxy in front of a real endpoint, as its flags
//! describe it ([`ProxyArgs::proxy_config`]); its own credentials checked first (exit 3
//! when refused), then served until Ctrl-C or SIGTERM; then the violations summary.

use cts_conform::emulator::server;
use cts_conform::options::proxy::check_credentials;
use cts_conform::options::server_args::ProxyArgs;
use cts_conform::proxy;

use super::exit::{not_started, runtime, Exit};

pub(crate) fn proxy(args: ProxyArgs) -> Exit {
    let setup = match args.proxy_config(&mut |notice| eprintln!("{notice}")) {
        Ok(setup) => setup,
        Err(message) => return super::exit::usage(message),
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let config = setup.config;
    if let Some((project_id, credentials)) = setup.check {
        let checked = check_credentials(&config, &project_id, credentials);
        if let Err(error) = runtime.block_on(checked) {
            return not_started(error);
        }
    }
    eprintln!("forwarding to {}", config.upstream);
    let sink = config.sink.clone();
    let served = runtime.block_on(proxy::serve(config, args.listen, server::interrupted()));
    if let Some(sink) = &sink {
        eprint!("{}", sink.summary());
    }
    match served {
        Ok(()) => Exit::Passed,
        Err(e) => super::exit::usage(format!("cannot serve on {}: {e}", args.listen)),
    }
}
