//! The one form of an input path. Every command normalises the paths it is given once, at the
//! edge (the app layer), so a target, an ignore's match and every output format show the same
//! text however the path was typed: `seq`, `./seq`, `seq/` and `$PWD/seq` are all `seq`.
//!
//! - Under the working directory: relative to it, with no `./` prefix and no trailing `/`;
//!   the working directory itself is `.`.
//! - Elsewhere: absolute.
//! - `.` and `..` are resolved lexically (`a/b/../c` is `a/c`); symbolic links are not
//!   resolved, so the name the user typed stays the name. `$PWD` counts as the working
//!   directory when it names the same directory as the process's (a shell's logical path
//!   through a symbolic link).
//!
//! A leaf: it imports nothing of the crate.

use std::path::{Component, Path, PathBuf};

/// `path` in its one form, relative to the process's working directory (see the module
/// documentation). When the working directory is unknown, `path` is only cleaned lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let cwds = working_dirs();
    if cwds.is_empty() {
        return clean(path);
    }
    let absolute = clean(&cwds[0].join(path));
    cwds.iter()
        .find_map(|cwd| relative_to(&absolute, cwd))
        .unwrap_or(absolute)
}

/// [`normalize`] as text, with `/` separators.
pub fn display(path: &Path) -> String {
    to_text(&normalize(path))
}

/// `path` in its one form for the working directory `cwd` (an absolute path): relative to
/// `cwd` when under it, else absolute.
pub fn normalize_in(path: &Path, cwd: &Path) -> PathBuf {
    let cwd = clean(cwd);
    let absolute = clean(&cwd.join(path));
    relative_to(&absolute, &cwd).unwrap_or(absolute)
}

/// `path` with `.` removed and `dir/..` folded, lexically; `..` above a relative start stays,
/// `..` above the root is the root. An empty result is `.`; a trailing `/` is dropped.
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A path as reports write it: `/` separators on every platform.
pub fn to_text(path: &Path) -> String {
    let text = path.display().to_string();
    if std::path::MAIN_SEPARATOR == '\\' {
        text.replace('\\', "/")
    } else {
        text
    }
}

/// `absolute` relative to `cwd` when it is `cwd` or under it.
fn relative_to(absolute: &Path, cwd: &Path) -> Option<PathBuf> {
    let rest = absolute.strip_prefix(cwd).ok()?;
    if rest.as_os_str().is_empty() {
        Some(PathBuf::from("."))
    } else {
        Some(rest.to_path_buf())
    }
}

/// The process's working directory, then `$PWD` when it is another name of the same
/// directory.
fn working_dirs() -> Vec<PathBuf> {
    let Ok(cwd) = std::env::current_dir() else {
        return Vec::new();
    };
    let cwd = clean(&cwd);
    let mut dirs = vec![cwd.clone()];
    if let Some(pwd) = std::env::var_os("PWD").map(PathBuf::from)
        && pwd.is_absolute()
    {
        let pwd = clean(&pwd);
        if pwd != cwd && same_dir(&pwd, &cwd) {
            dirs.push(pwd);
        }
    }
    dirs
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(path: &str) -> String {
        to_text(&normalize_in(Path::new(path), Path::new("/repo")))
    }

    #[test]
    fn every_spelling_of_a_path_under_the_working_directory_is_one() {
        for typed in [
            "seq",
            "./seq",
            "seq/",
            "./seq/",
            "seq/.",
            "/repo/seq",
            "/repo/./seq/",
            "other/../seq",
            ".//seq",
        ] {
            assert_eq!(n(typed), "seq", "{typed}");
        }
        assert_eq!(n("seq/02-followup.eml"), "seq/02-followup.eml");
        assert_eq!(n("./seq//02-followup.eml"), "seq/02-followup.eml");
    }

    #[test]
    fn the_working_directory_itself_is_a_dot() {
        for typed in [".", "./", "/repo", "/repo/", "seq/.."] {
            assert_eq!(n(typed), ".", "{typed}");
        }
    }

    #[test]
    fn paths_outside_are_absolute_and_clean() {
        assert_eq!(n(".."), "/");
        assert_eq!(n("../other/x.eml"), "/other/x.eml");
        assert_eq!(n("/etc/./zones/../zones/a.zone"), "/etc/zones/a.zone");
        assert_eq!(
            n("/repository/a"),
            "/repository/a",
            "a prefix of a name is not a parent"
        );
        assert_eq!(n("/../../x"), "/x");
    }

    #[test]
    fn clean_keeps_leading_parents_of_a_relative_path() {
        assert_eq!(clean(Path::new("../x/./y/..")), PathBuf::from("../x"));
        assert_eq!(clean(Path::new("a/../..")), PathBuf::from(".."));
        assert_eq!(clean(Path::new("")), PathBuf::from("."));
    }

    #[test]
    fn normalize_is_idempotent_and_relative_to_the_process() {
        let cwd = std::env::current_dir().unwrap();
        let inside = normalize(&cwd.join("a/./b/"));
        assert_eq!(inside, PathBuf::from("a/b"));
        assert_eq!(normalize(&inside), inside);
        assert_eq!(normalize(Path::new("./a/b")), inside);
        let outside = normalize(&cwd.join("../x"));
        assert!(outside.is_absolute());
        assert_eq!(normalize(&outside), outside);
    }
}
