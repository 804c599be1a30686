//! Every shared signature test vector: the verdict, the reason for invalid vectors, and for valid
//! vectors that signing the same inputs reproduces the signature header.
//!
//! The vectors are read in place from `../shared/vectors` (override with `HOOKSCOPE_VECTORS_DIR`).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookscope::capture::HeaderList;
use hookscope::signature::{
    RequestParts, Scheme, SignParams, VerifyOptions, inputs_from_headers, sign, verify,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    scheme: String,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    id: String,
    scheme: String,
    secret: String,
    method: String,
    url: String,
    headers: serde_json::Map<String, serde_json::Value>,
    body_base64: String,
    now_unix: Option<i64>,
    expected: String,
    reason: String,
}

fn vectors_dir() -> PathBuf {
    std::env::var_os("HOOKSCOPE_VECTORS_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors")),
        PathBuf::from,
    )
}

fn load() -> Vec<File> {
    let dir = vectors_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "signature vectors folder {} is missing ({e}); set HOOKSCOPE_VECTORS_DIR",
            dir.display()
        )
    });
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 17,
        "signature vectors folder {} holds {} JSON files, expected at least 17",
        dir.display(),
        paths.len()
    );
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

fn header_list(v: &Vector) -> HeaderList {
    HeaderList::from_pairs(
        v.headers
            .iter()
            .map(|(k, val)| (k.clone(), val.as_str().unwrap_or_default().to_string())),
    )
}

/// Sign a valid vector with the inputs its scheme's "Re-sign" line names, and check the result.
fn resign(scheme: &Scheme, v: &Vector, headers: &HeaderList, body: &[u8]) -> Result<(), String> {
    let sig_header = scheme.signature_header();
    let received = headers.get(sig_header).ok_or("no signature header")?;
    let mut url = v.url.clone();
    if v.reason == "valid_port_normalization" {
        url = url.replacen(":443", "", 1);
    }
    let inputs = inputs_from_headers(scheme, headers);
    let mut p = SignParams {
        method: &v.method,
        url: &url,
        body,
        now_unix: 0,
        ..SignParams::default()
    };
    inputs.apply(&mut p);
    let signed = sign(scheme, &v.secret, &p).map_err(|e| format!("sign failed: {e}"))?;
    let produced = signed
        .header(sig_header)
        .ok_or("sign produced no signature header")?;
    if v.reason == "multiple_signatures_one_valid" {
        let tokens: Vec<&str> = received.split([' ', ',', ';']).collect();
        if !produced.split([' ', ',', ';']).all(|t| tokens.contains(&t)) {
            return Err(format!(
                "produced {produced}, not one of the entries of {received}"
            ));
        }
    } else if produced != received {
        return Err(format!("produced {produced}, header has {received}"));
    }
    if let Some(new_url) = &signed.url
        && *new_url != v.url
    {
        return Err(format!("produced URL {new_url}, vector URL {}", v.url));
    }
    Ok(())
}

#[test]
fn every_shared_vector() {
    let files = load();
    let mut failures = Vec::new();
    let (mut total, mut verdicts, mut invalid, mut reasons, mut valid, mut signs) = (0, 0, 0, 0, 0, 0);
    for file in &files {
        for v in &file.vectors {
            total += 1;
            assert_eq!(v.scheme, file.scheme, "{}: scheme differs from its file", v.id);
            let scheme =
                Scheme::parse(&v.scheme).unwrap_or_else(|| panic!("{}: unknown scheme {}", v.id, v.scheme));
            let headers = header_list(v);
            let body = STANDARD
                .decode(&v.body_base64)
                .unwrap_or_else(|e| panic!("{}: body: {e}", v.id));
            let req = RequestParts {
                method: &v.method,
                url: &v.url,
                headers: &headers,
                body: &body,
            };
            let opts = VerifyOptions {
                now_unix: v.now_unix,
                tolerance_secs: None,
            };
            let got = verify(&scheme, &v.secret, &req, &opts);
            let want_valid = v.expected == "valid";
            if got.valid == want_valid {
                verdicts += 1;
            } else {
                failures.push(format!(
                    "{} [{}]: expected {}, got {}: {}",
                    v.id, v.reason, v.expected, got.reason, got.explanation
                ));
            }
            assert!(
                !got.explanation.contains(&v.secret),
                "{}: explanation leaks the secret",
                v.id
            );
            if want_valid {
                valid += 1;
                match resign(&scheme, v, &headers, &body) {
                    Ok(()) => signs += 1,
                    Err(e) => failures.push(format!("{} [{}]: re-sign: {e}", v.id, v.reason)),
                }
            } else {
                invalid += 1;
                if got.reason.as_str() == v.reason {
                    reasons += 1;
                } else if !got.valid {
                    failures.push(format!(
                        "{} [{}]: reason {} instead of {}: {}",
                        v.id, v.reason, got.reason, v.reason, got.explanation
                    ));
                }
            }
        }
    }
    println!(
        "signature vectors: {total} in {} files; verdicts {verdicts}/{total}, reasons {reasons}/{invalid}, \
         signatures reproduced {signs}/{valid}",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} vector failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
