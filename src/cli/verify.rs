//! `cts-conform verify DIR`: re-checks a certification bundle (`--bundle DIR`, see
//! `cts_conform::bundle`) and prints the completeness line. Exit 0 only for an intact,
//! consistent, complete and green bundle; 2 when it cannot be vouched for (each problem
//! one line naming the file); 101 when a case failed; 6 when incomplete.

use cts_conform::bundle::verify::verify as verify_bundle;

use super::exit::Exit;
use cts_conform::options::args::VerifyArgs;

pub(crate) fn verify(args: VerifyArgs) -> Exit {
    if !args.dir.is_dir() {
        return super::exit::usage(format!("{}: not a bundle directory", args.dir.display()));
    }
    let verification = verify_bundle(&args.dir);
    for problem in &verification.problems {
        eprintln!("refused: {problem}");
    }
    if let Some(completeness) = &verification.completeness {
        println!("{}", completeness.line());
        println!("{}", completeness.details());
    }
    let dir = args.dir.display();
    if !verification.intact() {
        eprintln!(
            "error: {dir}: the bundle cannot be vouched for ({} problem{})",
            verification.problems.len(),
            if verification.problems.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        return Exit::Usage;
    }
    if verification.failed() > 0 || verification.exit_code == Some(Exit::Failed as i32) {
        println!(
            "{dir}: intact, but {} case(s) failed",
            verification.failed()
        );
        return Exit::Failed;
    }
    for gap in &verification.gaps {
        println!("not the whole suite: {gap}");
    }
    if !verification.green() {
        println!(
            "{dir}: intact, but not a complete green run (the run exited {})",
            verification
                .exit_code
                .map_or_else(|| "?".to_string(), |c| c.to_string())
        );
        return Exit::Incomplete;
    }
    println!("{dir}: intact, complete and green");
    Exit::Passed
}
