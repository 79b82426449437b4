//! Issue 13, `--redact`: every output format of every bundled capture, run with `--redact`,
//! is searched for every secret the capture holds, as sent, URL-encoded and in base64, and
//! none is found; without `--redact` they are there (so the search can fail). The secrets are
//! the literals the fixtures were built with (tests/fixtures.rs), plus every value the
//! unredacted JSON gives in a secret field, so that a new fixture is covered too.

mod support;

use base64::Engine as _;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::{jsonl, stdout};

const KEY: &str = "test key of issue 13";

/// The secrets the fixtures were written with: (capture, secret).
const LITERAL: &[(&str, &str)] = &[
    // MSNP7: the MD5 salt, a switchboard cookie.
    ("synthetic_msnp7_md5", "1013928519.693957190"),
    ("synthetic_msnp7_md5", "17262740.1050826919.32308"),
    // MSNP11: the TWN challenge and ticket (and its parts), an RNG cookie, MSPAuth.
    ("synthetic_msnp11_twn", "tpf=0123456789abcdef"),
    ("synthetic_msnp11_twn", "t=ticket123&p=profile456"),
    ("synthetic_msnp11_twn", "ticket123"),
    ("synthetic_msnp11_twn", "profile456"),
    ("synthetic_msnp11_twn", "1136000111.22233"),
    // MSNP8 (independent): the login profile's MSPProf.
    ("independent_msnp8_twn", "Ry/pL6p6C/0QrQtfIWd+JCihymyLRWjm"),
    // MSNP14: an XFR cookie.
    ("synthetic_msnp14_adl", "2081154848.1208212.1234"),
    // MSNP18: the SSO nonce, ticket and response, a switchboard cookie.
    (
        "synthetic_msnp18_sso",
        "8CLhG/xfgYZ7TyRQ/jIAWyDmd/w4R4GF2yKLS6tYrnjzi4cFag/Nr+hxsfg5zlCf",
    ),
    ("synthetic_msnp18_sso", "t=EwCoARAnAAAU&p="),
    (
        "synthetic_msnp18_sso",
        "HAAAAAEAAAADZgAABIAAAAgAAAAUAAAASAAAAAAAAAAAAAAA",
    ),
    ("synthetic_msnp18_sso", "1743299616.1432412.92154"),
    // MSNFTP: the AuthCookies of the invitations and of MSNFTP's USR.
    ("synthetic_msnftp", "41728291"),
    ("synthetic_msnftp", "90817263"),
    ("synthetic_msnftp", "5550123"),
    ("synthetic_msnftp", "1136000222.4455"),
    // The login profile's MSPAuth, an invitation's AuthCookie.
    ("synthetic_msnc_messages", "7Yz0Ab$$"),
    ("synthetic_msnc_messages", "1618033988"),
];

/// JSON fields whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "salt",
    "response",
    "ticket",
    "passport_challenge",
    "nonce",
    "challenge",
    "cookie",
    "circle_ticket",
];

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("captures/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

fn run(args: &[&str], key: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(args)
        .env("MSNSNIFF_REDACT_KEY", key)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run msnsniff")
}

/// Every output of every format for `capture` with `redact` options, as one text (the files
/// that `transcripts` and `--extract` write included).
fn every_output(capture: &Path, redact: &[&str], key: &str) -> String {
    let cap = capture.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut all = String::new();
    let with = |mut a: Vec<String>| {
        a.extend(redact.iter().map(|s| s.to_string()));
        a
    };
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let extract = tmp.path().join("objects");
    let transcripts = tmp.path().join("transcripts");
    let runs = [
        s(&["read", "--notes", "full", cap]),
        s(&["read", "--notes", "full", "--color", "always", cap]),
        s(&["read", "--format", "jsonl", cap]),
        s(&["read", "--format", "json", cap]),
        s(&[
            "read",
            "--format",
            "jsonl",
            "--extract",
            extract.to_str().unwrap(),
            cap,
        ]),
        s(&["flows", cap]),
        s(&["flows", "--format", "jsonl", cap]),
        s(&["flows", "--format", "json", cap]),
        s(&["flows", "--format", "tsv", cap]),
        s(&["stats", cap]),
        s(&["stats", "--format", "json", cap]),
        s(&["transcripts", "-o", transcripts.to_str().unwrap(), cap]),
    ];
    for args in runs {
        let args = with(args);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&a, key);
        assert!(
            o.status.code().is_some_and(|c| c < 2),
            "{a:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        all.push_str(&stdout(&o));
        all.push_str(&String::from_utf8_lossy(&o.stderr));
    }
    for dir in [&extract, &transcripts] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            // Extracted objects are written as sent; their sidecars and the transcripts are
            // output.
            let is_object = dir == &extract && p.extension().is_none_or(|e| e != "json");
            if !is_object {
                all.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
            }
        }
    }
    all
}

