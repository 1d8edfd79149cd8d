//! AK/SK request signing (SDK-HMAC-SHA256) and its verification. Filled in by the auth issue.
