//! The habits of tcpdump, tshark and jq users (issue 11), each checked on the binary.

mod support;

use std::process::Command;
use support::*;

const CAP: &str = "captures/etherdump_msn.pcap";

fn run_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_msnsniff"));
    c.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run msnsniff")
}

#[test]
fn clicolor_force_colours_a_pipe_and_no_color_wins_over_it() {
    let forced = run_env(&["read", CAP], &[("CLICOLOR_FORCE", "1")]);
    assert!(stdout(&forced).contains("\x1b[34m>>> "), "forced colour");
    let zero = run_env(&["read", CAP], &[("CLICOLOR_FORCE", "0")]);
    assert!(!stdout(&zero).contains('\x1b'), "0 does not force");
    let both = run_env(
        &["read", CAP],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(!stdout(&both).contains('\x1b'), "NO_COLOR wins");
    // An explicit --color beats both.
    let never = run_env(
        &["read", "--color", "never", CAP],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(!stdout(&never).contains('\x1b'));
}

#[test]
fn flows_takes_color_too() {
    let plain = run_env(&["flows", CAP], &[]);
    assert!(!stdout(&plain).contains('\x1b'));
    let always = run_env(&["flows", "--color", "always", CAP], &[]);
    let text = stdout(&always);
    assert!(text.contains("\x1b[1m"), "bold header: {text}");
    assert!(
        text.contains("\x1b[38;5;12m") || text.contains("\x1b[34m"),
        "{text:?}"
    );
    let forced = run_env(&["flows", CAP], &[("CLICOLOR_FORCE", "1")]);
    assert!(stdout(&forced).contains('\x1b'));
}

#[test]
fn the_flows_table_fits_the_terminal_width() {
    let wide = run_env(&["flows", CAP], &[]);
    let widest = stdout(&wide)
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    assert!(widest > 120, "a pipe keeps every column: {widest}");
    for cols in [80u16, 100, 132] {
        let out = run_env(&["flows", CAP], &[("COLUMNS", &cols.to_string())]);
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        for line in text.lines() {
            assert!(
                line.chars().count() <= usize::from(cols),
                "{cols}: {line} ({})",
                line.chars().count()
            );
        }
        // The columns that stay, and a line naming what was left out.
        for col in ["id", "role", "client", "server"] {
            assert!(text.contains(col), "{text}");
        }
        assert!(text.contains("left out to fit"), "{text}");
        // Every connection still has its row, whole.
        assert!(text.contains("207.46.124.76:1863"), "{text}");
    }
}

#[test]
fn flows_tsv_is_one_header_and_a_line_per_connection() {
    let out = run_env(&["flows", "--format", "tsv", CAP], &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(header[0], "id");
    assert!(header.contains(&"client_bytes") && header.contains(&"closing"));
    let rows = &lines[1..];
    let json = run_env(&["flows", "--format", "jsonl", CAP], &[]);
    let objects = jsonl(&json);
    assert_eq!(rows.len(), objects.len());
    for (row, obj) in rows.iter().zip(&objects) {
        let f: Vec<&str> = row.split('\t').collect();
        assert_eq!(f.len(), header.len(), "{row}");
        let col = |name: &str| f[header.iter().position(|h| *h == name).expect(name)];
        assert_eq!(col("id"), obj["id"].to_string());
        assert_eq!(col("client"), obj["client"].as_str().unwrap());
        assert_eq!(col("client_bytes"), obj["client_bytes"].to_string());
        let first: f64 = col("first_ts").parse().expect("a number");
        assert_eq!(Some(first), obj["first_ts"].as_f64());
    }
}

#[test]
fn group_with_a_json_format_is_refused_not_ignored() {
    for format in ["jsonl", "json"] {
        let out = run_env(&["read", "--group", "--format", format, CAP], &[]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(out.stdout.is_empty(), "nothing printed before the refusal");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--group orders the dialogue only"), "{err}");
    }
    let ok = run_env(&["read", "--group", CAP], &[]);
    assert_eq!(ok.status.code(), Some(0));
}

/// A file in `dir` holding `bytes`; its path as a string.
fn file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p.to_string_lossy().into_owned()
}

#[test]
fn a_filter_typed_without_double_dash_is_caught_before_any_output() {
    let out = run_env(&["read", CAP, "port", "4417"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing decoded before the check");
    let err = stderr(&out);
    assert_eq!(
        err.trim_end(),
        "msnsniff: port: no such file; did you mean `-- port 4417`? (a filter goes after --)"
    );
    // A plain missing file is just that.
    let out = run_env(&["flows", CAP, "nosuch.pcap"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).trim_end(),
        "msnsniff: nosuch.pcap: no such file"
    );
}

#[test]
fn inputs_that_are_no_captures_are_named_plainly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = file(dir.path(), "empty.pcap", b"");
    let text = file(
        dir.path(),
        "notes.txt",
        b"VER 1 MSNP8 CVR0\r\nnot a capture\r\n",
    );
    let binary = file(dir.path(), "blob.bin", &[0, 1, 2, 3, 0xFF, 0xFE, 7, 9]);
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    let sub = sub.to_string_lossy().into_owned();
    for (args, expected) in [
        (vec!["read", &empty], "empty file, not a capture"),
        (vec!["read", &text], "a text file, not a capture"),
        (vec!["stats", &binary], "not a capture: unknown format"),
        (vec!["flows", &sub], "is a directory, not a capture"),
        (
            vec!["read", "-", "-"],
            "standard input named more than once",
        ),
        (vec!["flows", "--dump", &text, CAP], "not a directory"),
        (vec!["transcripts", "-o", &text, CAP], "not a directory"),
    ] {
        let out = run_env(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn compressed_captures_are_read_as_they_are() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = std::fs::read(CAP).expect("capture");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let zst =
        ruzstd::encoding::compress_to_vec(&raw[..], ruzstd::encoding::CompressionLevel::Fastest);
    let mut xz = Vec::new();
    lzma_rs::xz_compress(&mut &raw[..], &mut xz).expect("xz");
    let want = stdout(&run_env(&["read", "--format", "jsonl", CAP], &[]));
    assert!(want.lines().count() > 50);
    // Told by their first bytes, whatever their names.
    for (name, bytes) in [("a.pcap.gz", &gz), ("b.zst", &zst), ("c.capture", &xz)] {
        let path = file(dir.path(), name, bytes);
        let out = run_env(&["read", "--format", "jsonl", &path], &[]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert_eq!(stdout(&out), want, "{name}");
    }
    // Damage inside the compressed stream: what came before is output, then one line, exit 2.
    let cut = file(dir.path(), "cut.gz", &gz[..gz.len() / 2]);
    let out = run_env(&["read", "--format", "jsonl", &cut], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stdout.is_empty(), "the part before the damage");
    let err = stderr(&out);
    assert!(err.contains("cut.gz: corrupt gzip data"), "{err}");
}

#[test]
fn ts_ns_is_the_same_time_as_ts_in_whole_nanoseconds() {
    let out = run_env(&["read", "--format", "jsonl", CAP], &[]);
    let text = stdout(&out);
    let mut checked = 0;
    for line in text.lines() {
        // Compared as text: no floating point in between.
        let ts = line
            .split("\"ts\":")
            .nth(1)
            .and_then(|r| r.split(',').next());
        let ns = line
            .split("\"ts_ns\":")
            .nth(1)
            .and_then(|r| r.split(',').next());
        let (Some(ts), Some(ns)) = (ts, ns) else {
            panic!("an event without ts and ts_ns: {line}");
        };
        let (secs, frac) = ts.split_once('.').expect("nine decimals");
        assert_eq!(frac.len(), 9, "{line}");
        assert_eq!(format!("{secs}{frac}"), ns, "{line}");
        checked += 1;
    }
    assert!(checked > 50, "{checked}");
}

/// The JSON type of a value, for the type check below (`list<str>` for a list of strings).
fn json_type(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    Some(match v {
        Value::Null => return None,
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Object(_) => "object".into(),
        Value::Array(items) => {
            let mut kinds: Vec<String> = items.iter().filter_map(json_type).collect();
            kinds.sort();
            kinds.dedup();
            match kinds.as_slice() {
                [] => return None,
                [one] => format!("list<{one}>"),
                _ => format!("list<{}>", kinds.join("|")),
            }
        }
    })
}

fn collect_types(
    v: &serde_json::Value,
    path: &str,
    seen: &mut std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                let here = format!("{path}.{k}");
                if let Some(t) = json_type(x) {
                    seen.entry(k.clone())
                        .or_default()
                        .entry(t)
                        .or_insert(here.clone());
                }
                collect_types(x, &here, seen);
            }
        }
        serde_json::Value::Array(items) => {
            for x in items {
                collect_types(x, &format!("{path}[]"), seen);
            }
        }
        _ => {}
    }
}

#[test]
fn every_json_field_name_has_one_type_and_identifiers_are_strings() {
    let mut seen = std::collections::BTreeMap::new();
    let mut events = 0;
    for entry in std::fs::read_dir("tests/golden").expect("goldens") {
        let path = entry.expect("entry").path();
        let name = path.to_string_lossy().into_owned();
        if !(name.ends_with(".events.jsonl") || name.ends_with(".flows.jsonl")) {
            continue;
        }
        for line in std::fs::read_to_string(&path).expect("read").lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                collect_types(&v, "", &mut seen);
                events += 1;
            }
        }
    }
    assert!(events > 1000, "{events}");
    let mixed: Vec<String> = seen
        .iter()
        .filter(|(_, types)| types.len() > 1)
        .map(|(k, types)| format!("{k}: {types:?}"))
        .collect();
    assert!(
        mixed.is_empty(),
        "names with several types:\n{}",
        mixed.join("\n")
    );
    for (k, types) in &seen {
        // Two codes the protocol calls ids: the client id (capability bits) and the network
        // id (1 Passport, 32 Yahoo...).
        if k.ends_with("_id")
            && !["client_id", "network_id", "recipient_network_id"].contains(&k.as_str())
        {
            assert!(types.contains_key("string"), "{k}: {types:?}");
        }
        if k.ends_with("_ids") {
            assert!(types.contains_key("list<string>"), "{k}: {types:?}");
        }
    }
}

#[test]
fn with_a_filter_frame_numbers_stay_those_of_the_file() {
    // Connection 5 of the capture, alone through a filter, and picked out of the whole.
    let whole = jsonl(&run_env(
        &["read", "--format", "jsonl", "--flow", "5", CAP],
        &[],
    ));
    let filtered = jsonl(&run_env(
        &[
            "read", "--format", "jsonl", CAP, "--", "tcp", "port", "4417",
        ],
        &[],
    ));
    let frames = |evs: &[serde_json::Value]| -> Vec<u64> {
        evs.iter()
            .filter(|e| e["type"] == "command")
            .map(|e| e["frame"].as_u64().expect("frame"))
            .collect()
    };
    assert!(!frames(&whole).is_empty());
    assert_eq!(frames(&filtered), frames(&whole));
    // Wireshark's number of the first command of that switchboard.
    assert_eq!(frames(&filtered)[0], 130);
    // Ids are the filtered run's own: one connection.
    assert!(
        filtered
            .iter()
            .all(|e| e["flow"] == 1 || e["flow"].is_null())
    );
}

#[test]
fn a_file_whose_times_go_back_before_the_previous_one_is_reported() {
    // The same capture twice: the second file starts before the first one ended.
    let out = run_env(&["read", "--format", "jsonl", CAP, CAP], &[]);
    assert_eq!(out.status.code(), Some(0));
    let evs = jsonl(&out);
    let back: Vec<&serde_json::Value> = evs
        .iter()
        .filter(|e| e["type"] == "anomaly" && e["name"] == "capture.file_time_backwards")
        .collect();
    assert_eq!(back.len(), 1, "{back:?}");
    assert!(
        back[0]["detail"]
            .as_str()
            .unwrap()
            .contains("etherdump_msn.pcap starts at")
    );
    // In order, no warning.
    let once = jsonl(&run_env(&["read", "--format", "jsonl", CAP], &[]));
    assert!(
        !once
            .iter()
            .any(|e| e["name"] == "capture.file_time_backwards")
    );
}

#[test]
fn time_and_frame_stamps_on_dialogue_lines() {
    fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec!["read", "--flow", "5", CAP];
        a.extend_from_slice(extra);
        a
    }
    let plain = stdout(&run_env(&args(&[]), &[]));
    assert!(
        plain.starts_with("<o> 2011-08-10T03:17:29.750284Z connection 5 opened"),
        "{plain}"
    );

    let iso = stdout(&run_env(&args(&["--time", "iso", "--frames"]), &[]));
    let lines: Vec<&str> = iso.lines().collect();
    assert_eq!(
        lines.len(),
        plain.lines().count(),
        "one stamp a line, no line added"
    );
    assert!(
        lines[1].starts_with("   130 2011-08-10T03:17:30.022988Z >>> ANS 1 "),
        "{iso}"
    );
    for (stamped, bare) in iso.lines().zip(plain.lines()) {
        assert!(stamped.ends_with(bare), "{stamped} / {bare}");
    }

    let epoch = stdout(&run_env(&args(&["--time", "epoch"]), &[]));
    assert!(
        epoch
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("1312946250.022988 >>> ANS"),
        "{epoch}"
    );

    let rel = stdout(&run_env(&args(&["--time", "relative"]), &[]));
    assert!(
        rel.lines()
            .next()
            .unwrap()
            .trim_start()
            .starts_with("0.000000 <o>"),
        "{rel}"
    );
    assert!(
        rel.lines()
            .nth(1)
            .unwrap()
            .trim_start()
            .starts_with("0.272704 >>> ANS"),
        "{rel}"
    );

    let delta = stdout(&run_env(&args(&["--time", "delta"]), &[]));
    // IRO came 0.272939 s after ANS.
    assert!(
        delta
            .lines()
            .nth(2)
            .unwrap()
            .trim_start()
            .starts_with("0.272939 <<< IRO"),
        "{delta}"
    );

    // --local follows TZ, in stamps and in notes, with the offset.
    let tokyo = stdout(&run_env(
        &args(&["--time", "iso", "--local"]),
        &[("TZ", "Asia/Tokyo")],
    ));
    if std::path::Path::new("/usr/share/zoneinfo/Asia/Tokyo").exists() {
        assert!(
            tokyo.starts_with(
                "2011-08-10T12:17:29.750284+09:00 <o> 2011-08-10T12:17:29.750284+09:00 connection 5"
            ),
            "{tokyo}"
        );
    }
    let fixed = stdout(&run_env(
        &args(&["--time", "iso", "--local"]),
        &[("TZ", "UTC-2")],
    ));
    assert!(
        fixed.starts_with("2011-08-10T05:17:29.750284+02:00 <o>"),
        "{fixed}"
    );

    // JSON has its own times: the stamps are refused there.
    let refused = run_env(&args(&["--format", "jsonl", "--time", "iso"]), &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--time and --frames stamp dialogue lines"));
}

#[test]
fn a_selection_that_matches_nothing_exits_1_with_one_line() {
    for (args, words) in [
        (vec!["--flow", "99"], "--flow 99"),
        (
            vec!["--principal", "typo@nowhere"],
            "--principal typo@nowhere",
        ),
        (vec!["--verb", "FOO"], "--verb FOO"),
        (vec!["--handle", "nobody@x"], "--handle nobody@x"),
        (vec!["--errors"], "--errors"),
        (
            vec!["--since", "2030-01-01T00:00:00Z"],
            "--since 2030-01-01T00:00:00.000000Z",
        ),
    ] {
        let mut a = vec!["read", CAP];
        a.extend(args.iter().copied());
        let out = run_env(&a, &[]);
        assert_eq!(out.status.code(), Some(1), "{a:?}");
        assert_eq!(
            stderr(&out),
            format!("msnsniff: nothing matched {words}\n"),
            "{a:?}"
        );
    }
    // A selection that matches exits 0.
    assert_eq!(
        run_env(&["read", "--flow", "5", CAP], &[]).status.code(),
        Some(0)
    );
}

fn command_lines(out: &std::process::Output) -> Vec<(u64, String)> {
    jsonl(out)
        .iter()
        .filter(|e| e["type"] == "command")
        .map(|e| {
            (
                e["flow"].as_u64().unwrap(),
                e["verb"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn flow_takes_a_list_like_verb_and_only() {
    let listed = run_env(&["read", "--format", "jsonl", "--flow", "1,5", CAP], &[]);
    let repeated = run_env(
        &[
            "read", "--format", "jsonl", "--flow", "1", "--flow", "5", CAP,
        ],
        &[],
    );
    assert_eq!(stdout(&listed), stdout(&repeated));
    let flows: std::collections::BTreeSet<u64> =
        command_lines(&listed).iter().map(|(f, _)| *f).collect();
    assert_eq!(flows, [1, 5].into());
}

#[test]
fn handle_keeps_connections_where_it_is_the_user_or_a_participant() {
    // zhangmeiqing only ever appears as the other party of switchboard 5.
    let other = command_lines(&run_env(
        &[
            "read",
            "--format",
            "jsonl",
            "--handle",
            "ZhangMeiQing_2009@126.com",
            CAP,
        ],
        &[],
    ));
    assert!(!other.is_empty());
    assert!(other.iter().all(|(f, _)| *f == 5), "{other:?}");
    // Its first command is kept too, though the participant is named only in its reply.
    assert_eq!(other[0].1, "ANS");
    // The signed-in user is in every connection.
    let me = command_lines(&run_env(
        &[
            "read",
            "--format",
            "jsonl",
            "--handle",
            "fengzejin@hotmail.com",
            CAP,
        ],
        &[],
    ));
    let all = command_lines(&run_env(&["read", "--format", "jsonl", CAP], &[]));
    assert_eq!(me, all);
}

#[test]
fn errors_shows_each_error_after_its_request() {
    let cap = "captures/synthetic_msnp7_md5.pcap";
    let out = run_env(&["read", "--errors", "--notes", "none", cap], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        ">>> CAL 2 carol@hotmail.com\\r\\n\n<<< 217 2\\r\\n\n"
    );
    let evs = jsonl(&run_env(
        &["read", "--errors", "--format", "jsonl", cap],
        &[],
    ));
    assert!(evs.iter().all(|e| e["type"] == "command"));
    let errors = evs.iter().filter(|e| e["dir"] == "s2c").count();
    let requests = evs.iter().filter(|e| e["dir"] == "c2s").count();
    assert!(errors >= 1 && requests == errors, "{evs:?}");
}

#[test]
fn since_and_until_keep_a_span_of_the_capture() {
    let all = jsonl(&run_env(&["read", "--format", "jsonl", CAP], &[]));
    let span = jsonl(&run_env(
        &[
            "read",
            "--format",
            "jsonl",
            "--since",
            "2011-08-10T03:17:30Z",
            "--until",
            "2011-08-10 05:17:31+02:00",
            CAP,
        ],
        &[],
    ));
    let (lo, hi) = (1_312_946_250_000_000_000u64, 1_312_946_251_000_000_000u64);
    let within: Vec<&serde_json::Value> = all
        .iter()
        .filter(|e| {
            let t = e["ts_ns"].as_u64().unwrap();
            e["type"] == "command" && (lo..=hi).contains(&t)
        })
        .collect();
    let kept: Vec<&serde_json::Value> = span.iter().filter(|e| e["type"] == "command").collect();
    assert!(!kept.is_empty());
    assert_eq!(kept, within);
    // A time that is no time is refused by the option parser.
    let bad = run_env(&["read", "--since", "yesterday", CAP], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("2011-08-10T03:17:29Z"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn connections_carry_their_community_id() {
    // Computed from the specification for 192.168.8.77:4417 <-> 207.46.124.76:1863, TCP.
    const SB: &str = "1:x63xoj0xSp+EwqKdZ1iW33l72Y4=";
    let evs = jsonl(&run_env(
        &["read", "--format", "jsonl", "--flow", "5", CAP],
        &[],
    ));
    let opened = evs
        .iter()
        .find(|e| e["type"] == "connection_opened")
        .unwrap();
    assert_eq!(opened["community_id"], SB);
    let closed = evs
        .iter()
        .find(|e| e["type"] == "connection_closed")
        .unwrap();
    assert_eq!(closed["summary"]["community_id"], SB);
    let rows = jsonl(&run_env(&["flows", "--format", "jsonl", CAP], &[]));
    assert_eq!(rows[4]["community_id"], SB);
    let ids: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["community_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), rows.len(), "one id per connection");
    let tsv = stdout(&run_env(&["flows", "--format", "tsv", CAP], &[]));
    assert!(tsv.lines().nth(5).unwrap().contains(SB), "{tsv}");
}

#[test]
fn a_man_page_for_every_subcommand_with_the_usual_sections() {
    for sub in [
        "",
        "read",
        "flows",
        "stats",
        "transcripts",
        "live",
        "interfaces",
        "completions",
        "man",
    ] {
        let args: Vec<&str> = if sub.is_empty() {
            vec!["man"]
        } else {
            vec!["man", sub]
        };
        let out = run_env(&args, &[]);
        assert_eq!(out.status.code(), Some(0), "{sub}: {}", stderr(&out));
        let page = stdout(&out);
        let name = if sub.is_empty() {
            "msnsniff".to_string()
        } else {
            format!("msnsniff-{sub}")
        };
        assert!(page.contains(&format!(".TH {name} 1")), "{sub}: {page}");
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(page.contains(section), "{sub}: no {section}");
        }
        assert!(
            page.contains("NO_COLOR") && page.contains("CLICOLOR_FORCE"),
            "{sub}"
        );
        if ["read", "live", ""].contains(&sub) {
            assert!(page.contains(".SH EXAMPLES"), "{sub}");
        }
    }
    // The read page documents its options and its exit codes.
    let read = stdout(&run_env(&["man", "read"], &[]));
    for needle in ["\\-\\-time", "\\-\\-errors", "selection matched nothing"] {
        assert!(read.contains(needle), "{needle}");
    }
    // Live's page says what a second signal does.
    assert!(stdout(&run_env(&["man", "live"], &[])).contains("130"));
    // A page that does not exist names those that do.
    let out = run_env(&["man", "nosuch"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pages: read, flows"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn make_install_files_puts_binary_pages_and_completions_under_a_prefix() {
    if Command::new("make").arg("--version").output().is_err() {
        eprintln!("skipped: make is not installed");
        return;
    }
    let prefix = tempfile::tempdir().expect("tempdir");
    let out = Command::new("make")
        .args(["-s", "install-files"])
        .arg(format!("BIN={}", env!("CARGO_BIN_EXE_msnsniff")))
        .arg(format!("PREFIX={}", prefix.path().display()))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("make");
    assert!(out.status.success(), "{}", stderr(&out));
    let p = prefix.path();
    for file in [
        "bin/msnsniff",
        "share/man/man1/msnsniff.1",
        "share/man/man1/msnsniff-read.1",
        "share/man/man1/msnsniff-live.1",
        "share/bash-completion/completions/msnsniff",
        "share/zsh/site-functions/_msnsniff",
        "share/fish/vendor_completions.d/msnsniff.fish",
    ] {
        let meta = std::fs::metadata(p.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(meta.len() > 100, "{file} is nearly empty");
    }
    let bash =
        std::fs::read_to_string(p.join("share/bash-completion/completions/msnsniff")).unwrap();
    assert!(
        bash.contains("--write-msn-only"),
        "completions know live's options"
    );
    // The installed binary runs.
    let v = Command::new(p.join("bin/msnsniff"))
        .arg("--version")
        .output()
        .expect("run");
    assert!(stdout(&v).starts_with("msnsniff "));
}

#[test]
fn several_files_events_say_which_file_and_which_frame_there() {
    let second = "captures/synthetic_msnp7_md5.pcap";
    let evs = jsonl(&run_env(&["read", "--format", "jsonl", CAP, second], &[]));
    let alone = jsonl(&run_env(&["read", "--format", "jsonl", second], &[]));
    // Every event carries its file; those of the second file have that file's own numbers.
    assert!(
        evs.iter()
            .all(|e| e["capture_file"].is_u64() && e["file_frame"].is_u64())
    );
    let from_second: Vec<u64> = evs
        .iter()
        .filter(|e| e["capture_file"] == 2 && e["type"] == "command")
        .map(|e| e["file_frame"].as_u64().unwrap())
        .collect();
    let own: Vec<u64> = alone
        .iter()
        .filter(|e| e["type"] == "command")
        .map(|e| e["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(from_second, own);
    // `frame` counts on across the files.
    let offset = evs
        .iter()
        .find(|e| e["capture_file"] == 2)
        .map(|e| e["frame"].as_u64().unwrap() - e["file_frame"].as_u64().unwrap())
        .unwrap();
    assert!(offset > 0);
    // One file: no such fields.
    assert!(alone.iter().all(|e| e.get("capture_file").is_none()));
    // The dialogue's --frames says file:frame.
    let d = stdout(&run_env(
        &["read", "--frames", "--notes", "none", CAP, second],
        &[],
    ));
    assert!(
        d.lines()
            .any(|l| l.trim_start().starts_with("2:4 >>> VER 0 MSNP7")),
        "{d}"
    );
}

#[test]
fn output_to_a_pipe_is_block_buffered_unless_line_buffered_is_asked() {
    // Both give the same bytes; --line-buffered only changes when they leave.
    let a = run_env(&["read", "--format", "jsonl", CAP], &[]);
    let b = run_env(&["read", "--format", "jsonl", "--line-buffered", CAP], &[]);
    assert_eq!(a.stdout, b.stdout);
    // A reader sees the first line before the capture has been read to its end: the input
    // comes through a pipe that stays open until the first line has arrived.
    use std::io::{BufRead, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(["read", "--format", "jsonl", "--line-buffered", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let bytes = std::fs::read(CAP).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Everything but the last 2000 bytes: the first connection is long complete by then.
    stdin.write_all(&bytes[..bytes.len() - 2000]).unwrap();
    stdin.flush().unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(
        first.starts_with("{\"type\":\"connection_opened\""),
        "{first}"
    );
    stdin.write_all(&bytes[bytes.len() - 2000..]).unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_named_pipe_is_read_as_it_comes_not_looked_at_ahead() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("capture.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        eprintln!("skipped: cannot make a named pipe here");
        return;
    }
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let bytes = std::fs::read(CAP).unwrap();
        std::fs::write(&path, bytes).unwrap();
    });
    let out = run_env(&["flows", "--format", "tsv", fifo.to_str().unwrap()], &[]);
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        stdout(&run_env(&["flows", "--format", "tsv", CAP], &[]))
    );
}
