//! A target cannot forge the terminal output of a run (issue 25): CR, LF and ESC in its
//! answers are shown escaped, so a body holding `\r\ntest x ... ok` never becomes a line
//! of its own, and neither does an `error_msg` with line breaks in the check before a run.

use crate::cli_run;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const FORGED: &str = "test forged::case ... ok";

/// A hostile target on its own runtime: `preflight_ok` decides whether the check before
/// the run passes; every other answer is a 400 whose raw body forges a result line.
fn hostile_target(preflight_ok: bool) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let addr = runtime.block_on(async move {
        let app = axum::Router::new().fallback(move |request: Request| async move {
            let check = request.method() == "GET" && request.uri().path().ends_with("/trackers");
            let (status, body) = if check && preflight_ok {
                (StatusCode::OK, r#"{"trackers": []}"#.to_owned())
            } else if check {
                (
                    StatusCode::UNAUTHORIZED,
                    format!(
                        "{{\"error_code\": \"APIGW.0301\", \"error_msg\": \"no\\r\\n{FORGED}\\n\\u001b[2K\"}}"
                    ),
                )
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    format!("not json\r\n{FORGED}\r\n\u{1b}[32mgreen\u{1b}[0m"),
                )
            };
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = status;
            response
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    (runtime, addr)
}

fn forged_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| line.trim_start().starts_with(FORGED) || line.contains('\u{1b}'))
        .collect()
}

#[test]
fn a_response_body_cannot_forge_a_result_line() {
    let (_runtime, addr) = hostile_target(true);
    let run = cli_run::run(&[
        "--target",
        &format!("http://{addr}"),
        "--project-id",
        PROJECT,
        "--color",
        "never",
        "--exact",
        "lifecycle::quotas_count_data_trackers",
    ]);
    assert_eq!(run.code, 101, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("not json\\r\\n{FORGED}\\r\\n\\u{{1b}}[32mgreen")),
        "the body is shown, escaped: {}",
        run.stdout
    );
    assert_eq!(
        forged_lines(&run.stdout),
        Vec::<&str>::new(),
        "{}",
        run.stdout
    );
    assert_eq!(
        forged_lines(&run.stderr),
        Vec::<&str>::new(),
        "{}",
        run.stderr
    );
}

#[test]
fn an_error_message_in_the_check_before_the_run_stays_one_line() {
    let (_runtime, addr) = hostile_target(false);
    let run = cli_run::run(&[
        "--target",
        &format!("http://{addr}"),
        "--project-id",
        PROJECT,
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].contains(&format!("no\\r\\n{FORGED}")),
        "{}",
        lines[0]
    );
    assert_eq!(forged_lines(&run.stderr), Vec::<&str>::new());
}
