//! The package manager's command for a fix, where the ecosystem has one: what an engineer
//! types, not a description of it.

/// The command that installs `fix` (or, for a system's packages, the newest version) of
/// `package` in `ecosystem` (as scanners name it: "npm", "pypi", "debian"...). `None` where
/// the ecosystem has no one command (Maven: the version is set in the build file), where a
/// version is needed and none is known, or where the name or version holds anything but the
/// characters package names and versions use, since the command will be copied into a shell.
pub fn fix_command(ecosystem: &str, package: &str, fix: Option<&str>) -> Option<String> {
    if !shell_safe(package) || fix.is_some_and(|fix| !shell_safe(fix)) {
        return None;
    }
    let with = |command: &dyn Fn(&str) -> String| fix.map(command);
    match ecosystem.to_ascii_lowercase().as_str() {
        "npm" | "node-pkg" => with(&|fix| format!("npm install {package}@{fix}")),
        "yarn" => with(&|fix| format!("yarn add {package}@{fix}")),
        "pnpm" => with(&|fix| format!("pnpm add {package}@{fix}")),
        "pip" | "pypi" | "python" | "python-pkg" => with(&|fix| format!("pip install '{package}>={fix}'")),
        "poetry" => with(&|fix| format!("poetry add '{package}>={fix}'")),
        "pipenv" => with(&|fix| format!("pipenv install '{package}>={fix}'")),
        "uv" => with(&|fix| format!("uv add '{package}>={fix}'")),
        "cargo" | "crates.io" | "rust-crate" => {
            with(&|fix| format!("cargo update -p {package} --precise {fix}"))
        }
        "go" | "golang" | "gomod" | "go-module" => {
            with(&|fix| format!("go get {package}@v{}", fix.trim_start_matches('v')))
        }
        "nuget" | "dotnet-core" | "dotnet-deps" => {
            with(&|fix| format!("dotnet add package {package} --version {fix}"))
        }
        "composer" | "packagist" | "php-composer" => {
            with(&|fix| format!("composer require '{package}:^{fix}'"))
        }
        "gem" | "gemspec" | "bundler" | "rubygems" => Some(format!("bundle update --conservative {package}")),
        "deb" | "debian" | "ubuntu" | "dpkg" => {
            Some(format!("sudo apt-get install --only-upgrade {package}"))
        }
        "redhat" | "rocky" | "alma" | "almalinux" | "fedora" | "oracle" | "centos" | "amazon" | "rpm" => {
            Some(format!("sudo dnf upgrade {package}"))
        }
        "suse" | "opensuse" | "sles" => Some(format!("sudo zypper update {package}")),
        "alpine" | "apk" | "wolfi" | "chainguard" => Some(format!("apk upgrade {package}")),
        _ => None,
    }
}

/// Whether `text` is made only of what package names and versions are made of.
fn shell_safe(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('-')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "._@/:+~^-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ecosystem_gets_its_own_command() {
        assert_eq!(fix_command("npm", "lodash", Some("4.17.21")).unwrap(), "npm install lodash@4.17.21");
        assert_eq!(
            fix_command("PyPI", "certifi", Some("2023.7.22")).unwrap(),
            "pip install 'certifi>=2023.7.22'"
        );
        assert_eq!(
            fix_command("gomod", "golang.org/x/net", Some("0.17.0")).unwrap(),
            "go get golang.org/x/net@v0.17.0"
        );
        assert_eq!(
            fix_command("go", "golang.org/x/net", Some("v0.17.0")).unwrap(),
            "go get golang.org/x/net@v0.17.0"
        );
        assert_eq!(
            fix_command("cargo", "openssl", Some("0.10.55")).unwrap(),
            "cargo update -p openssl --precise 0.10.55"
        );
        assert_eq!(
            fix_command("debian", "openssl", None).unwrap(),
            "sudo apt-get install --only-upgrade openssl"
        );
        assert_eq!(fix_command("alpine", "busybox", Some("1.36.1-r2")).unwrap(), "apk upgrade busybox");
    }

    #[test]
    fn no_command_is_made_up() {
        assert_eq!(
            fix_command("maven", "log4j-core", Some("2.17.1")),
            None,
            "Maven sets versions in the build file"
        );
        assert_eq!(fix_command("npm", "lodash", None), None, "npm needs the version");
        assert_eq!(fix_command("unknown", "x", Some("1")), None);
        // Scanner text is not trusted into a command someone will paste into a shell.
        assert_eq!(fix_command("npm", "lodash; rm -rf ~", Some("1.0.0")), None);
        assert_eq!(fix_command("npm", "lodash", Some("1.0.0 && curl evil")), None);
        assert_eq!(fix_command("debian", "--reinstall", None), None);
        assert_eq!(fix_command("pip", "a'b", Some("1")), None);
    }
}
