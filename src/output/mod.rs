//! Everything that writes: the formats a user reads (tables, dialogues, JSON) and the files
//! `--dump` writes. This is one of the two layers that do I/O (the other is
//! [`crate::capture`]). Formatters take pushed events and know nothing about packets or the CLI.

pub mod dialogue;
pub mod dump;
pub mod extract;
pub mod flows;
pub mod interfaces;
pub mod json;
pub mod man;
pub mod progress;
pub mod select;
pub mod stats;
pub mod text;
pub mod transcript;

/// Makes sure `dir` is a directory to write into, creating it (and its parents) if missing.
/// A path that exists but is no directory is refused in words (`out.txt: not a directory`)
/// rather than with the system's "File exists".
pub fn output_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let named =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{}: not a directory", dir.display()),
        ));
    }
    std::fs::create_dir_all(dir).map_err(named)
}

/// A temporary file for what `what` (`--group`, the transcripts' index) keeps beyond its
/// share of memory, in the system's temporary directory (`TMPDIR`): made new (never an
/// existing file or link), readable by this user only, and unlinked as soon as it is open, so
/// that nothing is left behind.
pub fn spill_file(what: &str) -> std::io::Result<std::fs::File> {
    let dir = std::env::temp_dir();
    for n in 0..1000u32 {
        let path = dir.join(format!(
            "msnsniff-{}-{}-{n}",
            what.trim_start_matches('-').replace(' ', "-"),
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        // Only this user may open it in the moment before it is unlinked: it holds capture
        // text.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(f) => {
                std::fs::remove_file(&path)?;
                return Ok(f);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e} (the temporary file of {what})", path.display()),
                ));
            }
        }
    }
    Err(std::io::Error::other(format!(
        "no temporary file for {what} in {}",
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom, Write};

    #[test]
    fn a_spill_file_is_private_unlinked_and_usable() {
        let mut f = super::spill_file("--group").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            let meta = f.metadata().unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
            assert_eq!(meta.nlink(), 0, "unlinked");
        }
        f.write_all(b"kept").unwrap();
        f.seek(SeekFrom::Start(0)).unwrap();
        let mut back = String::new();
        f.read_to_string(&mut back).unwrap();
        assert_eq!(back, "kept");
    }
}
