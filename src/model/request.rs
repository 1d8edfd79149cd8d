//! What the model needs of a request and its answer: the operation, the project, the
//! query's filters or the JSON body sent; the status and JSON body received. Built from
//! a [`SentRequest`] as the run sends it ([`Request::from_sent`]) or by hand (tests,
//! `explore`). Pure.

use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::http::exchange::SentRequest;

/// One operation of the tracker API, with what the model reads of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// CreateTracker, with the JSON body sent.
    Create(Value),
    /// UpdateTracker, with the JSON body sent.
    Update(Value),
    /// ListTrackers, with its filters.
    List {
        tracker_name: Option<String>,
        tracker_type: Option<String>,
    },
    /// DeleteTracker, with its query (`tracker_type` absent means data).
    Delete {
        tracker_name: Option<String>,
        tracker_type: Option<String>,
    },
    /// ListQuotas.
    Quotas,
}

/// A request to one project.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub project_id: String,
    pub op: Op,
}

/// What came back: a status and the JSON body, or nothing (`status: None`: no response).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    pub status: Option<u16>,
    pub body: Option<Value>,
}

impl Answer {
    /// A response with `status` and `body` (`Value::Null` for none).
    pub fn new(status: u16, body: Value) -> Self {
        Self {
            status: Some(status),
            body: (!body.is_null()).then_some(body),
        }
    }

    /// No response (a transport error).
    pub fn none() -> Self {
        Self::default()
    }

    /// 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// 4xx: the request was refused and (by the documents' error semantics) changed nothing.
    pub fn refused(&self) -> bool {
        self.status.is_some_and(|s| (400..500).contains(&s))
    }
}

impl Request {
    /// The request the run sent, if it is one of the five operations
    /// (`/v3/{project_id}/tracker`, `/trackers`, `/quotas` under any base URL).
    /// A body that is not JSON counts as `{}` (it changes nothing the model can know).
    pub fn from_sent(sent: &SentRequest) -> Option<Request> {
        let after_scheme = sent
            .url
            .split_once("://")
            .map_or(&*sent.url, |(_, rest)| rest);
        let path_and_query = &after_scheme[after_scheme.find('/')?..];
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut segments = path.trim_end_matches('/').rsplit('/');
        let resource = segments.next()?;
        let project_id = decode(segments.next()?);
        if segments.next()? != "v3" {
            return None;
        }
        // The first pair of the query named `name` (names compared decoded), its value
        // decoded; nothing else of the query is decoded or kept.
        let param = |name: &str| {
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
                .find(|(key, _)| percent_decode_str(key).decode_utf8_lossy() == name)
                .map(|(_, value)| decode(value))
        };
        let body = || {
            sent.body
                .as_deref()
                .and_then(|bytes| serde_json::from_slice(bytes).ok())
                .unwrap_or_else(|| Value::Object(Default::default()))
        };
        let method = sent.method.as_str();
        let is = |name: &str| method.eq_ignore_ascii_case(name);
        let op = match resource {
            "tracker" if is("POST") => Op::Create(body()),
            "tracker" if is("PUT") => Op::Update(body()),
            "trackers" if is("GET") => Op::List {
                tracker_name: param("tracker_name"),
                tracker_type: param("tracker_type"),
            },
            "trackers" if is("DELETE") => Op::Delete {
                tracker_name: param("tracker_name"),
                tracker_type: param("tracker_type"),
            },
            "quotas" if is("GET") => Op::Quotas,
            _ => return None,
        };
        Some(Request { project_id, op })
    }
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent(method: &str, url: &str, body: Option<&str>) -> SentRequest {
        SentRequest {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: body.map(|b| b.as_bytes().to_vec()),
        }
    }

    #[test]
    fn the_five_operations_are_read_from_what_was_sent() {
        let base = "http://127.0.0.1:8080/v3/p%201";
        let create = sent("POST", &format!("{base}/tracker"), Some(r#"{"a":1}"#));
        assert_eq!(
            Request::from_sent(&create),
            Some(Request {
                project_id: "p 1".into(),
                op: Op::Create(json!({"a": 1}))
            })
        );
        let list = sent(
            "GET",
            &format!("{base}/trackers?tracker_name=cc-1%2Fx&tracker_type=data"),
            None,
        );
        assert_eq!(
            Request::from_sent(&list).map(|r| r.op),
            Some(Op::List {
                tracker_name: Some("cc-1/x".into()),
                tracker_type: Some("data".into())
            })
        );
        let delete = sent("DELETE", &format!("{base}/trackers?tracker_name=a"), None);
        assert_eq!(
            Request::from_sent(&delete).map(|r| r.op),
            Some(Op::Delete {
                tracker_name: Some("a".into()),
                tracker_type: None
            })
        );
        let update = sent("PUT", &format!("{base}/tracker"), Some("not json"));
        assert_eq!(
            Request::from_sent(&update).map(|r| r.op),
            Some(Op::Update(json!({})))
        );
        let quotas = sent("GET", &format!("{base}/quotas"), None);
        assert_eq!(Request::from_sent(&quotas).map(|r| r.op), Some(Op::Quotas));
        for other in [
            sent("PATCH", &format!("{base}/tracker"), None),
            sent("GET", "http://h/v2/p/trackers", None),
            sent("GET", "http://h/elsewhere", None),
            sent("GET", "no-url-at-all", None),
        ] {
            assert_eq!(Request::from_sent(&other), None, "{}", other.url);
        }
    }

    #[test]
    fn a_query_parameter_is_its_first_pair_named_so_once_decoded_and_the_method_any_case() {
        let list = sent(
            "delete",
            "http://h/v3/p/trackers?&x=1&%74racker_name=a%20b&tracker_name=c&tracker_type",
            None,
        );
        assert_eq!(
            Request::from_sent(&list).map(|r| r.op),
            Some(Op::Delete {
                tracker_name: Some("a b".into()),
                tracker_type: Some(String::new())
            })
        );
    }
}
