//! Undoing `Content-Encoding` for display, with a hard cap on the decoded size.
//!
//! Stacked codings are decoded as one chain of streaming readers, so the only buffer that
//! grows is the output, and it never grows past the cap.

use std::io::{self, Read};

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

/// The default cap on decoded output: 64 MiB.
pub const DEFAULT_DECODE_CAP: usize = 64 * 1024 * 1024;

const CHUNK: usize = 32 * 1024;
/// Most codings decoded from one `Content-Encoding` value. Each is a reader with its own buffers
/// wrapped around the next, so a header listing thousands would cost memory and stack depth.
pub const MAX_CODINGS: usize = 8;

/// A decoded view of a body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// The decoded bytes; the wire bytes unchanged when nothing was decoded or on error.
    pub bytes: Vec<u8>,
    /// The codings that were removed, lower-cased, in the order the header lists them
    /// (`identity` left out). Empty when nothing was decoded.
    pub encodings: Vec<String>,
    /// Decoding stopped at the cap; `bytes` holds the first `max_out` decoded bytes.
    pub truncated: bool,
    /// Why the body could not be decoded; `bytes` is then the wire bytes.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    Deflate,
    Brotli,
}

/// Decodes `wire` according to a `Content-Encoding` value such as `gzip` or `gzip, br`
/// (codings applied in the listed order, so removed last-first). `identity` is ignored.
/// Output stops at `max_out` bytes with `truncated` set, so a compression bomb costs at most
/// `max_out` plus a few small buffers. An unknown coding or a corrupt stream gives an
/// error with `bytes` equal to `wire`.
pub fn decode_content_encoding(content_encoding: Option<&str>, wire: &[u8], max_out: usize) -> Decoded {
    let names: Vec<String> = content_encoding
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let unchanged = |error: Option<String>| Decoded {
        bytes: wire.to_vec(),
        error,
        ..Decoded::default()
    };
    if names.len() > MAX_CODINGS {
        return unchanged(Some(format!(
            "Content-Encoding lists {} codings; at most {MAX_CODINGS} are decoded",
            names.len()
        )));
    }
    let mut codings = Vec::with_capacity(names.len());
    for name in &names {
        codings.push(match name.as_str() {
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            "br" => Coding::Brotli,
            other => return unchanged(Some(format!("unsupported Content-Encoding `{other}`"))),
        });
    }
    // Nothing to decode, or an empty body sent with an encoding header.
    if codings.is_empty() || wire.is_empty() {
        return unchanged(None);
    }
    let mut reader: Box<dyn Read + '_> = Box::new(wire);
    for coding in codings.iter().rev() {
        reader = match coding {
            Coding::Gzip => Box::new(MultiGzDecoder::new(reader)),
            Coding::Brotli => Box::new(brotli::Decompressor::new(reader, 4096)),
            Coding::Deflate => deflate_reader(reader),
        };
    }
    match read_capped(reader, max_out) {
        Ok((bytes, truncated)) => Decoded {
            bytes,
            encodings: names,
            truncated,
            error: None,
        },
        Err(e) => unchanged(Some(format!("corrupt {} stream: {e}", names.join(", ")))),
    }
}

/// HTTP `deflate` is meant to be zlib-wrapped, but some senders use raw deflate: look at the
/// first two bytes for a zlib header and pick the decoder accordingly.
fn deflate_reader<'a>(mut inner: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match inner.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Box::new(Failing(Some(e))),
        }
    }
    let zlib = got == 2 && head[0] & 0x0F == 8 && head[0] >> 4 <= 7 && u16::from_be_bytes(head) % 31 == 0;
    let replay = io::Cursor::new(head).take(got as u64).chain(inner);
    if zlib {
        Box::new(ZlibDecoder::new(replay))
    } else {
        Box::new(DeflateDecoder::new(replay))
    }
}

/// A reader that reports an error met while sniffing.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self.0.take().unwrap_or_else(|| io::Error::other("read failed")))
    }
}

