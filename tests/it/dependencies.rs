//! A newcomer's cold `cargo build --release` stays short (issue 16): TLS is rustls with
//! ring, and nothing brings back aws-lc-sys, whose C build took most of that time. Read
//! from Cargo.lock, which names every package any build of this crate can compile.

#[test]
fn no_aws_lc_is_in_the_lock_file() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock is read");
    let aws: Vec<&str> = lock
        .lines()
        .filter(|line| line.starts_with("name = \"aws-lc"))
        .collect();
    assert!(
        aws.is_empty(),
        "{aws:?} came back (see `cargo tree -e normal,dev,build -i aws-lc-sys`): keep reqwest's \
         `rustls-no-provider` with rustls' `ring`, and dev-dependencies on their `ring` features"
    );
}
