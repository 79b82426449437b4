//! The material of the transcripts' indexes, held so that memory does not grow with the
//! capture: a row per conversation ([`ConversationSummary`]), the picture's material
//! ([`Sketch`]), and the file names already used ([`Stems`]).
//!
//! Why it exists: the indexes are written at the end of a run and list every conversation,
//! but a capture of a busy network holds a hundred thousand of them. Guarantees:
//!
//! - the first [`ROWS_IN_MEMORY`] rows stay in memory; past them every row goes to an
//!   unlinked temporary file (one JSON line each), read back in order by
//!   [`Index::for_each`], so that the rows cost memory only up to the cap;
//! - the picture keeps what [`Sketch`] draws (bounded by its own caps) and counts the rest;
//! - [`Stems`] remembers each file name used as a 64-bit fingerprint, not as text;
//! - the rows read back are the rows given, in the order given: the indexes are the same
//!   whether or not anything was written to disk (a test holds this with a cap of one row).

use super::svg::Sketch;
use super::{ConversationSummary, file_stem};
use crate::conversation::model::Conversation;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

/// Index rows held in memory before they go to a temporary file.
pub const ROWS_IN_MEMORY: usize = 1024;

/// Every conversation's index row and the timeline's material, in the order given.
pub struct Index {
    /// Rows not yet written to the temporary file.
    memory: Vec<ConversationSummary>,
    /// The temporary file, once rows have gone to it.
    spill: Option<BufWriter<File>>,
    spilled: usize,
    cap: usize,
    sketch: Sketch,
}

impl Default for Index {
    fn default() -> Self {
        Index::new()
    }
}

impl Index {
    pub fn new() -> Index {
        Index::with_cap(ROWS_IN_MEMORY)
    }

    /// An index that keeps at most `cap` rows in memory (at least one).
    pub fn with_cap(cap: usize) -> Index {
        Index {
            memory: Vec::new(),
            spill: None,
            spilled: 0,
            cap: cap.max(1),
            sketch: Sketch::default(),
        }
    }

    /// The index of `conversations`, their file names made unique as [`Stems`] does.
    pub fn of(conversations: &[Conversation]) -> io::Result<Index> {
        let mut stems = Stems::default();
        let mut index = Index::new();
        for c in conversations {
            index.push(c, stems.unique(c))?;
        }
        Ok(index)
    }

