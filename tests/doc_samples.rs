//! The output samples in `README.md` and `docs/*.md` are the binary's real output on the
//! captures shipped in `captures/`: this test runs the command each sample names and compares.
//!
//! # Marker syntax
//!
//! Every fenced block (```` ``` ````) in those files has an HTML comment on the line right
//! before it, so no sample can slip in unchecked:
//!
//! ```text
//! <!-- sample: ARGS [| FILTER]... -->     the block is the output of `msnsniff ARGS`
//! <!-- sample: none -->                   the block is not program output (a shell command,
//!                                         a synopsis, a diagram)
//! ```
//!
//! `ARGS` are msnsniff's arguments, split at spaces (no quoting), run from the project root
//! with stdout a pipe (so never coloured); one of them must be a file under `captures/`, and
//! the command must succeed (exit status 0). The filters, each after ` | `, are applied in
//! order to the output lines:
//!
//! | filter | keeps |
//! |---|---|
//! | `lines A-B,C,D-` | those 1-based line ranges (`C` one line, `D-` to the end). Each run of lines left out becomes one `...` line in the block, so a reader sees the cut. |
//! | `context N TEXT` | the first line that contains `TEXT` (the rest of the filter, spaces and all) and `N` lines each side; cuts shown as `...` as with `lines`. Sturdier than line numbers when the lines before change. |
//! | `first N` | the first N lines (a selection named in the marker: no `...`) |
//! | `where PATH=VALUE` | JSON lines whose field `PATH` (dotted for nested objects, e.g. `detection.by`) is `VALUE`: a string without its quotes, or a number, `true`, `false`, `null` as JSON writes it |
//! | `first-of PATH` | JSON lines: the first line for each distinct value of `PATH`, e.g. `first-of type` for one event of each type |
//!
//! Example: `<!-- sample: read captures/etherdump_msn.pcap --flow 5 | lines 1-18,25- -->`.
//!
//! `UPDATE_DOCS=1 cargo test --test doc_samples` rewrites every sample block in place from
//! the current output (the markers stay); review the diff, and the prose around the samples.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The markdown files whose samples are checked.
fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// One `<!-- sample: ... -->` marker.
#[derive(Debug, PartialEq)]
struct Spec {
    args: Vec<String>,
    filters: Vec<Filter>,
}

#[derive(Debug, PartialEq)]
enum Filter {
    /// 1-based inclusive ranges; `None` as the end means "to the last line".
    Lines(Vec<(usize, Option<usize>)>),
    Context(usize, String),
    First(usize),
    Where(String, String),
    FirstOf(String),
}

/// Parses the text between `<!-- sample:` and `-->`; `Ok(None)` for `none`.
fn parse_spec(text: &str) -> Result<Option<Spec>, String> {
    let mut parts = text.split(" | ").map(str::trim);
    let command = parts.next().unwrap_or("");
    if command == "none" {
        return Ok(None);
    }
    let args: Vec<String> = command.split_whitespace().map(String::from).collect();
    if args.is_empty() {
        return Err("no command".into());
    }
    let mut filters = Vec::new();
    for part in parts {
        let (name, arg) = part.split_once(' ').unwrap_or((part, ""));
        let arg = arg.trim();
        let filter = match name {
            "lines" => {
                let mut ranges = Vec::new();
                for r in arg.split(',') {
                    let num = |s: &str| {
                        s.trim()
                            .parse::<usize>()
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or(format!("bad line number {s:?} in {part:?}"))
                    };
                    let range = match r.split_once('-') {
                        Some((a, "")) => (num(a)?, None),
                        Some((a, b)) => (num(a)?, Some(num(b)?)),
                        None => (num(r)?, Some(num(r)?)),
                    };
                    if range.1.is_some_and(|b| b < range.0)
                        || ranges
                            .last()
                            .is_some_and(|&(_, end): &(usize, Option<usize>)| {
                                end.is_none_or(|e| e >= range.0)
                            })
                    {
                        return Err(format!("ranges must increase: {part:?}"));
                    }
                    ranges.push(range);
                }
                Filter::Lines(ranges)
            }
            "context" => {
                let (n, text) = arg
                    .split_once(' ')
                    .ok_or(format!("expected N TEXT in {part:?}"))?;
                let n = n.parse().map_err(|_| format!("bad count in {part:?}"))?;
                Filter::Context(n, text.to_string())
            }
            "first" => Filter::First(arg.parse().map_err(|_| format!("bad count in {part:?}"))?),
            "where" => {
                let (path, value) = arg
                    .split_once('=')
                    .ok_or(format!("expected PATH=VALUE in {part:?}"))?;
                Filter::Where(path.to_string(), value.to_string())
            }
            "first-of" if !arg.is_empty() => Filter::FirstOf(arg.to_string()),
            _ => return Err(format!("unknown filter {part:?}")),
        };
        filters.push(filter);
    }
    Ok(Some(Spec { args, filters }))
}

