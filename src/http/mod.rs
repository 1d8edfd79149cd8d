//! HTTP, generic over what is sent: the request sent and the response received
//! ([`exchange`]), a client with a time and size limit on every answer ([`client`]), and
//! throttling both ways ([`throttle`]: the run's own rate cap, and waiting out a target's
//! 429s). The runner, `sweep` and the proxy all send through here; nothing here knows CTS.

pub mod client;
pub mod exchange;
pub mod throttle;
