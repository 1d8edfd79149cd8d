//! Safety on a real account: a target pre-loaded with trackers the suite did not create
//! (a management tracker and data trackers) holds exactly those, byte for byte, after a
//! full run, and after a run in which cases fail. (After Ctrl-C plus `sweep`:
//! `tests/interrupt.rs`.)

use crate::cli_run;

use std::net::SocketAddr;

use cts_conform::auth::{Credentials, SecretString};
use cts_conform::emulator::{
    self, Account, AuthPolicy, EmulatorConfig, Fault, RunningEmulator, Token,
};
use cts_conform::http::client::http_client_builder;
use serde_json::{json, Value};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const AK: &str = "AKPRELOADED000000001";
const SK: &str = "SKpreloadedSKpreloadedSKpreloaded0000001";
const TOKEN: &str = "preloading-token-0001";

/// The user's own trackers, as a real account might have them.
fn preload_bodies() -> Vec<Value> {
    vec![
        json!({"tracker_type": "system", "tracker_name": "system",
               "obs_info": {"bucket_name": "users-own-bucket", "file_prefix_name": "mine"}}),
        json!({"tracker_type": "data", "tracker_name": "production-audit",
               "data_bucket": {"data_bucket_name": "prod-data", "data_event": ["READ", "WRITE"]}}),
        json!({"tracker_type": "data", "tracker_name": "cc-notours-1",
               "data_bucket": {"data_bucket_name": "other-data"}}),
    ]
}

struct Target {
    runtime: tokio::runtime::Runtime,
    emulator: Option<RunningEmulator>,
    client: reqwest::Client,
}

impl Target {
    fn start(faults: &[Fault]) -> Target {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let policy = AuthPolicy::new(
            vec![Account {
                credentials: Credentials::new(AK, SK),
                project_id: PROJECT.into(),
            }],
            vec![Token {
                token: SecretString::new(TOKEN),
                project_id: PROJECT.into(),
            }],
        )
        .unwrap();
        let config = EmulatorConfig {
            auth: Some(policy),
            faults: faults.iter().copied().collect(),
            ..EmulatorConfig::default()
        };
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let emulator = runtime.block_on(emulator::start(config, listen)).unwrap();
        Target {
            runtime,
            emulator: Some(emulator),
            client: http_client_builder().build().expect("a client"),
        }
    }

    fn url(&self) -> String {
        self.emulator.as_ref().unwrap().base_url()
    }

    fn preload(&self) {
        for body in preload_bodies() {
            let status = self.runtime.block_on(async {
                self.client
                    .post(format!("{}/v3/{PROJECT}/tracker", self.url()))
                    .header("X-Auth-Token", TOKEN)
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap()
                    .status()
            });
            assert!(status.is_success(), "preloading {body}: {status}");
        }
    }

    /// The raw bytes of ListTrackers (the emulator lists in a stable order).
    fn listing(&self) -> Vec<u8> {
        self.runtime.block_on(async {
            let response = self
                .client
                .get(format!("{}/v3/{PROJECT}/trackers", self.url()))
                .header("X-Auth-Token", TOKEN)
                .send()
                .await
                .unwrap();
            response.bytes().await.unwrap().to_vec()
        })
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}

fn run_suite(target: &Target) -> cli_run::Run {
    cli_run::run(&[
        "--target",
        &target.url(),
        "--project-id",
        PROJECT,
        "--ak",
        AK,
        "--sk",
        SK,
    ])
}

#[test]
fn a_full_run_leaves_the_accounts_own_trackers_byte_for_byte() {
    let target = Target::start(&[]);
    target.preload();
    let before = target.listing();
    let run = run_suite(&target);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // With a management tracker already there, the cases that need none ignore themselves.
    assert!(
        run.stdout.contains("precondition not met"),
        "{}",
        run.stdout
    );
    assert_eq!(
        String::from_utf8_lossy(&target.listing()),
        String::from_utf8_lossy(&before)
    );
}

#[test]
fn a_run_with_failures_leaves_them_byte_for_byte_too() {
    // Deletes answer 200 instead of 204: cases fail, and cleanup's own deletes are
    // judged as failures too, yet nothing of the account's may change.
    let target = Target::start(&[Fault::DeleteStatus200]);
    target.preload();
    let before = target.listing();
    let run = run_suite(&target);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        String::from_utf8_lossy(&target.listing()),
        String::from_utf8_lossy(&before)
    );
}
