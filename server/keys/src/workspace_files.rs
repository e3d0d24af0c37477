//! Reading and writing the files a workspace or its configuration names, without ever
//! leaving the workspace: `.jwtlens.toml`, `.env` files, key files, the test-key folder,
//! `.gitignore`.
//!
//! The folder an editor opens is often a repository cloned a minute ago, so every name and
//! every file here was chosen by someone else. [`ConfinedDir`] holds a root folder and:
//!
//! * takes only relative names with no `..` and no control characters ([`check_name`]);
//! * follows a symbolic link only when its target stays inside the root;
//! * reads only regular files, under a size cap: a FIFO or a device (or a link to
//!   `/dev/stdin`, `/dev/zero`) is refused, never opened for a blocking read;
//! * never writes through a symbolic link: new files are created exclusively
//!   (`O_CREAT|O_EXCL|O_NOFOLLOW`), replacements are written to a new file beside the
//!   target and renamed over it, so a link in the target's place is replaced, not followed.
//!
//! Checks and opens are separate system calls: a process that swaps a folder for a link
//! between them runs as the user already, which is outside the threat model (see
//! docs/security.md). Nothing here knows about LSP or the CLI.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

/// Config, dotenv and key files larger than this are refused: real ones are a few KiB.
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Why a workspace file was not read or written. The text says why, not which file: the
/// caller names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Nothing by that name (often fine: `.env.local` is optional).
    Missing,
    /// jwtlens will not use the name or the file; the text says why.
    Refused(String),
    /// The system failed the operation (permissions, I/O).
    Io(String),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Missing => f.write_str("not found"),
            FileError::Refused(why) | FileError::Io(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for FileError {}

fn io_error(err: io::Error) -> FileError {
    if err.kind() == io::ErrorKind::NotFound {
        FileError::Missing
    } else {
        FileError::Io(err.to_string())
    }
}

/// Whether a read may follow a symbolic link in the file's own place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Follow it when its target stays inside the root.
    FollowInside,
    /// Refuse it: for files jwtlens creates itself (the private test keys), a link there
    /// is never jwtlens's doing.
    Refuse,
}

/// Checks a path that comes from configuration: relative to the workspace root, no `..`,
/// no control characters (a newline in a folder name would become a new line in
/// `.gitignore`).
pub fn check_name(name: &Path) -> Result<(), FileError> {
    let text = name.as_os_str().to_string_lossy();
    if text.is_empty() {
        return Err(FileError::Refused("an empty path".into()));
    }
    if text.chars().any(char::is_control) {
        return Err(FileError::Refused(
            "contains a control character (such as a newline): not a usable file name".into(),
        ));
    }
    for component in name.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err(FileError::Refused(
                    "is absolute: paths in the configuration are relative to the workspace root"
                        .into(),
                ));
            }
            Component::ParentDir => {
                return Err(FileError::Refused(
                    "contains `..`: paths in the configuration stay inside the workspace".into(),
                ));
            }
            Component::CurDir | Component::Normal(_) => {}
        }
    }
    Ok(())
}

/// A folder whose files are read and written without leaving it.
#[derive(Debug, Clone)]
pub struct ConfinedDir {
    root: PathBuf,
}

impl ConfinedDir {
    /// The root need not exist yet: [`ConfinedDir::create_dir_all`] creates it.
    pub fn new(root: impl Into<PathBuf>) -> ConfinedDir {
        ConfinedDir { root: root.into() }
    }

