use std::io::Write as _;

use super::*;
use crate::capture::CaptureId;

fn job(pane: Pane, bytes: &[u8], content_type: Option<&str>, encoding: Option<&str>) -> RenderJob {
    RenderJob {
        key: RenderKey {
            id: CaptureId(1),
            pane,
            dark: true,
        },
        bytes: Arc::new(bytes.to_vec()),
        content_type: content_type.map(str::to_owned),
        content_encoding: encoding.map(str::to_owned),
        head: None,
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_body_is_shown_decoded_and_pretty() {
    let wire = gzip(br#"{"event":"task.completed","data":{"task_id":"T-1"}}"#);
    let code = prepare(&job(
        Pane::Body(BodyMode::Pretty),
        &wire,
        Some("application/json"),
        Some("gzip"),
    ));
    assert!(code.text.contains("\"task_id\": \"T-1\""), "{}", code.text);
    let note = code.note.unwrap();
    assert!(note.contains("decoded from gzip"), "{note}");
    assert!(
        note.contains(&format!("{} bytes on the wire", wire.len())),
        "{note}"
    );
    // The hex view shows the wire bytes.
    let hex = prepare(&job(Pane::Body(BodyMode::Hex), &wire, None, Some("gzip")));
    assert!(hex.text.starts_with("00000000  1f 8b"), "{}", hex.text);
}

#[test]
fn corrupt_encoding_says_so_and_shows_the_bytes() {
    let code = prepare(&job(Pane::Body(BodyMode::Text), b"not gzip", None, Some("gzip")));
    assert_eq!(code.text, "not gzip");
    assert!(code.note.unwrap().contains("could not decode gzip"));
}

#[test]
fn tree_view_of_json_with_paths_and_deep_nesting() {
    let code = prepare(&job(
        Pane::Body(BodyMode::Tree),
        br#"{"data":{"items":[1,{"a b":true}]}}"#,
        Some("application/json"),
        None,
    ));
    let Some(BodyExtra::Tree(tree)) = &code.extra else {
        panic!("no tree: {code:?}");
    };
    let paths: Vec<&str> = tree.nodes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$",
            "$.data",
            "$.data.items",
            "$.data.items[0]",
            "$.data.items[1]",
            "$.data.items[1][\"a b\"]"
        ]
    );
    // 100,000 levels: no stack overflow, every level a node.
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let code = prepare(&job(Pane::Body(BodyMode::Tree), deep.as_bytes(), None, None));
    let Some(BodyExtra::Tree(tree)) = &code.extra else {
        panic!("no tree for deep nesting: {:?}", code.note);
    };
    assert_eq!(tree.nodes.len(), depth);
    // Not JSON: the pretty view, with a note.
    let code = prepare(&job(
        Pane::Body(BodyMode::Tree),
        b"a=1&b=2",
        Some("application/x-www-form-urlencoded"),
        None,
    ));
    assert!(code.extra.is_none());
    assert!(code.text.contains("a = 1"));
    assert!(code.note.unwrap().contains("tree is for JSON"));
}

#[test]
fn decoded_form_values_keep_one_field_per_line() {
    let code = prepare(&job(
        Pane::Body(BodyMode::Pretty),
        b"note=line1%0Aevil+%3D+1&tab=a%09b&ctl=%01",
        Some("application/x-www-form-urlencoded"),
        None,
    ));
    assert_eq!(code.lines.len(), 3, "{}", code.text);
    assert_eq!(code.line_text(0), "note = line1\\nevil = 1");
    assert_eq!(code.line_text(1), "tab = a\\tb");
    assert_eq!(code.line_text(2), "ctl = \\u{1}");
}

#[test]
fn images_are_decoded_for_display_and_bad_ones_fall_back_to_hex() {
    let mut png = Vec::new();
    let img = image::RgbaImage::from_pixel(3, 2, image::Rgba([255, 0, 0, 255]));
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let code = prepare(&job(Pane::Body(BodyMode::Pretty), &png, Some("image/png"), None));
    let Some(BodyExtra::Image(data)) = &code.extra else {
        panic!("no image: {:?}", code.note);
    };
    assert_eq!(data.image.size, [3, 2]);
    assert_eq!(data.original_size, [3, 2]);
    assert!(code.note.unwrap().contains("image/png image"));

    let code = prepare(&job(
        Pane::Body(BodyMode::Pretty),
        b"\x89PNG\r\n\x1a\nbroken",
        None,
        None,
    ));
    assert!(code.extra.is_none());
    assert!(code.note.unwrap().contains("cannot show the image"));
    assert!(code.text.starts_with("00000000  89 50 4e 47"));
}

#[test]
fn binary_multipart_and_large_bodies() {
    let code = prepare(&job(Pane::Body(BodyMode::Pretty), &[0, 1, 2, 0xff], None, None));
    assert_eq!(code.note.as_deref(), Some("binary, 4 bytes"));
    assert!(code.text.starts_with("00000000  00 01 02 ff"));

    let multipart = b"--xyz\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\r\n--xyz--\r\n";
    let code = prepare(&job(
        Pane::Body(BodyMode::Pretty),
        multipart,
        Some("multipart/form-data; boundary=xyz"),
        None,
    ));
    assert!(code.text.contains("part 1 · name=field"), "{}", code.text);
    assert!(code.text.contains("filename=a.bin"), "{}", code.text);

    // A 10 MiB JSON body: prepared (off the UI thread in the app) as line-indexed text.
    let item = r#"{"id":1,"name":"widget","tags":["a","b"]},"#;
    let mut big = String::from("[");
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(item);
    }
    big.pop();
    big.push(']');
    let code = prepare(&job(
        Pane::Body(BodyMode::Pretty),
        big.as_bytes(),
        Some("application/json"),
        None,
    ));
    assert!(code.lines.len() > 1_000_000);
    assert!(!code.lines[1].spans.is_empty(), "coloured");
    // Hex of a huge body stops at the limit with a summary line.
    let hex = prepare(&job(Pane::Body(BodyMode::Hex), big.as_bytes(), None, None));
    assert_eq!(hex.lines.len(), HEX_MAX_BYTES / 16 + 1);
}
