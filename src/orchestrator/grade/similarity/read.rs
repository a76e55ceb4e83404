//! Reading a class from disk for the similarity check: each student's
//! Python and C/C++ files, never through a symbolic link (grading runs as
//! root, and a submission could point one at a file only root may read),
//! with bounds on what one submission may make it read.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};

use super::tokens::Lang;
use super::{Doc, SourceFile};

/// The most a file may weigh to be read (a student's folder may hold a
/// log of gigabytes).
const MAX_FILE_BYTES: u64 = 512 * 1024;
/// The most files read of one submission.
const MAX_FILES: usize = 200;

/// A submission's Python and C/C++ files, under `dir`, in path order.
/// Symbolic links are never followed (a submission could point one at a
/// file only root may read); hidden files and folders, files that are
/// too big or not UTF-8 are left out.
pub fn read_sources(dir: &Path) -> Result<Vec<SourceFile>> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| anyhow!("cannot read {}: {e}", d.display()))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            if name.starts_with('.') || meta.file_type().is_symlink() {
                continue;
            }
            if meta.is_dir() {
                stack.push(e.path());
                continue;
            }
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap_or(&e.path())
                .to_path_buf();
            let rel = rel.to_string_lossy().into_owned();
            let Some(lang) = Lang::of(&rel) else { continue };
            if !meta.is_file() || meta.len() > MAX_FILE_BYTES || out.len() >= MAX_FILES {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                out.push(SourceFile {
                    path: rel,
                    text,
                    lang,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Each folder of `dir` (not hidden, in name order) as a submission; with
/// `loose_files`, each source file at its top as one too (a folder of
/// public solutions kept as single files).
pub fn read_class(dir: &Path, loose_files: bool) -> Result<Vec<Doc>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| anyhow!("cannot read {}: {e}", dir.display()))?;
    let mut docs = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        if name.starts_with('.') || meta.file_type().is_symlink() {
            continue;
        }
        if meta.is_dir() {
            docs.push(Doc::new(&name, read_sources(&e.path())?));
        } else if loose_files && meta.is_file() && meta.len() <= MAX_FILE_BYTES {
            let (Some(lang), Ok(text)) = (Lang::of(&name), std::fs::read_to_string(e.path()))
            else {
                continue;
            };
            let file = SourceFile {
                path: name.clone(),
                text,
                lang,
            };
            docs.push(Doc::new(&name, vec![file]));
        }
    }
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(docs)
}