    /// The root as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn canonical_root(&self) -> Result<PathBuf, FileError> {
        std::fs::canonicalize(&self.root).map_err(io_error)
    }

    /// The real path of something that exists at `name`, checked to lie inside the root.
    fn resolve(&self, root: &Path, name: &Path) -> Result<PathBuf, FileError> {
        let joined = root.join(name);
        match std::fs::canonicalize(&joined) {
            Ok(real) if real.starts_with(root) => Ok(real),
            Ok(real) => Err(FileError::Refused(format!(
                "leads outside the workspace (to {real:?}) through a symbolic link: not used"
            ))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                // A link whose target is gone, or is no path at all (`/dev/stdin` is a
                // link to `pipe:[…]` when stdin is a pipe).
                match std::fs::read_link(&joined) {
                    Ok(target) => Err(FileError::Refused(format!(
                        "is a symbolic link to {target:?}, which is not a file inside the workspace: not used"
                    ))),
                    Err(_) => Err(FileError::Missing),
                }
            }
            Err(err) => Err(io_error(err)),
        }
    }

    /// Reads a regular file of at most `cap` bytes. Anything else is refused without a
    /// blocking open: a FIFO, a device or a socket, a symbolic link leaving the root (or any
    /// link, with [`Links::Refuse`]), a file over `cap`.
    pub fn read(&self, name: &Path, cap: u64, links: Links) -> Result<Vec<u8>, FileError> {
        check_name(name)?;
        let root = self.canonical_root()?;
        if links == Links::Refuse {
            let own = std::fs::symlink_metadata(root.join(name)).map_err(io_error)?;
            if own.file_type().is_symlink() {
                return Err(FileError::Refused(
                    "is a symbolic link: jwtlens made this file itself, never as a link, so it does not use it"
                        .into(),
                ));
            }
        }
        let path = self.resolve(&root, name)?;
        // Look before opening: opening a device can have effects of its own.
        let before = std::fs::metadata(&path).map_err(io_error)?;
        refuse_irregular(&before)?;
        let mut options = OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(
            &mut options,
            libc::O_NONBLOCK | libc::O_NOCTTY,
        );
        let file = options.open(&path).map_err(io_error)?;
        // And again on the opened handle: the name may point elsewhere by now.
        let opened = file.metadata().map_err(io_error)?;
        refuse_irregular(&opened)?;
        if opened.len() > cap {
            return Err(too_large(cap));
        }
        let mut contents = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
        file.take(cap.saturating_add(1))
            .read_to_end(&mut contents)
            .map_err(io_error)?;
        if contents.len() as u64 > cap {
            return Err(too_large(cap));
        }
        Ok(contents)
    }

    /// Whether anything (a file, a folder, a link, even a dangling one) is at `name`.
    pub fn holds(&self, name: &Path) -> bool {
        std::fs::symlink_metadata(self.root.join(name)).is_ok()
    }

    /// Creates the folder `name` and its missing parents, and returns its real path. The
    /// root is created if missing (it is the caller's own choice); every part that exists
    /// must be a folder inside the root, or a symbolic link to one.
    pub fn create_dir_all(&self, name: &Path) -> Result<PathBuf, FileError> {
        check_name(name)?;
        if !self.root.exists() {
            std::fs::create_dir_all(&self.root).map_err(io_error)?;
        }
        let root = self.canonical_root()?;
        let mut current = root.clone();
        let mut walked = PathBuf::new();
        for component in name.components() {
            let Component::Normal(part) = component else {
                continue;
            };
            walked.push(part);
            let next = current.join(part);
            match std::fs::symlink_metadata(&next) {
                Ok(_) => {
                    let real = self
                        .resolve(&root, &walked)
                        .map_err(|err| part_error(&walked, err))?;
                    if !real.is_dir() {
                        return Err(part_error(
                            &walked,
                            FileError::Refused("is not a folder".into()),
                        ));
                    }
                    current = real;
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    // mkdir never follows a link in its own place: one that appears now
                    // makes it fail, and nothing is created elsewhere.
                    std::fs::create_dir(&next).map_err(io_error)?;
                    current = next;
                }
                Err(err) => return Err(io_error(err)),
            }
        }
        Ok(current)
    }

    /// Creates a new file holding `contents`, with permissions `mode` (Unix; before the
    /// umask). Fails if anything is already there, a symbolic link included.
    pub fn create_new(&self, name: &Path, contents: &[u8], mode: u32) -> Result<(), FileError> {
        let (dir, file_name) = self.parent(name)?;
        write_new(&dir.join(file_name), contents, mode).map_err(|err| match err {
            FileError::Io(_) if dir.join(file_name).symlink_metadata().is_ok() => {
                FileError::Refused("exists already".into())
            }
            other => other,
        })
    }

    /// Replaces the file at `name` (or creates it) with `contents`: they are written to a
    /// new file in the same folder, which is then renamed over `name`. A symbolic link at
    /// `name` is replaced by the file; its target is never written. A regular file keeps
    /// its permissions; a new one gets `mode`.
    pub fn replace(&self, name: &Path, contents: &[u8], mode: u32) -> Result<(), FileError> {
        let (dir, file_name) = self.parent(name)?;
        #[cfg(unix)]
        let mode = std::fs::symlink_metadata(dir.join(file_name))
            .ok()
            .filter(Metadata::is_file)
            .map_or(mode, |existing| {
                std::os::unix::fs::PermissionsExt::mode(&existing.permissions()) & 0o7777
            });
        let mut nonce = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
        let nonce: String = nonce.iter().map(|byte| format!("{byte:02x}")).collect();
        let temporary = dir.join(format!(
            ".{}.{nonce}.jwtlens-tmp",
            file_name.to_string_lossy()
        ));
        write_new(&temporary, contents, mode)?;
        std::fs::rename(&temporary, dir.join(file_name)).map_err(|err| {
            let _ = std::fs::remove_file(&temporary);
            io_error(err)
        })
    }

    /// The real folder that holds `name` (which must exist, inside the root) and the name
    /// of the file in it.
    fn parent<'n>(&self, name: &'n Path) -> Result<(PathBuf, &'n std::ffi::OsStr), FileError> {
        check_name(name)?;
        let Some(file_name) = name.file_name() else {
            return Err(FileError::Refused("is not a file name".into()));
        };
        let root = self.canonical_root()?;
        let parent = name.parent().unwrap_or(Path::new(""));
        let dir = if parent.as_os_str().is_empty() {
            root
        } else {
            self.resolve(&root, parent)
                .map_err(|err| part_error(parent, err))?
        };
        Ok((dir, file_name))
    }
}

