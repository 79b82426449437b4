//! `msnsniff interfaces`: the capture devices as a table for people or a JSON array for
//! scripts, as `tcpdump -D` lists them but with their addresses and flags spelt out.
//!
//! Names and descriptions come from the system, not from traffic, but are shown through the
//! terminal escaping all the same (an interface can be named by anyone with the right).

use crate::capture::Interface;
use crate::output::text::escape_text;
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use serde::Serialize;
use std::io::{self, Write};

/// The flags that are set, in words: `up, running, loopback`.
fn flags(i: &Interface) -> Vec<&'static str> {
    [
        (i.up, "up"),
        (i.running, "running"),
        (i.loopback, "loopback"),
        (i.wireless, "wireless"),
    ]
    .into_iter()
    .filter_map(|(set, word)| set.then_some(word))
    .collect()
}

/// One row per interface: name, description, addresses, flags.
pub fn table(list: &[Interface]) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(["name", "description", "addresses", "flags"]);
    for i in list {
        t.add_row([
            escape_text(&i.name),
            i.description.as_deref().map_or("-".into(), escape_text),
            if i.addresses.is_empty() {
                "-".into()
            } else {
                i.addresses.join("\n")
            },
            flags(i).join(", "),
        ]);
    }
    t.to_string()
}

#[derive(Serialize)]
struct WireInterface<'a> {
    name: &'a str,
    description: Option<&'a str>,
    addresses: &'a [String],
    flags: Vec<&'static str>,
}

/// A JSON array of `{name, description, addresses, flags}`, one line, then a newline.
pub fn write_json(out: &mut dyn Write, list: &[Interface]) -> io::Result<()> {
    let wire: Vec<WireInterface<'_>> = list
        .iter()
        .map(|i| WireInterface {
            name: &i.name,
            description: i.description.as_deref(),
            addresses: &i.addresses,
            flags: flags(i),
        })
        .collect();
    serde_json::to_writer(&mut *out, &wire)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lo() -> Interface {
        Interface {
            name: "lo".into(),
            description: None,
            addresses: vec!["127.0.0.1".into(), "::1".into()],
            up: true,
            running: true,
            loopback: true,
            wireless: false,
        }
    }

    #[test]
    fn the_table_spells_out_flags_and_escapes_names() {
        let mut odd = lo();
        odd.name = "ev\u{1b}[31mil".into();
        odd.up = false;
        let t = table(&[lo(), odd]);
        assert!(t.contains("up, running, loopback"), "{t}");
        assert!(t.contains("127.0.0.1") && t.contains("::1"), "{t}");
        assert!(!t.contains('\u{1b}'), "{t}");
        assert!(t.contains("running, loopback"), "{t}");
    }

    #[test]
    fn json_is_an_array_of_objects() {
        let mut buf = Vec::new();
        write_json(&mut buf, &[lo()]).expect("write");
        let v: serde_json::Value = serde_json::from_slice(&buf).expect("json");
        assert_eq!(v[0]["name"], "lo");
        assert_eq!(v[0]["description"], serde_json::Value::Null);
        assert_eq!(
            v[0]["flags"],
            serde_json::json!(["up", "running", "loopback"])
        );
        assert_eq!(v[0]["addresses"][1], "::1");
    }
}
