//! A secret that keeps out of `Debug` output: command-line arguments and UI commands derive
//! `Debug`, and a stray `{:?}` in a log or a panic message must not print a signing secret.

use super::redact;

/// A signing secret. `Debug` shows it redacted (`••••` and its last 4 characters); the text is
/// only reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself, for signing and verifying.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", redact(&self.0))
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("whsec_abcdefgh1234");
        assert_eq!(format!("{s:?}"), "Secret(••••1234)");
        assert_eq!(s.expose(), "whsec_abcdefgh1234");
        assert_eq!("x".parse::<Secret>().unwrap(), Secret::from("x"));
    }
}