/// The value at a dotted path of a JSON line, as the marker writes it.
fn field(line: &str, path: &str) -> Result<Option<String>, String> {
    let v: Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON line ({e}): {line}"))?;
    let mut at = &v;
    for key in path.split('.') {
        match at.get(key) {
            Some(next) => at = next,
            None => return Ok(None),
        }
    }
    Ok(Some(match at {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }))
}

fn apply(filter: &Filter, lines: Vec<String>) -> Result<Vec<String>, String> {
    Ok(match filter {
        Filter::Lines(ranges) => {
            let mut out = Vec::new();
            let mut next = 1; // first line not yet kept or cut
            for &(a, b) in ranges {
                let b = b.unwrap_or(lines.len());
                if b > lines.len() {
                    return Err(format!(
                        "lines {a}-{b} asked for, the output has {}",
                        lines.len()
                    ));
                }
                if a > next {
                    out.push("...".to_string());
                }
                out.extend_from_slice(&lines[a - 1..b]);
                next = b + 1;
            }
            if next <= lines.len() {
                out.push("...".to_string());
            }
            out
        }
        Filter::Context(n, text) => {
            let at = lines
                .iter()
                .position(|l| l.contains(text.as_str()))
                .ok_or(format!("no line contains {text:?}"))?;
            let range = (
                (at + 1).saturating_sub(*n).max(1),
                Some((at + 1 + n).min(lines.len())),
            );
            apply(&Filter::Lines(vec![range]), lines)?
        }
        Filter::First(n) => lines.into_iter().take(*n).collect(),
        Filter::Where(path, value) => {
            let mut out = Vec::new();
            for l in lines {
                if field(&l, path)?.as_deref() == Some(value) {
                    out.push(l);
                }
            }
            out
        }
        Filter::FirstOf(path) => {
            let mut seen = Vec::new();
            let mut out = Vec::new();
            for l in lines {
                let v = field(&l, path)?;
                if !seen.contains(&v) {
                    seen.push(v);
                    out.push(l);
                }
            }
            out
        }
    })
}

/// Runs a sample's command and applies its filters.
fn produce(spec: &Spec) -> Result<Vec<String>, String> {
    let shipped = spec
        .args
        .iter()
        .any(|a| a.starts_with("captures/") && root().join(a).is_file() && !a.contains(".."));
    if !shipped {
        return Err("no capture from captures/ among the arguments".into());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(&spec.args)
        .current_dir(root())
        // `--redact` samples: the key the documentation says they were made with.
        .env("MSNSNIFF_REDACT_KEY", "msnsniff documentation")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "exit status {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for f in &spec.filters {
        lines = apply(f, lines)?;
    }
    if lines.is_empty() {
        return Err("the filters left nothing".into());
    }
    Ok(lines)
}

const MARKER: &str = "<!-- sample:";

/// Checks (or, with `update`, rewrites) one document; returns its problems.
fn check_document(path: &Path, update: bool) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            problems.push(format!(
                "{name}:{}: a fenced block without a `{MARKER} ... -->` marker before it",
                i + 1
            ));
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim() == "```")
                .unwrap_or(lines.len() - 1);
            out.extend(lines[i..=end].iter().map(|s| s.to_string()));
            i = end + 1;
            continue;
        }
        out.push(line.to_string());
        i += 1;
        let Some(inner) = trimmed
            .strip_prefix(MARKER)
            .and_then(|r| r.strip_suffix("-->"))
        else {
            continue;
        };
        let at = i; // 1-based line number of the marker
        if !lines
            .get(i)
            .is_some_and(|l| l.trim_start().starts_with("```"))
        {
            problems.push(format!(
                "{name}:{at}: the marker is not followed by a fenced block"
            ));
            continue;
        }
        let Some(close) = (i + 1..lines.len()).find(|&j| lines[j].trim() == "```") else {
            problems.push(format!("{name}:{}: fenced block never closed", i + 1));
            break;
        };
        out.push(lines[i].to_string());
        let block: Vec<String> = lines[i + 1..close].iter().map(|s| s.to_string()).collect();
        let result = parse_spec(inner).and_then(|spec| match spec {
            None => Ok(block.clone()),
            Some(spec) => produce(&spec),
        });
        match result {
            Ok(produced) => {
                if produced != block && !update {
                    problems.push(format!(
                        "{name}:{at}: sample differs from `msnsniff {}`\n--- in the document:\n{}\n--- \
                         the binary prints:\n{}\n---",
                        inner.trim(),
                        block.join("\n"),
                        produced.join("\n")
                    ));
                }
                out.extend(if update { produced } else { block });
            }
            Err(e) => {
                problems.push(format!("{name}:{at}: {e}"));
                out.extend(block);
            }
        }
        out.push(lines[close].to_string());
        i = close + 1;
    }
    if update {
        let mut new = out.join("\n");
        if text.ends_with('\n') {
            new.push('\n');
        }
        if new != text {
            std::fs::write(path, new).unwrap();
            eprintln!("rewrote the samples of {name}");
        }
    }
    problems
}

