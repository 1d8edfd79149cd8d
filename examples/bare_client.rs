//! The benchmark's client floor: the same requests as the 1,000-request workload
//! (`bench/gen_workload.py`: per iteration create a data tracker, list it by name, delete
//! it, list again), sent with reqwest and a fixed number of workers, each body read whole
//! and nothing checked. What cts-conform adds over this is the cost of checking.
//!
//!   cargo run --release --example bare_client -- BASE_URL PROJECT ITERATIONS JOBS

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bare_client BASE_URL PROJECT ITERATIONS JOBS";
    // Parsed once: each request's URL is this base joined with its path, so no request
    // parses a host again (as cts-conform's client does).
    let base = reqwest::Url::parse(&args.next().ok_or(usage)?)?;
    let project = args.next().ok_or(usage)?;
    let iterations: usize = args.next().ok_or(usage)?.parse()?;
    let jobs: usize = args.next().ok_or(usage)?.parse()?;
    // One client (one connection pool), as cts-conform's trial threads each have one.
    let client = cts_conform::http::client::http_client_builder().build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..jobs.max(1) {
        let (client, next, base, project) =
            (client.clone(), next.clone(), base.clone(), project.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= iterations {
                    return Ok::<(), Box<dyn std::error::Error + Send + Sync>>(());
                }
                iteration(&client, &base, &project, i).await?;
            }
        }));
    }
    for worker in workers {
        worker.await??;
    }
    Ok(())
}

async fn iteration(
    client: &reqwest::Client,
    base: &reqwest::Url,
    project: &str,
    i: usize,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let name = format!("bare-{i:04}");
    let body = format!(
        r#"{{"tracker_type": "data", "tracker_name": "{name}", "data_bucket": {{"data_bucket_name": "bare-src-{i:04}", "data_event": ["READ"]}}, "obs_info": {{"bucket_name": "bench-obs", "file_prefix_name": "p"}}}}"#
    );
    let list = base.join(&format!(
        "/v3/{project}/trackers?tracker_name={name}&tracker_type=data"
    ))?;
    let create = client
        .post(base.join(&format!("/v3/{project}/tracker"))?)
        .header("Content-Type", "application/json")
        .body(body);
    create.send().await?.bytes().await?;
    client.get(list.clone()).send().await?.bytes().await?;
    client.delete(list.clone()).send().await?.bytes().await?;
    client.get(list).send().await?.bytes().await?;
    Ok(())
}
