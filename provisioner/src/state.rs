//! The state file: the platform and settings `up` used, and its outputs, as JSON. The
//! later commands (`status`, `invoke`, `chat`, `down`, `user`) read the settings from it,
//! so no flag needs repeating. Resources are always found again by name, so losing the
//! file loses only the recorded settings.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Inbound, Platform};
use crate::deploy::{AgentCoreOutputs, Outputs};
use crate::error::{Error, Result};

/// The default place: `.provisioner/<agent name>.json` in the working directory.
pub fn default_path(agent_name: &str) -> PathBuf {
    Path::new(".provisioner").join(format!("{agent_name}.json"))
}

/// What `up` recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Where the agent runs.
    pub platform: Platform,
    /// The settings `up` ran with.
    pub settings: Recorded,
    /// Classic's outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classic: Option<Outputs>,
    /// AgentCore's outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agentcore: Option<AgentCoreOutputs>,
    /// AWS's refusal, when Agents Classic turned out to be closed to this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classic_closed: Option<String>,
}

/// Every `up` setting, so that later commands reuse it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The region.
    pub region: String,
    /// The model or inference profile.
    pub model: String,
    /// The table.
    pub table_name: String,
    /// The Lambda package.
    pub lambda_zip: PathBuf,
    /// Whether bookings and cancellations ask the person first.
    pub confirmation: bool,
    /// The action group (Classic) or gateway target (AgentCore).
    pub action_group: String,
    /// The alias (Classic).
    pub alias: String,
    /// Who may call the gateway (AgentCore).
    #[serde(default)]
    pub inbound: Inbound,
}

/// Writes the state (creating the folder, with a `.gitignore` so it is never committed).
pub fn write(path: &Path, state: &State) -> Result<()> {
    let json = serde_json::to_string_pretty(state).map_err(|e| fail(path, Box::new(e)))?;
    write_private(path, &(json + "\n"))
}

/// Writes `text` to `path` readable by its owner only, through a temporary file so an
/// interrupted write never leaves half a file.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(path, Box::new(e)))?;
        let ignore = dir.join(".gitignore");
        if dir.file_name() == Some(".provisioner".as_ref()) && !ignore.exists() {
            std::fs::write(&ignore, "*\n").map_err(|e| fail(path, Box::new(e)))?;
        }
    }
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        // Created readable by its owner only: the trial users' passwords live here.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(|e| fail(path, Box::new(e)))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| fail(path, Box::new(e)))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| fail(path, Box::new(e)))
}

fn fail(path: &Path, source: Box<dyn std::error::Error + Send + Sync>) -> Error {
    Error::StateFile {
        path: path.to_owned(),
        source,
    }
}

/// Reads the state, if the file exists. A file from before platforms were recorded (only
/// Classic's outputs) reads as a Classic state.
pub fn read(path: &Path) -> Result<Option<State>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(path, Box::new(e))),
    };
    match serde_json::from_str::<State>(&text) {
        Ok(state) => Ok(Some(state)),
        Err(e) => match serde_json::from_str::<Outputs>(&text) {
            Ok(outputs) => Ok(Some(State {
                platform: Platform::Classic,
                settings: Recorded {
                    region: outputs.region.clone(),
                    model: outputs.model.clone(),
                    table_name: outputs.table_name.clone(),
                    // Before settings were recorded, `up` always asked for confirmation
                    // unless told otherwise; nothing says it was told.
                    confirmation: true,
                    ..Recorded::default()
                },
                classic: Some(outputs),
                ..State::default()
            })),
            Err(_) => Err(fail(path, Box::new(e))),
        },
    }
}

/// Reads a JSON file of the state folder (`T::default()` when absent).
pub fn read_json<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| fail(path, Box::new(e))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(fail(path, Box::new(e))),
    }
}

/// Removes the file after `down` (absent is fine).
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(fail(path, Box::new(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_survives_a_round_trip_and_the_folder_ignores_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".provisioner").join("a.json");
        let state = State {
            platform: Platform::Agentcore,
            settings: Recorded {
                region: "us-east-1".into(),
                inbound: Inbound::UserPool,
                ..Recorded::default()
            },
            agentcore: Some(AgentCoreOutputs {
                harness_arn: "arn:h".into(),
                ..AgentCoreOutputs::default()
            }),
            ..State::default()
        };
        assert_eq!(read(&path).unwrap(), None);
        write(&path, &state).unwrap();
        assert_eq!(read(&path).unwrap(), Some(state));
        assert!(dir.path().join(".provisioner/.gitignore").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        remove(&path).unwrap();
        remove(&path).unwrap();
        assert_eq!(read(&path).unwrap(), None);
    }

    #[test]
    fn a_file_with_only_classic_outputs_reads_as_classic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        let outputs = Outputs {
            agent_id: "AGENT12345".into(),
            region: "eu-west-1".into(),
            model: "m".into(),
            ..Outputs::default()
        };
        std::fs::write(&path, serde_json::to_string(&outputs).unwrap()).unwrap();
        let state = read(&path).unwrap().unwrap();
        assert_eq!(state.platform, Platform::Classic);
        assert_eq!(state.settings.region, "eu-west-1");
        assert!(state.settings.confirmation);
        assert_eq!(state.classic, Some(outputs));
    }
}
