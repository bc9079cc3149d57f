//! Share tokens: how a sender or the receiver travels to another thread.
//!
//! A token is a short string, e.g. `fq1.s.5be0c3a1.7.9f31d2c4`:
//! version, kind (`s` sender, `r` receiver), the id of the shared memory it was
//! made in, an entry id that is never reused, and a random key. The entry itself
//! (a `Sender` clone, or the moved `Receiver`) waits in a registry in the shared
//! memory until one thread redeems it; a token is redeemed at most once. A
//! malformed, forged, stale (already redeemed or dropped) or foreign (made in
//! another memory) token is rejected with a message saying which.

use core::fmt;

/// What a token carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A `Sender` clone.
    Sender,
    /// The channel's one `Receiver`.
    Receiver,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Sender => "s",
            Kind::Receiver => "r",
        }
    }

    /// `"sender"` or `"receiver"`, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sender => "sender",
            Kind::Receiver => "receiver",
        }
    }
}

/// A parsed token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Sender or receiver.
    pub kind: Kind,
    /// Id of the shared memory (registry) that issued it.
    pub memory: u32,
    /// Registry entry id (never reused within one memory).
    pub id: u64,
    /// Random key that must match the entry's.
    pub key: u32,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fq1.{}.{:08x}.{}.{:08x}",
            self.kind.tag(),
            self.memory,
            self.id,
            self.key
        )
    }
}

impl Token {
    /// Parses a token string.
    ///
    /// # Errors
    ///
    /// `"not a funnelq token"` when the text does not have the token's shape.
    pub fn parse(text: &str) -> Result<Token, &'static str> {
        const BAD: &str = "not a funnelq token";
        let mut parts = text.split('.');
        let (Some("fq1"), Some(kind), Some(memory), Some(id), Some(key), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(BAD);
        };
        let kind = match kind {
            "s" => Kind::Sender,
            "r" => Kind::Receiver,
            _ => return Err(BAD),
        };
        let hex8 = |s: &str| {
            if s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                u32::from_str_radix(s, 16).map_err(|_| BAD)
            } else {
                Err(BAD)
            }
        };
        let memory = hex8(memory)?;
        let key = hex8(key)?;
        if id.is_empty() || id.len() > 19 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BAD);
        }
        let id = id.parse().map_err(|_| BAD)?;
        Ok(Token {
            kind,
            memory,
            id,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s14_token_round_trip() {
        let t = Token {
            kind: Kind::Receiver,
            memory: 0x5be0_c3a1,
            id: 7,
            key: 0x9f31_d2c4,
        };
        assert_eq!(t.to_string(), "fq1.r.5be0c3a1.7.9f31d2c4");
        assert_eq!(Token::parse(&t.to_string()), Ok(t));
    }

    #[test]
    fn s14_token_malformed() {
        for bad in [
            "",
            "fq1",
            "fq1.s.5be0c3a1.7",
            "fq1.x.5be0c3a1.7.9f31d2c4",
            "fq2.s.5be0c3a1.7.9f31d2c4",
            "fq1.s.5be0c3a.7.9f31d2c4",
            "fq1.s.5be0c3a1.-7.9f31d2c4",
            "fq1.s.5be0c3a1.7.9f31d2c4.0",
            "fq1.s.5be0c3a1.99999999999999999999.9f31d2c4",
            "fq1.s.+be0c3a1.7.9f31d2c4",
        ] {
            assert_eq!(Token::parse(bad), Err("not a funnelq token"), "{bad:?}");
        }
    }
}
