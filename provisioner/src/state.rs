//! The state file: `up`'s outputs as JSON, for people and for `invoke`. Resources are
//! always found again by name, so losing this file loses nothing.

use std::path::{Path, PathBuf};

use crate::deploy::Outputs;
use crate::error::{Error, Result};

/// The default place: `.provisioner/<agent name>.json` in the working directory.
pub fn default_path(agent_name: &str) -> PathBuf {
    Path::new(".provisioner").join(format!("{agent_name}.json"))
}

/// Writes the outputs (creating the folder, with a `.gitignore` so it is never committed).
pub fn write(path: &Path, outputs: &Outputs) -> Result<()> {
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| Error::StateFile {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(Box::new(e)))?;
        let ignore = dir.join(".gitignore");
        if dir.file_name() == Some(".provisioner".as_ref()) && !ignore.exists() {
            std::fs::write(&ignore, "*\n").map_err(|e| fail(Box::new(e)))?;
        }
    }
    let json = serde_json::to_string_pretty(outputs).map_err(|e| fail(Box::new(e)))?;
    // Write then rename, so an interrupted write never leaves half a file.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json + "\n").map_err(|e| fail(Box::new(e)))?;
    std::fs::rename(&tmp, path).map_err(|e| fail(Box::new(e)))
}

/// Reads the outputs, if the file exists.
pub fn read(path: &Path) -> Result<Option<Outputs>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::StateFile {
                path: path.to_owned(),
                source: Box::new(e),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::StateFile {
            path: path.to_owned(),
            source: Box::new(e),
        }),
    }
}

/// Removes the file after `down` (absent is fine).
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::StateFile {
            path: path.to_owned(),
            source: Box::new(e),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_survive_a_round_trip_and_the_folder_ignores_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".provisioner").join("a.json");
        let outputs = Outputs {
            agent_id: "AGENT12345".into(),
            alias_id: "ALIAS12345".into(),
            region: "us-east-1".into(),
            ..Outputs::default()
        };
        assert_eq!(read(&path).unwrap(), None);
        write(&path, &outputs).unwrap();
        assert_eq!(read(&path).unwrap(), Some(outputs));
        assert!(dir.path().join(".provisioner/.gitignore").exists());
        remove(&path).unwrap();
        remove(&path).unwrap();
        assert_eq!(read(&path).unwrap(), None);
    }
}
