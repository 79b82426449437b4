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