/// Opens a new file exclusively, never through a link, and writes it whole.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), FileError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file: File = options.open(path).map_err(io_error)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if let Err(err) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(io_error(err));
    }
    Ok(())
}

/// An error about a folder on the way to the file asked for: it names that folder.
fn part_error(part: &Path, err: FileError) -> FileError {
    match err {
        FileError::Missing => FileError::Missing,
        FileError::Refused(why) => FileError::Refused(format!("{}: {why}", part.display())),
        FileError::Io(why) => FileError::Io(format!("{}: {why}", part.display())),
    }
}

fn refuse_irregular(metadata: &Metadata) -> Result<(), FileError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(FileError::Refused(format!(
        "is {}, not a regular file: not read",
        describe_type(metadata)
    )))
}

fn describe_type(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

fn too_large(cap: u64) -> FileError {
    FileError::Refused(format!("is larger than {} KiB: not read", cap / 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(result: Result<impl fmt::Debug, FileError>, expected: &str) {
        match result {
            Err(FileError::Refused(why)) => assert!(why.contains(expected), "{why}"),
            other => panic!("expected a refusal with {expected:?}, got {other:?}"),
        }
    }

    #[test]
    fn names_from_configuration_are_checked() {
        for ok in [".env", "keys/public.pem", "./a/b"] {
            assert_eq!(check_name(Path::new(ok)), Ok(()), "{ok}");
        }
        refused(check_name(Path::new("/etc/passwd")), "is absolute");
        refused(check_name(Path::new("../outside")), "contains `..`");
        refused(check_name(Path::new("a/../../b")), "contains `..`");
        refused(
            check_name(Path::new(".k\necho INJECTED #")),
            "contains a control character",
        );
        refused(check_name(Path::new("")), "empty");
    }

    #[cfg(unix)]
    #[test]
    fn reads_stay_inside_the_root_and_on_regular_files() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "outside").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("plain"), "inside").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::os::unix::fs::symlink("../plain", root.join("sub/link-in")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("link-out")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero")).unwrap();
        std::os::unix::fs::symlink("missing", root.join("dangling")).unwrap();
        std::fs::write(root.join("big"), vec![b'x'; 2048]).unwrap();
        let fifo = std::ffi::CString::new(root.join("fifo").into_os_string().into_encoded_bytes())
            .unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

        let confined = ConfinedDir::new(root);
        let read = |name: &str, links| confined.read(Path::new(name), 1024, links);
        assert_eq!(read("plain", Links::FollowInside).unwrap(), b"inside");
        assert_eq!(read("sub/link-in", Links::FollowInside).unwrap(), b"inside");
        refused(read("sub/link-in", Links::Refuse), "is a symbolic link");
        refused(read("link-out", Links::FollowInside), "leads outside");
        refused(read("zero", Links::FollowInside), "leads outside");
        refused(
            read("dangling", Links::FollowInside),
            "symbolic link to \"missing\"",
        );
        refused(read("fifo", Links::FollowInside), "is a FIFO");
        refused(read("sub", Links::FollowInside), "is a folder");
        refused(read("big", Links::FollowInside), "larger than 1 KiB");
        assert_eq!(read("absent", Links::FollowInside), Err(FileError::Missing));
        // A root that is a device folder: the device itself is refused by its type.
        refused(
            ConfinedDir::new("/dev").read(Path::new("zero"), 1024, Links::FollowInside),
            "is a device",
        );
    }

    #[cfg(unix)]
    #[test]
    fn writes_never_follow_links() {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("target");
        std::fs::write(&target, "untouched").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::os::unix::fs::symlink(&target, root.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("away")).unwrap();
        let confined = ConfinedDir::new(root);

        refused(
            confined.create_new(Path::new("link"), b"new", 0o600),
            "exists already",
        );
        confined
            .replace(Path::new("link"), b"replaced", 0o644)
            .unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
        assert_eq!(std::fs::read(root.join("link")).unwrap(), b"replaced");
        assert!(!root.join("link").symlink_metadata().unwrap().is_symlink());

        refused(
            confined.create_dir_all(Path::new("away/keys")),
            "away: leads outside",
        );
        refused(
            confined.create_new(Path::new("away/file"), b"x", 0o600),
            "away: leads outside",
        );
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);

        let made = confined.create_dir_all(Path::new("a/b")).unwrap();
        assert_eq!(made, root.canonicalize().unwrap().join("a/b"));
        confined
            .create_new(Path::new("a/b/key"), b"k", 0o600)
            .unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join("a/b/key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(root.join("kept-mode"), "old").unwrap();
        std::fs::set_permissions(root.join("kept-mode"), PermissionsExt::from_mode(0o640)).unwrap();
        confined
            .replace(Path::new("kept-mode"), b"new", 0o644)
            .unwrap();
        let kept = std::fs::metadata(root.join("kept-mode")).unwrap();
        assert_eq!(kept.permissions().mode() & 0o777, 0o640);
        let leftovers: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| name.to_string_lossy().ends_with(".jwtlens-tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
