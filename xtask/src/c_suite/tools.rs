//! The system tools the C suite needs beyond a compiler (valgrind, pkg-config): found on
//! `PATH`, or installed from Debian packages with `apt-get install -y` (as root, or through
//! `sudo -n` otherwise), the way a CI image without them gets them. A tool still missing
//! after that is the caller's failure to report; only valgrind has an opt-out,
//! `FERROCKET_SKIP_VALGRIND=1`, which the suite reports loudly.

use std::process::{Command, Stdio};

/// The environment variable that skips the valgrind pass when set to `1`.
pub const SKIP_VALGRIND: &str = "FERROCKET_SKIP_VALGRIND";

/// A tool the suite runs, and the Debian package that provides it.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The program name.
    pub program: &'static str,
    /// An argument that makes it print its version and exit 0.
    pub version_arg: &'static str,
    /// The Debian package providing it.
    pub package: &'static str,
}

/// valgrind, for the `valgrind_clean` scenario.
pub const VALGRIND: Tool = Tool {
    program: "valgrind",
    version_arg: "--version",
    package: "valgrind",
};

/// pkg-config, for the `pkg_config` scenario and the compiler flags.
pub const PKG_CONFIG: Tool = Tool {
    program: "pkg-config",
    version_arg: "--version",
    package: "pkg-config",
};

/// How a missing package can be installed on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// Running as root: `apt-get` directly.
    Root,
    /// Not root, with `sudo`: `sudo -n apt-get` (never prompts).
    Sudo,
    /// No `apt-get`, or not root and no `sudo`: the reason.
    Unavailable(String),
}

/// Whether `FERROCKET_SKIP_VALGRIND` asks to skip valgrind (`1`, `true` or `yes`).
pub fn skip_valgrind(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("1" | "true" | "yes")
    )
}

/// The installer to use, from what the machine has.
pub fn installer(has_apt: bool, is_root: bool, has_sudo: bool) -> Installer {
    match (has_apt, is_root, has_sudo) {
        (false, _, _) => Installer::Unavailable("apt-get is not available".into()),
        (true, true, _) => Installer::Root,
        (true, false, true) => Installer::Sudo,
        (true, false, false) => Installer::Unavailable("not root and sudo is not available".into()),
    }
}

/// The commands that install `package`: `apt-get install`, and if that fails (an image with
/// empty package lists) `apt-get update` then `install` again. Each is program + arguments.
pub fn install_commands(installer: &Installer, package: &str) -> Vec<Vec<String>> {
    let prefix: Vec<String> = match installer {
        Installer::Root => vec!["apt-get".into()],
        Installer::Sudo => vec!["sudo".into(), "-n".into(), "apt-get".into()],
        Installer::Unavailable(_) => return Vec::new(),
    };
    let with = |args: &[&str]| -> Vec<String> {
        prefix
            .iter()
            .cloned()
            .chain(args.iter().map(|a| (*a).to_owned()))
            .collect()
    };
    let install = with(&["install", "-y", "--no-install-recommends", package]);
    vec![install.clone(), with(&["update"]), install]
}

/// Whether `tool` runs.
pub fn present(tool: Tool) -> bool {
    runs(tool.program, &[tool.version_arg])
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Makes sure `tool` runs, installing its package when it does not; the error says why it
/// still does not.
pub fn ensure(tool: Tool) -> Result<(), String> {
    if present(tool) {
        return Ok(());
    }
    let how = installer(
        runs("apt-get", &["--version"]),
        is_root(),
        runs("sudo", &["--version"]),
    );
    eprintln!(
        "{} is not installed: installing package {} ({how:?})",
        tool.program, tool.package
    );
    if let Installer::Unavailable(why) = &how {
        return Err(format!(
            "{} is not installed and cannot be installed here ({why}): install package {}",
            tool.program, tool.package
        ));
    }
    let commands = install_commands(&how, tool.package);
    let (first, retry) = commands.split_first().expect("install commands");
    if !run_install(first) {
        for command in retry {
            if !run_install(command) {
                break;
            }
        }
    }
    if present(tool) {
        eprintln!("installed {}", tool.program);
        Ok(())
    } else {
        Err(format!(
            "{} is still not runnable after `{}`",
            tool.program,
            first.join(" ")
        ))
    }
}

fn run_install(command: &[String]) -> bool {
    eprintln!("$ {}", command.join(" "));
    Command::new(&command[0])
        .args(&command[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only an explicit yes skips valgrind: unset, empty, `0` or anything else runs it.
    #[test]
    fn skip_needs_an_explicit_yes() {
        for yes in ["1", "true", "YES", " 1 "] {
            assert!(skip_valgrind(Some(yes)), "{yes}");
        }
        for no in [
            None,
            Some(""),
            Some("0"),
            Some("false"),
            Some("no"),
            Some("2"),
        ] {
            assert!(!skip_valgrind(no), "{no:?}");
        }
    }

    /// Root uses apt-get, others sudo -n (never a prompt); without either it cannot install.
    #[test]
    fn installer_follows_the_machine() {
        assert_eq!(installer(true, true, false), Installer::Root);
        assert_eq!(installer(true, false, true), Installer::Sudo);
        assert!(matches!(
            installer(true, false, false),
            Installer::Unavailable(_)
        ));
        assert!(matches!(
            installer(false, true, true),
            Installer::Unavailable(_)
        ));
        let sudo = install_commands(&Installer::Sudo, "valgrind");
        assert_eq!(
            sudo[0],
            [
                "sudo",
                "-n",
                "apt-get",
                "install",
                "-y",
                "--no-install-recommends",
                "valgrind"
            ]
        );
        assert_eq!(sudo[1], ["sudo", "-n", "apt-get", "update"]);
        assert_eq!(sudo[2], sudo[0]);
        let root = install_commands(&Installer::Root, "pkg-config");
        assert_eq!(root[0][0], "apt-get");
        assert!(install_commands(&Installer::Unavailable("x".into()), "valgrind").is_empty());
    }
}
