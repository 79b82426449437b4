use super::Verb;
pub struct Command {
    pub verb: Verb,
    pub trid: Option<u32>,
    pub params: Vec<String>,
}
