//! The benchmark floor: the smallest axum server that answers every GET with one fixed
//! JSON body, to measure how close the emulator's ListTrackers comes to axum itself.
//!
//!   cargo run --release --example floor -- 127.0.0.1:9401 body.json

use std::net::SocketAddr;

use axum::http::header;
use axum::routing::get;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = || std::io::Error::other("usage: floor LISTEN_ADDR BODY_FILE");
    let listen: SocketAddr = args.next().and_then(|a| a.parse().ok()).ok_or_else(usage)?;
    let body = axum::body::Bytes::from(std::fs::read(args.next().ok_or_else(usage)?)?);
    let app = Router::new().fallback(get(move || {
        let body = body.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], body) }
    }));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
