//! Path globs (`/hooks/*`, `/smtm/{a,b}/**`) for signing profiles and response rules: compiled
//! once, and refused with a sentence (never a panic) when malformed, too long or too complex.

use std::cell::RefCell;
use std::collections::HashMap;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::clip::quote_clipped;

/// Longest pattern accepted; real webhook paths are far shorter.
pub const MAX_PATTERN_CHARS: usize = 1024;
/// Patterns kept compiled per thread by [`matches`] before the cache starts over.
const CACHE_ENTRIES: usize = 256;

/// A compiled path glob.
#[derive(Debug, Clone)]
pub struct PathGlob {
    set: GlobSet,
}

impl PathGlob {
    /// Compile `pattern`; the error says what is wrong in one sentence.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let chars = pattern.chars().count();
        if chars > MAX_PATTERN_CHARS {
            return Err(format!(
                "the path pattern {} is {chars} characters long (at most {MAX_PATTERN_CHARS})",
                quote_clipped(pattern)
            ));
        }
        let glob = Glob::new(pattern).map_err(|e| {
            format!(
                "the path pattern {} is not a valid glob: {}",
                quote_clipped(pattern),
                e.kind()
            )
        })?;
        // Unlike `Glob::compile_matcher`, building a set reports a pattern too complex to
        // compile instead of panicking.
        let set = GlobSetBuilder::new().add(glob).build().map_err(|_| {
            format!(
                "the path pattern {} is too complex to match with (use fewer wildcards and braces)",
                quote_clipped(pattern)
            )
        })?;
        Ok(PathGlob { set })
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.set.is_match(path)
    }
}

/// Whether `path` matches `pattern`, compiling each pattern once per thread. A pattern that
/// does not compile matches only itself, literally.
pub fn matches(pattern: &str, path: &str) -> bool {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Option<PathGlob>>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(pattern.to_string(), PathGlob::new(pattern).ok());
        }
        match cache.get(pattern) {
            Some(Some(glob)) => glob.is_match(path),
            _ => pattern == path,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_globset() {
        let g = PathGlob::new("/hooks/*").unwrap();
        assert!(g.is_match("/hooks/a"));
        assert!(
            g.is_match("/hooks/a/b"),
            "`*` crosses `/`, as profiles always did"
        );
        assert!(!g.is_match("/other"));
        assert!(matches("/smtm/{a,b}", "/smtm/b"));
        assert!(!matches("/smtm/{a,b}", "/smtm/c"));
        assert!(
            matches("/{broken", "/{broken"),
            "an invalid pattern matches only itself"
        );
    }

    #[test]
    fn hostile_patterns_are_refused_with_a_sentence() {
        let nested = format!("/{}{}", "{a,".repeat(2000), "}".repeat(2000));
        let stars = format!("/{}", "*".repeat(100_000));
        let literal = format!("/{}", "A".repeat(1_000_000));
        for p in [&nested, &stars, &literal] {
            let e = PathGlob::new(p).unwrap_err();
            assert!(e.starts_with("the path pattern \""), "{e}");
            assert!(e.len() < 200, "the message quotes only the start: {e}");
            assert!(!matches(p, "/x"));
        }
        assert!(PathGlob::new("/{a").unwrap_err().contains("not a valid glob"));
    }

    #[test]
    fn a_short_pattern_too_complex_to_compile_is_refused() {
        let nest = |depth: usize| format!("/{}x{}", "{a,".repeat(depth), "}".repeat(depth));
        assert!(PathGlob::new(&nest(10)).is_ok());
        assert!(nest(250).chars().count() <= MAX_PATTERN_CHARS);
        let e = PathGlob::new(&nest(250)).unwrap_err();
        assert!(e.contains("too complex"), "{e}");
        assert!(!matches(&nest(250), "/ax"));
    }
}
