//! The extractor never panics, whatever the text, and every span it reports
//! slices the input to the claim text (parts joined by one space).
#![no_main]

use claimdb::extract::{extract, parse_article_file, ExtractOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let file = parse_article_file(&text);
    let chars: Vec<char> = file.body.chars().collect();
    let opts = ExtractOptions {
        published: file.published,
    };
    for claim in extract(&file.body, &opts) {
        let parts: Vec<String> = claim
            .spans
            .iter()
            .map(|&(s, e)| {
                assert!(s < e && e <= chars.len(), "span {s}..{e} out of range");
                chars[s..e].iter().collect()
            })
            .collect();
        assert_eq!(parts.join(" "), claim.text, "spans must slice to the text");
    }
});
