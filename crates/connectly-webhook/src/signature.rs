//! The signature: `x-connectly-hmac-sha256` is the Base64 (standard alphabet) HMAC-SHA256 of the
//! raw request body, keyed with the webhook secret. Checked in constant time, against one secret
//! or several (rotation).

use base64::Engine as _;
use hmac::{KeyInit, Mac};

use crate::Error;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-connectly-hmac-sha256";

fn mac(secret: &[u8], raw_body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(raw_body);
    mac
}

/// The signature Connectly sends for `raw_body`: Base64 of HMAC-SHA256 keyed with `secret`.
/// For tests and for sending sample events.
///
/// ```
/// // RFC 4231, test case 2
/// let signature = connectly_webhook::sign(b"Jefe", b"what do ya want for nothing?");
/// assert_eq!(signature, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
/// ```
pub fn sign(secret: impl AsRef<[u8]>, raw_body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(secret.as_ref(), raw_body).finalize().into_bytes())
}

/// Checks `signature_header` (the value of `x-connectly-hmac-sha256`, `None` when the request
/// has none) against the raw body, in constant time. To accept several secrets (rotation), use
/// [`Verifier`](crate::Verifier).
pub fn verify(
    secret: impl AsRef<[u8]>,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<(), Error> {
    verify_any(&[secret], raw_body, signature_header).map(|_| ())
}

/// The header's value decoded, or why it cannot be a signature. Cheap: done before the body is
/// read.
pub(crate) fn decode_header(signature_header: Option<&str>) -> Result<Vec<u8>, Error> {
    let header = signature_header.ok_or(Error::MissingSignature)?;
    base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| Error::SignatureNotBase64)
}

/// The index of the first of `secrets` whose signature of `raw_body` is `signature_header`.
/// Every secret is tried (each comparison in constant time), so the time taken does not say
/// which one matched.
pub(crate) fn verify_any<S: AsRef<[u8]>>(
    secrets: &[S],
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<usize, Error> {
    let signature = decode_header(signature_header)?;
    let mut matched = None;
    for (index, secret) in secrets.iter().enumerate() {
        // `verify_slice` compares in constant time (and refuses a truncated tag).
        let ok = mac(secret.as_ref(), raw_body)
            .verify_slice(&signature)
            .is_ok();
        if ok && matched.is_none() {
            matched = Some(index);
        }
    }
    matched.ok_or(Error::SignatureMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 HMAC-SHA-256 test cases 1–4, 6 and 7 (5 is a truncated tag), as hex.
    const RFC4231: [(&str, &str, &str); 6] = [
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "4869205468657265",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            "4a656665",
            "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            "0102030405060708090a0b0c0d0e0f10111213141516171819",
            "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        ),
    ];

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc_4231_vectors() {
        for (key, data, mac) in RFC4231 {
            let expected = base64::engine::general_purpose::STANDARD.encode(hex(mac));
            assert_eq!(sign(hex(key), &hex(data)), expected);
            assert!(verify(hex(key), &hex(data), Some(&expected)).is_ok());
        }
    }

    #[test]
    fn sign_then_verify_round_trips_and_any_flipped_byte_fails() {
        let secret = b"whsec_round_trip";
        let body = crate::sample("failed").unwrap().body.as_bytes();
        let signature = sign(secret, body);
        assert!(verify(secret, body, Some(&signature)).is_ok());
        for i in 0..body.len() {
            let mut changed = body.to_vec();
            changed[i] ^= 0x01;
            assert!(
                matches!(
                    verify(secret, &changed, Some(&signature)),
                    Err(Error::SignatureMismatch)
                ),
                "byte {i}"
            );
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&signature)
            .unwrap();
        for i in 0..raw.len() {
            let mut changed = raw.clone();
            changed[i] ^= 0x80;
            let changed = base64::engine::general_purpose::STANDARD.encode(changed);
            assert!(
                matches!(
                    verify(secret, body, Some(&changed)),
                    Err(Error::SignatureMismatch)
                ),
                "signature byte {i}"
            );
        }
        // A truncated signature, another secret.
        let truncated = base64::engine::general_purpose::STANDARD.encode(&raw[..16]);
        assert!(matches!(
            verify(secret, body, Some(&truncated)),
            Err(Error::SignatureMismatch)
        ));
        assert!(matches!(
            verify(b"other", body, Some(&signature)),
            Err(Error::SignatureMismatch)
        ));
    }

    #[test]
    fn signature_errors_say_what_is_wrong_without_the_secret() {
        let secret = "whsec_do_not_print_me";
        for (header, expected) in [
            (None, "missing"),
            (Some("%%%not base64"), "not Base64"),
            (Some("AAAA"), "does not match"),
        ] {
            let error = verify(secret, b"{}", header).unwrap_err();
            assert!(error.is_signature_error());
            let text = format!("{error} {error:?}");
            assert!(text.contains(expected), "{text}");
            assert!(!text.contains(secret));
        }
    }

    #[test]
    fn any_of_several_secrets_is_accepted_and_the_one_that_matched_is_named() {
        let body = b"{\"timestamp\": \"1\"}";
        let secrets = ["whsec_new", "whsec_old", "whsec_older"];
        for (index, secret) in secrets.iter().enumerate() {
            let header = sign(secret, body);
            assert_eq!(verify_any(&secrets, body, Some(&header)).unwrap(), index);
        }
        let stranger = sign("whsec_someone_else", body);
        assert!(matches!(
            verify_any(&secrets, body, Some(&stranger)),
            Err(Error::SignatureMismatch)
        ));
        let none: [&str; 0] = [];
        assert!(matches!(
            verify_any(&none, body, Some(&sign("whsec_new", body))),
            Err(Error::SignatureMismatch)
        ));
    }
}