    /// Adds `c`, whose files are named `stem`.
    pub fn push(&mut self, c: &Conversation, stem: String) -> io::Result<()> {
        let row = ConversationSummary::new(c, stem);
        self.sketch.add(c, &row);
        self.memory.push(row);
        if self.memory.len() >= self.cap {
            self.spill_rows()?;
        }
        Ok(())
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.spilled + self.memory.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The timeline's material.
    pub fn sketch(&self) -> &Sketch {
        &self.sketch
    }

    /// Calls `f` with every row, in the order they were given.
    pub fn for_each(
        &mut self,
        mut f: impl FnMut(&ConversationSummary) -> io::Result<()>,
    ) -> io::Result<()> {
        if let Some(spill) = &mut self.spill {
            // Errors of the temporary file say so (the caller names the index it writes).
            let spilled = |e: io::Error| {
                io::Error::new(
                    e.kind(),
                    format!("the temporary file of the transcripts index: {e}"),
                )
            };
            spill.flush().map_err(spilled)?;
            let file = spill.get_mut();
            file.seek(SeekFrom::Start(0)).map_err(spilled)?;
            let mut lines = BufReader::new(&*file);
            let mut line = Vec::new();
            for _ in 0..self.spilled {
                line.clear();
                lines.read_until(b'\n', &mut line).map_err(spilled)?;
                let row: ConversationSummary = serde_json::from_slice(&line)
                    .map_err(|e| spilled(io::Error::new(io::ErrorKind::InvalidData, e)))?;
                f(&row)?;
            }
            drop(lines);
            file.seek(SeekFrom::End(0)).map_err(spilled)?;
        }
        self.memory.iter().try_for_each(f)
    }

    fn spill_rows(&mut self) -> io::Result<()> {
        if self.spill.is_none() {
            self.spill = Some(BufWriter::new(crate::output::spill_file(
                "transcripts index",
            )?));
        }
        let out = self.spill.as_mut().expect("made above");
        for row in self.memory.drain(..) {
            serde_json::to_writer(&mut *out, &row)?;
            out.write_all(b"\n")?;
            self.spilled += 1;
        }
        Ok(())
    }
}

/// The file stems used so far, compared without case, each kept as the first 64 bits of its
/// SHA-256: a run of a hundred thousand conversations holds under 2 MB of them. Two stems
/// that differ but share a fingerprint (not found by chance; an attacker choosing handles
/// would need about 2^32 tries) only give the second a `_2` it did not need.
#[derive(Default)]
pub struct Stems {
    taken: HashSet<u64>,
}

impl Stems {
    /// `c`'s file stem ([`file_stem`]), numbered `_2`, `_3`, ... past the ones taken.
    pub fn unique(&mut self, c: &Conversation) -> String {
        let base = file_stem(c);
        let mut stem = base.clone();
        let mut n = 1;
        while !self.taken.insert(fingerprint(&stem)) {
            n += 1;
            stem = format!("{base}_{n}");
        }
        stem
    }
}

fn fingerprint(stem: &str) -> u64 {
    let digest = Sha256::digest(stem.to_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::conversation::model::{Entry, EntryKind, Participant};
    use crate::flow::FlowId;

    /// Conversation `id`, started at second `id` (so that every stem differs), between a
    /// local alice and bob, with `messages` messages.
    fn conversation(id: u64, messages: usize) -> Conversation {
        let ts = Timestamp::new(1_300_000_000 + id as i64, 0);
        let person = |h: &str, local| Participant {
            handle: h.to_string(),
            names: vec![format!("{h}'s name")],
            local,
            joined: None,
            left: None,
        };
        Conversation {
            id,
            flows: vec![FlowId(id)],
            server: "10.0.0.1:1863".parse().unwrap(),
            session_id: None,
            login_sessions: vec![id % 3],
            start: ts,
            end: ts,
            participants: vec![
                person("alice@example.com", true),
                person("bob@example.com", false),
            ],
            entries: (0..messages)
                .map(|i| Entry {
                    ts,
                    frame: i as u64,
                    flow: FlowId(id),
                    kind: EntryKind::Message {
                        sender: "alice@example.com".into(),
                        name: None,
                        text: format!("message {i}"),
                        format: None,
                    },
                })
                .collect(),
            dropped_entries: 0,
            missing: Vec::new(),
        }
    }

    fn rows(index: &mut Index) -> Vec<ConversationSummary> {
        let mut rows = Vec::new();
        index
            .for_each(|r| {
                rows.push(r.clone());
                Ok(())
            })
            .unwrap();
        rows
    }

    #[test]
    fn rows_come_back_in_order_whether_or_not_they_went_to_disk() {
        let convs: Vec<Conversation> = (1..=50).map(|id| conversation(id, 2)).collect();
        let mut in_memory = Index::with_cap(1000);
        let mut on_disk = Index::with_cap(1);
        let mut part = Index::with_cap(7);
        let mut stems = Stems::default();
        for c in &convs {
            let stem = stems.unique(c);
            for index in [&mut in_memory, &mut on_disk, &mut part] {
                index.push(c, stem.clone()).unwrap();
            }
        }
        assert!(in_memory.spill.is_none());
        assert!(on_disk.memory.is_empty() && on_disk.spilled == 50);
        assert_eq!((part.spilled, part.memory.len()), (49, 1));
        let want = rows(&mut in_memory);
        assert_eq!(want.len(), 50);
        assert_eq!(
            want[0],
            ConversationSummary::new(&convs[0], want[0].stem.clone())
        );
        assert_eq!(rows(&mut on_disk), want);
        // Read twice (one pass per index format), and after more rows are added.
        assert_eq!(rows(&mut part), want);
        assert_eq!(rows(&mut part), want);
        let extra = conversation(51, 0);
        part.push(&extra, stems.unique(&extra)).unwrap();
        assert_eq!(part.len(), 51);
        assert_eq!(rows(&mut part)[..50], want[..]);
        assert_eq!(rows(&mut part)[50].id, 51);
    }

    #[test]
    fn the_indexes_are_the_same_bytes_from_disk() {
        use crate::output::transcript::{html, json, txt};
        let convs: Vec<Conversation> = (1..=30).map(|id| conversation(id, 3)).collect();
        let (mut a, mut b) = (Index::with_cap(1000), Index::with_cap(1));
        let mut stems = Stems::default();
        for c in &convs {
            let stem = stems.unique(c);
            a.push(c, stem.clone()).unwrap();
            b.push(c, stem).unwrap();
        }
        assert!(b.spill.is_some());
        for index in [&mut a, &mut b] {
            assert!(
                txt::render_index_txt(index, &[])
                    .unwrap()
                    .contains("Conversations: 30")
            );
        }
        assert!(
            txt::render_index_txt(&mut a, &[]).unwrap()
                == txt::render_index_txt(&mut b, &[]).unwrap()
        );
        assert!(
            html::render_index_html(&mut a, &[]).unwrap()
                == html::render_index_html(&mut b, &[]).unwrap()
        );
        let streamed = json::render_index_json(&mut b, &[]).unwrap();
        assert!(streamed == json::render_index_json(&mut a, &[]).unwrap());
        // One document, a row per conversation, indented as one (the goldens of the bundled
        // captures hold the exact bytes).
        let value: serde_json::Value = serde_json::from_str(&streamed).unwrap();
        assert_eq!(value["conversations"].as_array().unwrap().len(), 30);
        assert_eq!(value["conversations"][29]["id"], 30);
        assert!(streamed.starts_with(
            "{\n  \"version\": 1,\n  \"conversations\": [\n    {\n      \"id\": 1,\n"
        ));
        assert!(streamed.ends_with("\n    }\n  ],\n  \"login_sessions\": []\n}\n"));
        let empty = json::render_index_json(&mut Index::new(), &[]).unwrap();
        assert_eq!(
            empty,
            "{\n  \"version\": 1,\n  \"conversations\": [],\n  \"login_sessions\": []\n}\n"
        );
    }

    #[test]
    fn stems_are_numbered_past_those_taken_without_case() {
        let mut stems = Stems::default();
        let a = conversation(1, 0);
        let mut b = conversation(1, 0);
        b.participants[0].handle = "ALICE@example.com".into();
        let first = stems.unique(&a);
        assert_eq!(
            first,
            "2011-03-13T07-06-41Z_alice@example.com_bob@example.com"
        );
        assert_eq!(
            stems.unique(&b),
            "2011-03-13T07-06-41Z_ALICE@example.com_bob@example.com_2"
        );
        assert_eq!(stems.unique(&a), format!("{first}_3"));
        assert_eq!(
            stems.unique(&conversation(2, 0)),
            "2011-03-13T07-06-42Z_alice@example.com_bob@example.com"
        );
    }

    /// The timeline of `n` conversations of `per` messages each: (boxes drawn, ticks drawn,
    /// the picture).
    fn timeline(n: u64, per: usize) -> (usize, usize, String) {
        use crate::output::transcript::svg::render_timeline;
        let mut index = Index::new();
        let mut stems = Stems::default();
        for id in 1..=n {
            let c = conversation(id, per);
            index.push(&c, stems.unique(&c)).unwrap();
        }
        assert_eq!(index.len() as u64, n, "the index keeps every row");
        let svg = render_timeline(index.sketch(), &[]);
        let boxes = svg.matches("<a href=").count();
        let ticks = svg.matches("stroke-width=\"2\"").count();
        (boxes, ticks, svg)
    }

    /// The number the footer gives before `what` (`more messages not drawn`), 0 without one.
    fn left_out(svg: &str, what: &str) -> usize {
        svg.split(what)
            .next()
            .filter(|head| head.len() < svg.len())
            .and_then(|head| head.rsplit("; ").next())
            .map_or(0, |n| n.trim().parse().unwrap())
    }

    #[test]
    fn the_sketch_keeps_its_caps_spreads_its_boxes_and_counts_the_rest() {
        use crate::output::transcript::svg::{MAX_BOXES, MAX_TICKS};
        // Up to the cap, everything is drawn.
        let (boxes, ticks, svg) = timeline(MAX_BOXES as u64, 1);
        assert_eq!((boxes, ticks), (MAX_BOXES, MAX_BOXES));
        assert!(!svg.contains("not drawn"), "{}", &svg[svg.len() - 300..]);
        // Past it: every other box is let go, the ticks too, and everything is counted.
        // Enough messages to reach the tick cap halfway.
        let per = MAX_TICKS / (MAX_BOXES / 2);
        let n = MAX_BOXES + 3;
        let (boxes, ticks, svg) = timeline(n as u64, per);
        assert!(boxes <= MAX_BOXES && ticks <= MAX_TICKS, "{boxes} {ticks}");
        assert_eq!(boxes + left_out(&svg, " more conversations not drawn"), n);
        assert_eq!(ticks + left_out(&svg, " more messages not drawn"), n * per);
        assert!(
            svg.contains("(one in every 2 is)"),
            "{}",
            &svg[svg.len() - 300..]
        );
        // Spread from the first conversation to the last.
        assert!(svg.contains("<title>conversation 1: "));
        assert!(svg.contains(&format!("<title>conversation {n}: ")));
        // Twice as many again: one in every four.
        let n = 2 * MAX_BOXES + 1;
        let (boxes, _, svg) = timeline(n as u64, 0);
        assert_eq!(boxes + left_out(&svg, " more conversations not drawn"), n);
        assert!(
            svg.contains("(one in every 4 is)"),
            "{}",
            &svg[svg.len() - 300..]
        );
        assert!(svg.contains(&format!("<title>conversation {n}: ")));
        assert!(boxes <= MAX_BOXES && boxes > MAX_BOXES / 2, "{boxes}");
        // More messages than ticks, in few conversations: every box is drawn and the ticks
        // are thinned over all of them, the last conversation's too.
        let (n, per) = (100, 300);
        let (boxes, ticks, svg) = timeline(n as u64, per);
        assert_eq!(boxes, n);
        assert_eq!(ticks, n * per / 2);
        assert_eq!(ticks + left_out(&svg, " more messages not drawn"), n * per);
        let last = svg.rfind("</a>").unwrap();
        assert!(
            svg[last..].contains("stroke-width=\"2\""),
            "the last box has ticks"
        );
    }
}
