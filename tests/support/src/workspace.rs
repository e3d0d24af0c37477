//! Temporary workspace folders, removed when dropped, and the `file://` URIs an editor
//! names their files by.

use std::path::{Path, PathBuf};

use tower_lsp::lsp_types::Url;

/// The `file://` URI of a path, as an editor sends it.
pub fn file_uri(path: &Path) -> String {
    Url::from_file_path(path)
        .expect("an absolute path")
        .to_string()
}

/// A temporary folder standing for a workspace (or any tree of files).
pub struct TempWorkspace {
    dir: tempfile::TempDir,
}

impl TempWorkspace {
    pub fn new() -> TempWorkspace {
        TempWorkspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The workspace folder's URI (`rootUri`).
    pub fn root_uri(&self) -> String {
        file_uri(self.path())
    }

    /// The URI of a file in the workspace.
    pub fn uri(&self, relative: &str) -> String {
        file_uri(&self.path().join(relative))
    }

    /// Writes a file, creating its folders; returns its path.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Default for TempWorkspace {
    fn default() -> Self {
        TempWorkspace::new()
    }
}