/// Reads at most `max_out` bytes; the flag says more was available.
fn read_capped(mut reader: impl Read, max_out: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let room = max_out - out.len();
        if room == 0 {
            // At the cap: anything more (or a failure past it) means the output was cut.
            let more = !matches!(reader.read(&mut chunk[..1]), Ok(0));
            return Ok((out, more));
        }
        let want = room.min(CHUNK);
        let n = match reader.read(&mut chunk[..want]) {
            Ok(0) => return Ok((out, false)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if out.len() + n > out.capacity() {
            // Grow by doubling, but never past the cap.
            let target = (out.capacity() * 2).max(out.len() + n).max(CHUNK).min(max_out);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use proptest::prelude::*;
    use std::io::Write;

    fn sample() -> Vec<u8> {
        br#"{"event":"push","commits":[1,2,3]}"#.repeat(100)
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            w.write_all(data).unwrap();
        }
        out
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn round_trips() {
        let data = sample();
        for (header, wire) in [
            ("gzip", gzip(&data)),
            ("X-GZIP", gzip(&data)),
            ("deflate", zlib(&data)),
            ("deflate", raw_deflate(&data)),
            ("br", brotli(&data)),
            ("identity, br", brotli(&data)),
        ] {
            let d = decode_content_encoding(Some(header), &wire, DEFAULT_DECODE_CAP);
            assert_eq!(d.error, None, "{header}");
            assert_eq!(d.bytes, data, "{header}");
            assert!(!d.truncated);
        }
        let d = decode_content_encoding(Some("deflate"), &raw_deflate(b""), 100);
        assert_eq!((d.bytes.len(), d.error), (0, None));
    }

    #[test]
    fn stacked_encodings_decode_in_reverse() {
        let data = sample();
        let wire = brotli(&gzip(&data));
        let d = decode_content_encoding(Some("gzip, br"), &wire, DEFAULT_DECODE_CAP);
        assert_eq!(d.error, None);
        assert_eq!(d.bytes, data);
        assert_eq!(d.encodings, ["gzip", "br"]);
        let wire = gzip(&zlib(&data));
        let d = decode_content_encoding(Some("deflate,gzip"), &wire, DEFAULT_DECODE_CAP);
        assert_eq!(d.bytes, data);
        // The wrong order is an error and leaves the wire bytes.
        let d = decode_content_encoding(Some("br, gzip"), &brotli(&gzip(&data)), DEFAULT_DECODE_CAP);
        assert!(d.error.is_some());
        assert_eq!(d.bytes, brotli(&gzip(&data)));
    }

    #[test]
    fn nothing_to_decode() {
        for header in [None, Some(""), Some("identity")] {
            let d = decode_content_encoding(header, b"plain", 2);
            assert_eq!(
                (d.bytes.as_slice(), d.encodings.len(), d.truncated, d.error),
                (&b"plain"[..], 0, false, None)
            );
        }
        let d = decode_content_encoding(Some("gzip"), b"", 10);
        assert_eq!((d.bytes.len(), d.error), (0, None));
    }

    #[test]
    fn unknown_and_corrupt() {
        let d = decode_content_encoding(Some("gzip, zstd"), b"abc", 100);
        assert_eq!(d.bytes, b"abc");
        assert!(d.error.unwrap().contains("zstd"));
        let d = decode_content_encoding(Some("gzip"), b"definitely not gzip", 100);
        assert_eq!(d.bytes, b"definitely not gzip");
        assert!(d.error.unwrap().contains("corrupt gzip stream"));
        let mut wire = gzip(&sample());
        wire.truncate(wire.len() / 2);
        let d = decode_content_encoding(Some("gzip"), &wire, DEFAULT_DECODE_CAP);
        assert!(d.error.is_some());
        assert_eq!(d.bytes, wire);
        let mut wire = brotli(&sample());
        wire.truncate(wire.len() / 2);
        assert!(
            decode_content_encoding(Some("br"), &wire, DEFAULT_DECODE_CAP)
                .error
                .is_some()
        );
        assert!(
            decode_content_encoding(Some("deflate"), b"\xff\xff\xff", 100)
                .error
                .is_some()
        );
    }

    #[test]
    fn zip_bomb_stops_at_cap() {
        // 100 MiB of zeros, compressed from a stream in 1 MiB steps (about 100 KiB on the wire).
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..100 {
            e.write_all(&zeros).unwrap();
        }
        let wire = e.finish().unwrap();
        assert!(wire.len() < 1024 * 1024);
        let cap = 1024 * 1024;
        let d = decode_content_encoding(Some("gzip"), &wire, cap);
        assert!(d.truncated);
        assert_eq!(d.error, None);
        assert_eq!(d.bytes.len(), cap);
        assert!(d.bytes.capacity() <= cap);
        assert!(d.bytes.iter().all(|&b| b == 0));
        // Exactly at the cap is not truncation.
        let d = decode_content_encoding(Some("gzip"), &gzip(&[7; 1000]), 1000);
        assert!(!d.truncated);
        assert_eq!(d.bytes.len(), 1000);
        let d = decode_content_encoding(Some("br"), &brotli(&[7; 1001]), 1000);
        assert!(d.truncated);
    }

    #[test]
    fn a_header_listing_thousands_of_codings_is_refused() {
        let header = vec!["gzip"; 10_000].join(", ");
        let wire = gzip(&sample());
        let d = decode_content_encoding(Some(&header), &wire, DEFAULT_DECODE_CAP);
        assert_eq!(d.bytes, wire);
        assert!(d.error.unwrap().contains("10000 codings"));
        // Up to the limit, stacked codings still decode.
        let mut wire = sample();
        for _ in 0..MAX_CODINGS {
            wire = gzip(&wire);
        }
        let header = ["gzip"; MAX_CODINGS].join(", ");
        let d = decode_content_encoding(Some(&header), &wire, DEFAULT_DECODE_CAP);
        assert_eq!(d.error, None);
        assert_eq!(d.bytes, sample());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            wire in prop::collection::vec(any::<u8>(), 0..512),
            header in prop::sample::select(vec!["gzip", "deflate", "br", "gzip, br", "br, deflate", "x"]),
            cap in 0usize..300,
        ) {
            let d = decode_content_encoding(Some(header), &wire, cap);
            if d.error.is_some() {
                prop_assert_eq!(d.bytes, wire);
            } else {
                prop_assert!(d.bytes.len() <= cap || wire.is_empty());
            }
        }

        #[test]
        fn gzip_prefixes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2000), cut in 0usize..2000) {
            let wire = gzip(&data);
            let cut = cut.min(wire.len());
            let _ = decode_content_encoding(Some("gzip"), &wire[..cut], 4096);
        }
    }
}
