//! The versions pinned in the workspace's `versions.env`, the one file the scripts, compose
//! and the tests read.

/// A version pinned in the workspace's `versions.env`, the one file the scripts, compose and
/// the tests read: the value of `KEY=value`, read at compile time.
pub const fn pinned(key: &str) -> &'static str {
    const FILE: &str = include_str!("../../versions.env");
    let file = FILE.as_bytes();
    let key = key.as_bytes();
    let mut line = 0;
    while line < file.len() {
        // Does the line starting at `line` read `KEY=`?
        let mut k = 0;
        while k < key.len() && line + k < file.len() && file[line + k] == key[k] {
            k += 1;
        }
        if k == key.len() && line + k < file.len() && file[line + k] == b'=' {
            let start = line + k + 1;
            let mut end = start;
            while end < file.len() && file[end] != b'\n' {
                end += 1;
            }
            let (_, rest) = FILE.as_bytes().split_at(start);
            let (value, _) = rest.split_at(end - start);
            return match std::str::from_utf8(value) {
                Ok(v) => v,
                Err(_) => panic!("versions.env is not UTF-8"),
            };
        }
        while line < file.len() && file[line] != b'\n' {
            line += 1;
        }
        line += 1;
    }
    panic!("versions.env lacks a pinned version")
}
