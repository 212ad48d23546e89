//! Entry names an archive may carry: relative, `/`-separated, no way out of the extraction root.
//!
//! Empty and `.` components (`a//b`, `./a`) are harmless and some ELNs write them: they are
//! normalised away. Only what could escape the root is refused: `..`, absolute paths, drive
//! letters, backslashes, NUL and control characters (links are refused by the extractor).

/// Checks an entry name and returns it normalised (no empty or `.` components, no directory's
/// trailing `/`), or why it is unsafe. The rules match the catalog's file paths, so every
/// accepted member can be stored as a file. A name that normalises to nothing (`./`) is the
/// archive root and comes back empty.
pub fn check_entry_name(name: &str) -> Result<String, &'static str> {
    if name.is_empty() {
        return Err("empty name");
    }
    if name.contains('\0') {
        return Err("NUL byte in name");
    }
    if name.contains('\\') {
        return Err("backslash in name");
    }
    if name.starts_with('/') {
        return Err("absolute path");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err("drive letter");
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            ".." => return Err("parent directory component '..'"),
            "." | "" => {}
            _ if part.chars().any(char::is_control) => return Err("control character in name"),
            _ => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::check_entry_name;

    #[test]
    fn safe_names_pass_and_directories_lose_their_slash() {
        let ok = |s: &str| Ok(s.to_string());
        assert_eq!(check_entry_name("crate/data/a b.csv"), ok("crate/data/a b.csv"));
        assert_eq!(check_entry_name("crate/data/"), ok("crate/data"));
        assert_eq!(check_entry_name("..a/b..c"), ok("..a/b..c"));
        assert_eq!(check_entry_name("crate//data/./a.csv"), ok("crate/data/a.csv"));
        assert_eq!(check_entry_name("./a"), ok("a"));
        assert_eq!(check_entry_name("./"), ok(""));
    }

    #[test]
    fn escaping_names_are_refused_with_the_reason() {
        for (name, reason) in [
            ("../evil", "parent directory component '..'"),
            ("a/../../evil", "parent directory component '..'"),
            ("/etc/passwd", "absolute path"),
            ("a\\..\\evil", "backslash in name"),
            ("C:/windows/x", "drive letter"),
            ("a\0b", "NUL byte in name"),
            ("", "empty name"),
            ("a\nb", "control character in name"),
        ] {
            assert_eq!(check_entry_name(name), Err(reason), "{name:?}");
        }
    }
}
