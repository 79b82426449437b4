//! The floors of `make bench`: msnsniff's library run over a capture file with less and less
//! behind the capture layer, so that what a command costs can be told apart from what the
//! layers under it cost. Here rather than in the bench so that a test
//! (`tests/issue_12_floors.rs`) checks that they do the work they are timed for.
//!
//! Both run on the calling thread and count what they deliver, so that the work cannot be
//! optimised away and a run that found nothing shows.

use msnsniff::Direction;
use msnsniff::flow::{FlowConsumer, FlowEvent, FlowId};
use msnsniff::msnp::{Framer, FramerEvent};
use std::collections::HashMap;

/// The capture layer alone: reading, link, IP and TCP headers, the flow table and
/// reassembly, every MSN byte delivered in order and dropped. Returns the frames read and the
/// MSN stream bytes delivered.
pub fn capture_layer(path: &str) -> (u64, u64) {
    struct Count(u64);
    impl FlowConsumer for Count {
        fn event(&mut self, ev: &FlowEvent<'_>) -> std::io::Result<()> {
            if let FlowEvent::Data { bytes, .. } = ev {
                self.0 += bytes.len() as u64;
            }
            Ok(())
        }
    }
    let mut count = Count(0);
    let frames = run(path, &mut count);
    (frames, count.0)
}

/// The capture layer with an MSNP framer for each direction of each connection: every
/// command line cut out of the stream and parsed (verb, TrID, parameters), every payload cut
/// to its declared length. Nothing more: no dialect learnt (the framer's rules for an
/// unknown one), no session state, no event, no output. Returns the frames read and the
/// commands framed.
pub fn framing(path: &str) -> (u64, u64) {
    #[derive(Default)]
    struct Frames {
        framers: HashMap<(FlowId, bool), Framer>,
        commands: u64,
    }
    impl Frames {
        fn drain(&mut self, key: (FlowId, bool)) {
            if let Some(framer) = self.framers.get_mut(&key) {
                while let Some(ev) = framer.next_event(None) {
                    self.commands += u64::from(matches!(ev, FramerEvent::Frame(_)));
                }
            }
        }
    }
    impl FlowConsumer for Frames {
        fn event(&mut self, ev: &FlowEvent<'_>) -> std::io::Result<()> {
            match *ev {
                FlowEvent::Data {
                    flow,
                    dir,
                    offset,
                    bytes,
                    ..
                } => {
                    let key = (flow, dir == Direction::ClientToServer);
                    self.framers
                        .entry(key)
                        .or_insert_with(|| Framer::new(dir))
                        .push(offset, bytes);
                    self.drain(key);
                }
                FlowEvent::Gap {
                    flow,
                    dir,
                    offset,
                    len,
                    ..
                } => {
                    let key = (flow, dir == Direction::ClientToServer);
                    if let Some(framer) = self.framers.get_mut(&key) {
                        framer.gap(offset, len);
                    }
                    self.drain(key);
                }
                FlowEvent::Closed { summary, .. } => {
                    for key in [(summary.id, true), (summary.id, false)] {
                        if let Some(mut framer) = self.framers.remove(&key) {
                            let last = framer.finish();
                            self.commands += last
                                .iter()
                                .filter(|ev| matches!(ev, FramerEvent::Frame(_)))
                                .count() as u64;
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        }
    }
    let mut frames = Frames::default();
    let read = run(path, &mut frames);
    (read, frames.commands)
}

/// Every packet of `path` through the capture layer into `consumer`; the frames read.
fn run(path: &str, consumer: &mut dyn FlowConsumer) -> u64 {
    let mut source = msnsniff::capture::FileSource::new(vec![path.to_string()], None);
    msnsniff::pipeline::run(&mut source, msnsniff::pipeline::msn_config(), consumer)
        .expect("the capture layer's run")
        .frames
}
