//! The `X-Sdk-Date` header: UTC time in the basic ISO 8601 form `YYYYMMDDTHHMMSSZ`
//! (`%Y%m%dT%H%M%SZ`), e.g. `20240101T000000Z`.
//!
//! The same string goes verbatim into the string to sign, so the signer formats it
//! once and puts it both in the header and in [`super::string_to_sign`].

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::AuthError;

/// The name of the date header, as it appears among the signed headers (lower case).
pub const SDK_DATE_HEADER: &str = "x-sdk-date";

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// Length of a well-formed `X-Sdk-Date` value.
const LEN: usize = "20060102T150405Z".len();

/// Formats `at` (converted to UTC) as an `X-Sdk-Date` value, e.g. `20240101T000000Z`.
///
/// Sub-second precision is dropped. Years outside 0000-9999 cannot be expressed in
/// this format; they are clamped by `time`'s formatter to what it produces, which
/// [`parse_sdk_date`] then rejects — not a concern for real clocks.
pub fn format_sdk_date(at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    // Formatting a valid OffsetDateTime with a fixed numeric description only fails
    // on an I/O error of the output, which a String never produces.
    utc.format(FORMAT)
        .unwrap_or_else(|_| String::from("00000000T000000Z"))
}

/// Parses an `X-Sdk-Date` value. Exactly `YYYYMMDDTHHMMSSZ` is accepted (16
/// characters, no separators, no fractional seconds, a literal `Z`).
///
/// The error, [`AuthError::MalformedDate`], quotes (a bounded prefix of) the value,
/// which is not a secret.
pub fn parse_sdk_date(value: &str) -> Result<OffsetDateTime, AuthError> {
    let malformed = || AuthError::MalformedDate(shorten(value));
    if value.len() != LEN || !value.is_ascii() {
        return Err(malformed());
    }
    PrimitiveDateTime::parse(value, FORMAT)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| malformed())
}

/// Keeps error messages short when a client sends a huge or garbled header.
fn shorten(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut s: String = value.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_in_utc() {
        assert_eq!(
            format_sdk_date(datetime!(2006-01-02 15:04:05.999 UTC)),
            "20060102T150405Z"
        );
        assert_eq!(
            format_sdk_date(datetime!(2024-01-01 08:00:00 +08:00)),
            "20240101T000000Z"
        );
    }

    #[test]
    fn parses_round_trip() {
        let t = parse_sdk_date("20240101T000000Z").expect("valid");
        assert_eq!(t, datetime!(2024-01-01 00:00:00 UTC));
        assert_eq!(format_sdk_date(t), "20240101T000000Z");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "20240101T000000",
            "20240101T000000z",
            "2024-01-01T00:00:00Z",
            "20241301T000000Z",
            "20240230T000000Z",
            "20240101T250000Z",
            "20240101X000000Z",
            "2024010１T000000Z",
            "+2024101T000000Z",
            "20240101T000000Z ",
        ] {
            assert!(
                matches!(parse_sdk_date(bad), Err(AuthError::MalformedDate(_))),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn long_garbage_is_shortened_in_the_error() {
        let junk = "x".repeat(1000);
        let err = parse_sdk_date(&junk).expect_err("malformed");
        assert!(err.to_string().len() < 200, "{err}");
    }
}
