//! The README's architecture section must match the code: every source file is named there
//! (directly, or as a file of a directory row), and every path it names exists.

use std::collections::BTreeSet;
use std::path::Path;

fn architecture_section() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("## Architecture")
        .expect("an Architecture section");
    let rest = &readme[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |n| n + 3);
    rest[..end].to_string()
}

/// `src/...` paths in backticks, and bare file names listed after a directory path in the
/// same table row (`src/flow/` ... `table.rs`).
fn named_paths(section: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in section.lines() {
        let mut dir: Option<String> = None;
        for (i, piece) in line.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            if piece.starts_with("src/") {
                out.insert(piece.to_string());
                if piece.ends_with('/') {
                    dir = Some(piece.to_string());
                } else if let Some(d) = piece.strip_suffix(".rs") {
                    dir = Some(format!("{d}/"));
                }
            } else if (piece.ends_with(".rs") || piece.ends_with('/'))
                && let Some(d) = &dir
            {
                out.insert(format!("{d}{piece}"));
            }
        }
    }
    out
}

fn source_files(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
}

/// Unit-test files sit beside the code they test and need no row of their own; a module's
/// `mod.rs` is its directory.
fn is_test_file(path: &str) -> bool {
    path.ends_with("/tests.rs") || path.ends_with("_test.rs")
}

#[test]
fn every_source_file_is_named_and_every_named_path_exists() {
    let named = named_paths(&architecture_section());
    assert!(named.len() > 20, "{named:?}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for p in &named {
        assert!(
            root.join(p).exists(),
            "the README names {p}, which does not exist"
        );
    }
    let mut files = Vec::new();
    source_files(&root.join("src"), &mut files);
    files.sort();
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !is_test_file(f))
        .filter(|f| !(f.ends_with("/mod.rs") && named.contains(f.trim_end_matches("mod.rs"))))
        .filter(|f| {
            !named.contains(*f)
                && !named.iter().any(|n| {
                    n.ends_with('/') && f.starts_with(n.as_str()) && {
                        // A directory row covers its files only when it names them, or when
                        // it is a leaf directory named as a whole (`src/capture/`).
                        let rest = &f[n.len()..];
                        !rest.contains('/')
                            && named.iter().filter(|m| m.starts_with(n.as_str())).count() == 1
                    }
                })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "source files the README's architecture section does not name: {missing:?}"
    );
}