/// The forms a secret could take in output: as sent, URL-encoded, base64.
fn forms(secret: &str) -> Vec<String> {
    let mut url = String::new();
    for b in secret.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let mut v = vec![secret.to_string(), b64.trim_end_matches('=').to_string()];
    if url != secret {
        v.push(url.clone());
        v.push(url.to_lowercase());
    }
    v
}

/// The secrets of one capture: its literals and the secret fields of its unredacted events.
fn secrets_of(capture: &Path) -> BTreeSet<String> {
    let name = stem(capture);
    let mut set: BTreeSet<String> = LITERAL
        .iter()
        .filter(|(c, _)| name.starts_with(c))
        .map(|(_, s)| s.to_string())
        .collect();
    let o = run(
        &["read", "--format", "jsonl", capture.to_str().unwrap()],
        KEY,
    );
    for ev in jsonl(&o) {
        if ev["type"] != "command" {
            continue;
        }
        for f in SECRET_FIELDS {
            for key in [f.to_string(), format!("{f}_raw")] {
                if let Some(v) = ev["fields"][&key].as_str() {
                    set.insert(v.to_string());
                }
            }
        }
        if ev["verb"] == "QRY"
            && ev["dir"] == "c2s"
            && let Some(p) = ev["payload"].as_str()
        {
            set.insert(p.to_string());
        }
    }
    // Secrets of one or two characters (an MSPProf of `1`) cannot be searched for.
    set.retain(|s| s.len() >= 4);
    set
}

#[test]
fn no_secret_survives_redaction_in_any_format_of_any_capture() {
    let mut checked = 0;
    for cap in captures() {
        let secrets = secrets_of(&cap);
        if secrets.is_empty() {
            continue;
        }
        let plain = every_output(&cap, &[], KEY);
        let redacted = every_output(&cap, &["--redact"], KEY);
        for secret in &secrets {
            assert!(
                plain.contains(secret.as_str()),
                "{}: {secret} is not in the unredacted output",
                stem(&cap)
            );
            for form in forms(secret) {
                assert!(
                    !redacted.contains(&form),
                    "{}: {form} (of {secret}) is in the redacted output",
                    stem(&cap)
                );
                checked += 1;
            }
        }
        assert!(redacted.contains("redacted:"), "{}", stem(&cap));
    }
    // Every literal was found in its capture, and each in several forms.
    assert!(checked > 3 * LITERAL.len(), "{checked} forms checked");
}

#[test]
fn tokens_are_stable_within_a_run_keyed_across_runs() {
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/synthetic_msnp7_md5.pcap");
    let cap = cap.to_str().unwrap();
    let lines = |key: &str| {
        let o = run(&["read", "--redact", "--format", "jsonl", cap], key);
        jsonl(&o)
    };
    let cookie = |events: &[serde_json::Value]| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| e["fields"]["cookie"].as_str().map(str::to_string))
            .collect()
    };
    let a = lines(KEY);
    // The XFR cookie and the switchboard USR that presents it: one token.
    let tokens = cookie(&a);
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    assert_eq!(tokens[0], tokens[1]);
    assert!(tokens[0].starts_with("redacted:") && tokens[0].len() == 15);
    // The same key gives the same output; another key other tokens.
    assert_eq!(a, lines(KEY));
    let b = lines("another key");
    assert_ne!(cookie(&b)[0], tokens[0]);
    // The decoder still saw the real cookie: the MSNP18 switchboard, found by its first
    // bytes, is linked to its notification server by the cookie it presents.
    let sso = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/synthetic_msnp18_sso.pcap"
    );
    let events = jsonl(&run(&["read", "--redact", "--format", "jsonl", sso], KEY));
    let linked = events.iter().any(|e| {
        e["type"] == "connection_update"
            && e["flow"] == 2
            && e["detection"]["by"] == "port"
            && e["announced_by"] == 1
    });
    assert!(linked, "the switchboard was linked by its cookie");
    // Without a key, two runs draw different keys.
    let run_random = || {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_msnsniff"))
            .args(["read", "--redact", "--format", "jsonl", cap])
            .env_remove("MSNSNIFF_REDACT_KEY")
            .output()
            .unwrap();
        cookie(&jsonl(&o))
    };
    assert_ne!(run_random(), run_random());
}

/// Every e-mail address in a text (a rough pattern, as a reader would see one).
fn addresses(text: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let text = text.replace("%40", "@");
    let b = text.as_bytes();
    for (i, _) in text.match_indices('@') {
        let mut s = i;
        while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b"._-+".contains(&b[s - 1])) {
            s -= 1;
        }
        let mut e = i + 1;
        while e < b.len() && (b[e].is_ascii_alphanumeric() || b".-".contains(&b[e])) {
            e += 1;
        }
        let domain = text[i + 1..e].trim_end_matches('.');
        if s < i && domain.contains('.') {
            set.insert(text[s..i + 1 + domain.len()].to_lowercase());
        }
    }
    set
}

