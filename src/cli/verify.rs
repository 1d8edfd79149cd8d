//! `cts-conform verify DIR`: re-checks a certification bundle (`--bundle DIR`, see
//! `cts_conform::bundle::verify`) and prints the completeness line. Exit 0 only for an
//! intact, consistent, complete and green bundle; 2 when it cannot be vouched for (each
//! problem one line naming the file); 101 when a case failed; 6 when incomplete.

use cts_conform::bundle::verify::{verify as verify_bundle, Line};

use cts_conform::options::args::VerifyArgs;

use super::exit::{usage, Exit};

pub(crate) fn verify(args: VerifyArgs) -> Exit {
    let verification = match verify_bundle(&args.dir) {
        Ok(verification) => verification,
        Err(e) => return usage(e.to_string()),
    };
    for line in verification.lines(&args.dir.display().to_string()) {
        match line {
            Line::Out(text) => println!("{text}"),
            Line::Err(text) => eprintln!("{text}"),
        }
    }
    verification.decision().exit()
}
