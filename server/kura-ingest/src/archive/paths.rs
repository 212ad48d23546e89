//! Entry names an archive may carry: relative, `/`-separated, no way out of the extraction root.

/// Checks an entry name and returns it without a directory's trailing `/`, or why it is unsafe.
/// The rules match the catalog's file paths, so every accepted member can be stored as a file.
pub fn check_entry_name(name: &str) -> Result<&str, &'static str> {
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
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    for part in trimmed.split('/') {
        match part {
            ".." => return Err("parent directory component '..'"),
            "." => return Err("'.' component"),
            "" => return Err("empty path component"),
            _ if part.chars().any(char::is_control) => return Err("control character in name"),
            _ => {}
        }
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::check_entry_name;

    #[test]
    fn safe_names_pass_and_directories_lose_their_slash() {
        assert_eq!(check_entry_name("crate/data/a b.csv"), Ok("crate/data/a b.csv"));
        assert_eq!(check_entry_name("crate/data/"), Ok("crate/data"));
        assert_eq!(check_entry_name("..a/b..c"), Ok("..a/b..c"));
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
            ("a//b", "empty path component"),
            ("./a", "'.' component"),
            ("", "empty name"),
            ("a\nb", "control character in name"),
        ] {
            assert_eq!(check_entry_name(name), Err(reason), "{name:?}");
        }
    }
}
