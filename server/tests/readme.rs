//! README.md is what a newcomer reads first: it must open with exactly the two set-up commands,
//! and its table of demo identities must match what `sigap demo` seeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

#[test]
fn readme_opens_with_the_two_commands() {
    let text = readme();
    let block = text
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let commands: Vec<&str> = block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(commands, ["scripts/dev demo", "scripts/dev test"]);
    assert!(text.find("```sh").unwrap() < 40, "the commands come first");
}

#[test]
fn readme_lists_every_demo_login() {
    let text = readme();
    for login in sigap_server::demo::DEMO_LOGINS {
        let row = text
            .lines()
            .find(|l| l.starts_with('|') && l.contains(&format!("`{}`", login.username)))
            .unwrap_or_else(|| panic!("README has no row for {}", login.username));
        match login.password {
            Some(p) => assert!(row.contains(&format!("`{p}`")), "{row}"),
            None => assert!(row.contains("none"), "{row}"),
        }
        if let Some(local) = login.local_user_id {
            assert!(row.contains(&format!("`{local}`")), "{row}");
        }
    }
}