#[test]
fn redact_handles_leaves_no_address_and_keeps_pseudonyms_consistent() {
    for name in [
        "synthetic_msnp14_adl",
        "synthetic_msnp18_sso",
        "synthetic_msnftp",
        "synthetic_p2p",
        "escargot_msnp11_full",
    ] {
        let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("captures/{name}.pcap"));
        let plain = every_output(&cap, &[], KEY);
        let found = addresses(&plain);
        assert!(found.len() >= 2, "{name}: {found:?}");
        let redacted = every_output(&cap, &["--redact-handles"], KEY);
        let left: Vec<_> = addresses(&redacted)
            .into_iter()
            .filter(|a| a != "msmsgs@msnmsgr.com" && !a.contains("@redacted"))
            .collect();
        assert!(left.is_empty(), "{name}: {left:?} left");
        for a in &found {
            // Nor the local part on its own with its domain, as ADL splits them.
            let (local, domain) = a.split_once('@').unwrap();
            if a != "msmsgs@msnmsgr.com" && local.len() > 2 {
                assert!(
                    !redacted.contains(&format!("n=\"{local}\"")),
                    "{name}: {local} of {domain}"
                );
            }
        }
        assert!(redacted.contains("user-1@redacted"), "{name}");
    }
    // The principal of the flows table and of the events is the same pseudonym.
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/synthetic_msnp18_sso.pcap");
    let cap = cap.to_str().unwrap();
    let flows = jsonl(&run(
        &["flows", "--format", "jsonl", "--redact-handles", cap],
        KEY,
    ));
    let events = jsonl(&run(
        &["read", "--format", "jsonl", "--redact-handles", cap],
        KEY,
    ));
    let principal = flows[0]["principal"]
        .as_str()
        .expect("principal")
        .to_string();
    assert!(principal.ends_with("@redacted"), "{principal}");
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["handle"].as_str() == Some(&principal))
    );
}

#[test]
fn redact_text_hides_every_message_text() {
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/synthetic_msnc_messages.pcap");
    let c = cap.to_str().unwrap();
    let texts: Vec<String> = jsonl(&run(&["read", "--format", "jsonl", c], KEY))
        .iter()
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .filter(|t| t.len() >= 4)
        .collect();
    assert!(texts.len() >= 3, "{texts:?}");
    let redacted = every_output(&cap, &["--redact-text"], KEY);
    for t in &texts {
        for line in t.lines().filter(|l| l.len() >= 4) {
            assert!(!redacted.contains(line), "{line:?} is in the output");
        }
    }
    // Personal messages too (the MSNP11 fixture sets `busy coding`).
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/synthetic_msnp11_twn.pcap");
    assert!(every_output(&cap, &[], KEY).contains("busy coding"));
    assert!(!every_output(&cap, &["--redact-text"], KEY).contains("busy coding"));
}

#[test]
fn raw_byte_outputs_refuse_redaction() {
    let tmp = tempfile::tempdir().unwrap();
    let cap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/synthetic_msnp7_md5.pcap"
    );
    let dump = tmp.path().join("d");
    let o = run(
        &["flows", "--redact", "--dump", dump.to_str().unwrap(), cap],
        KEY,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        support::stderr(&o).contains("--dump"),
        "{}",
        support::stderr(&o)
    );
    assert!(!dump.exists());
    let o = run(&["live", "--redact-handles", "-w", "x.pcap"], KEY);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        support::stderr(&o).contains("--write"),
        "{}",
        support::stderr(&o)
    );
}

#[test]
fn redact_handles_hides_friendly_names_and_phone_numbers_and_selection_still_works() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, personal) in [
        (
            "synthetic_msnp7_md5",
            &[
                "Alice%20A.",
                "Alice A.",
                "Alice%20in%20Wonderland",
                "Alice in Wonderland",
            ][..],
        ),
        (
            "synthetic_msnp11_twn",
            &["555%201234", "555 1234", "Alice%20A."][..],
        ),
    ] {
        let cap = root.join(format!("captures/{name}.pcap"));
        let plain = every_output(&cap, &[], KEY);
        let redacted = every_output(&cap, &["--redact-handles"], KEY);
        for p in personal {
            assert!(plain.contains(p), "{name}: {p} not in the plain output");
            assert!(!redacted.contains(p), "{name}: {p} in the redacted output");
        }
    }
    // `--handle` selects by the real handle; what is printed is the pseudonym.
    let cap = root.join("captures/synthetic_msnp7_md5.pcap");
    let o = run(
        &[
            "read",
            "--handle",
            "bob@hotmail.com",
            "--redact-handles",
            cap.to_str().unwrap(),
        ],
        KEY,
    );
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("JOI user-") || out.contains("IRO "), "{out}");
    assert!(!out.contains("bob@hotmail.com"));
}
