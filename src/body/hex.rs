//! A classic hex dump: offset, 16 bytes in two groups of 8, and the printable ASCII.

use std::fmt::Write as _;

const WIDTH: usize = 16;

/// Dumps at most `max_bytes` bytes, one line of 16 per row, in the familiar layout:
///
/// ```text
/// 00000000  7b 22 61 22 3a 31 7d 0a                           |{"a":1}.|
/// ```
///
/// Bytes outside printable ASCII show as `.`. Every line ends with `\n`; when the body is
/// longer than `max_bytes`, a last line says `… N more bytes`.
pub fn hex_dump(bytes: &[u8], max_bytes: usize) -> String {
    let shown = &bytes[..bytes.len().min(max_bytes)];
    let mut out = String::with_capacity(shown.len().div_ceil(WIDTH) * 80 + 32);
    for (row, line) in shown.chunks(WIDTH).enumerate() {
        let _ = write!(out, "{:08x} ", row * WIDTH);
        for column in 0..WIDTH {
            if column % 8 == 0 {
                out.push(' ');
            }
            match line.get(column) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
        }
        out.push_str(" |");
        out.extend(line.iter().map(|&b| {
            if b == b' ' || b.is_ascii_graphic() {
                char::from(b)
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
    let rest = bytes.len() - shown.len();
    if rest > 0 {
        let unit = if rest == 1 { "byte" } else { "bytes" };
        let _ = writeln!(out, "… {rest} more {unit}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_line_is_padded() {
        assert_eq!(
            hex_dump(b"{\"a\":1}\n", 1024),
            "00000000  7b 22 61 22 3a 31 7d 0a                           |{\"a\":1}.|\n"
        );
    }

    #[test]
    fn binary_with_non_printables() {
        let bytes: Vec<u8> = (0u8..20).chain([b'A', b' ', 0x7f, 0x80, 0xff]).collect();
        let expected = "\
00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|
00000010  10 11 12 13 41 20 7f 80  ff                       |....A ...|
";
        assert_eq!(hex_dump(&bytes, 1000), expected);
    }

    #[test]
    fn full_lines_and_offsets() {
        let bytes = b"0123456789abcdefGHIJKLMNOPQRSTUV".repeat(9);
        let dump = hex_dump(&bytes, usize::MAX);
        let lines: Vec<&str> = dump.lines().collect();
        assert_eq!(lines.len(), 18);
        assert_eq!(
            lines[0],
            "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|"
        );
        assert_eq!(
            lines[17],
            "00000110  47 48 49 4a 4b 4c 4d 4e  4f 50 51 52 53 54 55 56  |GHIJKLMNOPQRSTUV|"
        );
        assert!(lines.iter().all(|l| l.len() == 78));
    }

    #[test]
    fn limit_says_how_much_is_left() {
        let bytes = [0xAAu8; 40];
        let dump = hex_dump(&bytes, 20);
        let lines: Vec<&str> = dump.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[1],
            "00000010  aa aa aa aa                                       |....|"
        );
        assert_eq!(lines[2], "… 20 more bytes");
        assert_eq!(hex_dump(&bytes, 39).lines().last(), Some("… 1 more byte"));
        assert_eq!(hex_dump(&bytes, 0), "… 40 more bytes\n");
        assert_eq!(hex_dump(b"", 10), "");
    }

    proptest! {
        #[test]
        fn line_count_and_width(bytes in prop::collection::vec(any::<u8>(), 0..200), max in 0usize..300) {
            let dump = hex_dump(&bytes, max);
            let shown = bytes.len().min(max);
            let extra = usize::from(bytes.len() > max);
            prop_assert_eq!(dump.lines().count(), shown.div_ceil(16) + extra);
            for line in dump.lines().take(shown.div_ceil(16)) {
                prop_assert!(line.len() <= 78 && line.len() >= 62);
            }
        }
    }
}
