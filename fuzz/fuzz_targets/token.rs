//! The JWT claims decoder never panics: raw tokens, and arbitrary bytes as the claims segment of
//! an otherwise well-formed token. Padding and surrounding whitespace change nothing.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use prom_preflight::probe::token;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    if control & 1 == 0 {
        // Any text as a token.
        let text = String::from_utf8_lossy(rest);
        if let Some(claims) = token::decode(&text) {
            let _ = claims.expired_at(i64::from(control) << 40);
            serde_json::to_string(&claims).expect("claims serialize");
        }
        return;
    }
    // The bytes as the claims JSON of a token.
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = engine.encode(rest);
    let jwt = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln");
    let claims = token::decode(&jwt);
    if let Some(claims) = &claims {
        let _ = claims.expired_at(i64::MIN);
        let _ = claims.expired_at(i64::MAX);
        serde_json::to_string(claims).expect("claims serialize");
    }
    let padded = format!(
        " \n{}.{}{}.c2ln\t",
        "eyJhbGciOiJSUzI1NiJ9",
        payload,
        "=".repeat((4 - payload.len() % 4) % 4)
    );
    // Base64 padding on the claims segment and whitespace around the token change nothing.
    assert_eq!(token::decode(&padded), claims);
});
