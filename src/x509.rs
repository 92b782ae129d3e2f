//! Reading an X.509 certificate's validity from its DER bytes (RFC 5280), without a parser
//! crate: the self-signed certificate (`web::tls`) and the ACME one (`acme`) are renewed by it.

/// A DER certificate's validity, `(not before, not after)` in unix seconds: read from the
/// `TBSCertificate` (version, serial, signature algorithm, issuer, then validity), RFC 5280.
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (certificate, _) = element(der, 0x30)?;
    let (mut tbs, _) = element(certificate, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = element(tbs, 0xa0)?.1;
    }
    for tag in [0x02, 0x30, 0x30] {
        tbs = element(tbs, tag)?.1;
    }
    let (validity, _) = element(tbs, 0x30)?;
    let (not_before, rest) = der_time(validity)?;
    let (not_after, _) = der_time(rest)?;
    Some((not_before, not_after))
}

/// The contents of the DER element at the start of `bytes` if its tag is `tag`, and what
/// follows it.
fn element(bytes: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = bytes.split_first()?;
    let (&length, rest) = rest.split_first()?;
    if first != tag {
        return None;
    }
    let (length, rest) = if length < 0x80 {
        (usize::from(length), rest)
    } else {
        let digits = usize::from(length & 0x7f);
        if !(1..=4).contains(&digits) || rest.len() < digits {
            return None;
        }
        let (digits, rest) = rest.split_at(digits);
        let length = digits
            .iter()
            .fold(0usize, |sum, &b| (sum << 8) | usize::from(b));
        (length, rest)
    };
    (rest.len() >= length).then(|| rest.split_at(length))
}

/// A UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as unix seconds, and what
/// follows it.
pub(crate) fn der_time(bytes: &[u8]) -> Option<(i64, &[u8])> {
    let (tag, year_digits) = match bytes.first()? {
        0x17 => (0x17, 2),
        0x18 => (0x18, 4),
        _ => return None,
    };
    let (text, rest) = element(bytes, tag)?;
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    if text.len() != year_digits + 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i16>().ok();
    let mut year = number(0..year_digits)?;
    if year_digits == 2 {
        // RFC 5280: 50–99 are 1950–1999, 00–49 are 2000–2049.
        year += if year >= 50 { 1900 } else { 2000 };
    }
    let at =
        |i: usize| number(year_digits + i..year_digits + i + 2).and_then(|n| i8::try_from(n).ok());
    let time = jiff::civil::DateTime::new(year, at(0)?, at(2)?, at(4)?, at(6)?, at(8)?, 0).ok()?;
    let unix = jiff::tz::TimeZone::UTC.to_timestamp(time).ok()?.as_second();
    Some((unix, rest))
}
