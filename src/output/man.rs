//! Manual pages in roff: `msnsniff(1)` and one page per subcommand (`msnsniff-read(1)`...),
//! built from the same clap definitions as `--help`, with the sections a man page reader
//! looks for: EXIT STATUS, ENVIRONMENT, EXAMPLES and SEE ALSO.
//!
//! Why a module of its own: clap_mangen renders the definitions but knows nothing of what
//! the exit codes mean or which variables are read; that text lives here, next to the page
//! layout, so that `msnsniff man` and `make install` give the same pages.

use clap::Command;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The pages: the top-level command first, then each subcommand as `msnsniff-NAME`.
pub fn pages(root: Command) -> Vec<Command> {
    let mut root = root.disable_help_subcommand(true);
    root.build();
    let mut out = vec![root.clone()];
    for sub in root.get_subcommands() {
        let name = format!("{}-{}", root.get_name(), sub.get_name());
        out.push(
            sub.clone()
                .name(name.clone())
                .display_name(name)
                .bin_name(format!("{} {}", root.get_name(), sub.get_name())),
        );
    }
    out
}

/// The page of `cmd` (one of [`pages`]).
pub fn render(cmd: &Command, all: &[Command], w: &mut dyn Write) -> io::Result<()> {
    let man = Man::new(cmd.clone()).date("").manual("msnsniff manual");
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.get_subcommands().next().is_some() {
        man.render_subcommands_section(w)?;
    }
    let mut roff = Roff::default();
    let sub = cmd.get_name().strip_prefix("msnsniff-");
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_status(sub) {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*meaning)]);
    }
    let examples = examples(cmd);
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for (what, commands) in examples {
            roff.control("TP", []);
            roff.text([roman(what)]);
            for c in commands {
                roff.text([bold(c)]);
                roff.control("br", []);
            }
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    let others: Vec<String> = all
        .iter()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != cmd.get_name())
        .map(|n| format!("{n}(1)"))
        .collect();
    roff.text([roman(format!(
        "{}, tcpdump(1), pcap-filter(7), and docs/ in the source tree: dialogue.md, events.md (the JSON events), flows.md, stats.md, transcripts.md.",
        others.join(", ")
    ))]);
    roff.to_writer(w)
}

/// Writes every page to `dir` as NAME.1; returns the paths written.
pub fn write_all(root: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    crate::output::output_dir(dir)?;
    let all = pages(root);
    let mut written = Vec::new();
    for cmd in &all {
        let path = dir.join(format!("{}.1", cmd.get_name()));
        let mut file = io::BufWriter::new(
            std::fs::File::create(&path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?,
        );
        render(cmd, &all, &mut file)?;
        file.flush()?;
        written.push(path);
    }
    Ok(written)
}

/// What the environment changes.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "Set and not empty: no colour with --color auto (the default).",
    ),
    (
        "CLICOLOR_FORCE",
        "Set and neither empty nor 0: colour with --color auto even when stdout is no terminal. NO_COLOR wins over it.",
    ),
    (
        "COLUMNS",
        "The width the flows table must fit (otherwise the terminal's; a pipe keeps every column).",
    ),
    ("TZ", "The time zone of --local times."),
    (
        "TMPDIR",
        "Where --group puts what waits beyond --memcap (a file removed as soon as it is open).",
    ),
    (
        "MSNSNIFF_REDACT_KEY",
        "The key of the --redact tokens: runs with the same key give the same token for the same secret. Unset: a random key for each run.",
    ),
];

/// The exit codes of a subcommand (`None`: the top-level page).
fn exit_status(sub: Option<&str>) -> Vec<(&'static str, &'static str)> {
    match sub {
        Some("live") => vec![
            (
                "0",
                "The capture was stopped: by a signal (SIGINT, SIGTERM), -c or --duration.",
            ),
            (
                "2",
                "An error: no permission to capture, no such interface, a bad filter, the interface went down, an output that cannot be written. One line on stderr.",
            ),
            (
                "130",
                "A second SIGINT or SIGTERM while stopping: the process ended at once.",
            ),
        ],
        Some("interfaces" | "completions" | "man") => {
            vec![("0", "Success."), ("2", "An error, in one line on stderr.")]
        }
        _ => vec![
            (
                "0",
                "MSN traffic was found (and the selection, if any, matched).",
            ),
            (
                "1",
                "The capture held no MSN traffic, or a selection matched nothing (one line on stderr says which).",
            ),
            (
                "2",
                "An error: a missing or unreadable input, not a capture, a truncated or corrupt file, a bad filter, an output that cannot be written. One line on stderr; everything decoded before damage in a capture is still output.",
            ),
        ],
    }
}

/// The examples of a command's after-help text: `(what it does, [commands])`. The text has a
/// description indented by two spaces and its commands by four.
fn examples(cmd: &Command) -> Vec<(String, Vec<String>)> {
    let Some(text) = cmd.get_after_help().map(|t| t.to_string()) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("    ") {
            if let Some(last) = out.last_mut() {
                last.1.push(c.trim().to_string());
            }
        } else if let Some(d) = line.strip_prefix("  ") {
            match out.last_mut() {
                // A description that goes on over a second line.
                Some(last) if last.1.is_empty() => {
                    last.0.push(' ');
                    last.0.push_str(d.trim());
                }
                _ => out.push((d.trim().to_string(), Vec::new())),
            }
        }
    }
    out
}
