use super::Dialect;
use super::command::Command;
use crate::Direction;
pub enum Eol {
    CrLf,
    Lf,
    None,
}
pub struct Payload {
    pub declared: u64,
    pub bytes: Vec<u8>,
}
pub struct Frame {
    pub offset: u64,
    pub line: Vec<u8>,
    pub eol: Eol,
    pub command: Command,
    pub payload: Option<Payload>,
}
pub enum FramerEvent {
    Frame(Frame),
    Anomaly {
        name: &'static str,
        offset: u64,
        detail: String,
    },
}
pub struct Framer;
impl Framer {
    pub fn new(_d: Direction) -> Framer {
        Framer
    }
    pub fn push(&mut self, _o: u64, _b: &[u8]) {}
    pub fn gap(&mut self, _o: u64, _l: u64) {}
    pub fn next_event(&mut self, _d: Option<Dialect>) -> Option<FramerEvent> {
        None
    }
    pub fn finish(&mut self) -> Vec<FramerEvent> {
        Vec::new()
    }
    pub fn set_midstream(&mut self) {}
}