#[test]
fn samples_are_what_the_binary_prints() {
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    let mut samples = 0;
    for doc in documents() {
        samples += std::fs::read_to_string(&doc)
            .unwrap()
            .lines()
            .filter(|l| l.trim().starts_with(MARKER) && !l.contains("sample: none"))
            .count();
        problems.extend(check_document(&doc, update));
    }
    assert!(
        problems.is_empty(),
        "{}\n\n{} problem(s); after an intended change, `UPDATE_DOCS=1 cargo test --test \
         doc_samples` rewrites the samples",
        problems.join("\n\n"),
        problems.len()
    );
    // README's tour, the dialogue and the events documents hold a few each.
    assert!(samples >= 8, "only {samples} samples found");
}

#[test]
fn markers_parse() {
    let spec = parse_spec(
        " read captures/x.pcap --flow 5 | lines 1-3,7,9- | context 2 -- connection 4 -- \
         | where detection.by=port | first-of type | first 2 ",
    )
    .unwrap()
    .unwrap();
    assert_eq!(spec.args, ["read", "captures/x.pcap", "--flow", "5"]);
    assert_eq!(
        spec.filters,
        [
            Filter::Lines(vec![(1, Some(3)), (7, Some(7)), (9, None)]),
            Filter::Context(2, "-- connection 4 --".into()),
            Filter::Where("detection.by".into(), "port".into()),
            Filter::FirstOf("type".into()),
            Filter::First(2)
        ]
    );
    assert_eq!(parse_spec(" none ").unwrap(), None);
    for bad in [
        "",
        "read x | lines 3-1",
        "read x | lines 1-4,2",
        "read x | lines 1-,5",
        "read x | lines 0",
        "read x | where type",
        "read x | sort",
        "read x | first-of",
        "read x | context 3",
        "read x | first two",
    ] {
        assert!(parse_spec(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn filters_cut_and_select() {
    let lines: Vec<String> = (1..=6).map(|n| n.to_string()).collect();
    let cut = |r| apply(&Filter::Lines(r), lines.clone()).unwrap();
    assert_eq!(
        cut(vec![(1, Some(2)), (4, Some(4))]),
        ["1", "2", "...", "4", "..."]
    );
    assert_eq!(cut(vec![(2, None)]), ["...", "2", "3", "4", "5", "6"]);
    assert_eq!(cut(vec![(1, Some(6))]), lines);
    assert!(apply(&Filter::Lines(vec![(5, Some(7))]), lines.clone()).is_err());
    let around = |n, t: &str| apply(&Filter::Context(n, t.into()), lines.clone());
    assert_eq!(around(1, "3").unwrap(), ["...", "2", "3", "4", "..."]);
    assert_eq!(around(2, "1").unwrap(), ["1", "2", "3", "..."]);
    assert_eq!(around(9, "6").unwrap(), lines);
    assert!(around(1, "7").is_err());

    let json: Vec<String> = [
        r#"{"type":"a","n":1,"d":{"by":"port"}}"#,
        r#"{"type":"b","n":2,"d":{"by":"content"}}"#,
        r#"{"type":"a","n":3,"d":{"by":"port"}}"#,
    ]
    .map(String::from)
    .to_vec();
    let pick = |f| apply(&f, json.clone()).unwrap();
    let rows = |ns: &[usize]| ns.iter().map(|&n| json[n].clone()).collect::<Vec<_>>();
    assert_eq!(pick(Filter::FirstOf("type".into())), rows(&[0, 1]));
    assert_eq!(
        pick(Filter::Where("d.by".into(), "port".into())),
        rows(&[0, 2])
    );
    assert_eq!(pick(Filter::Where("n".into(), "2".into())), rows(&[1]));
    assert_eq!(pick(Filter::First(1)), rows(&[0]));
    let text = vec!["<o> not JSON".to_string()];
    assert!(apply(&Filter::FirstOf("type".into()), text).is_err());
}
