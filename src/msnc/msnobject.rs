//! MSNObjects: the `<msnobj Creator=... Type=... .../>` element that names a display picture,
//! a custom emoticon, a wink or a voice clip, as custom-emoticon and datacast bodies carry it
//! (raw XML there).
//!
//! Why it exists: the element says who made the object, what it is and its friendly name
//! (base64 of UTF-16LE), which is what a reader of a wink or an emoticon wants to see.
//!
//! Guarantees: the element is read as attributes `Name="value"` (at most [`MAX_ATTRIBUTES`],
//! names matched without regard to ASCII case, the five XML entities decoded); the raw text is
//! always kept; what does not parse is left out. Values stay in the data form of
//! [`crate::escape`] they came in. Total on any input.

use base64::Engine as _;

/// Attributes read from one element.
pub const MAX_ATTRIBUTES: usize = 32;

/// One MSNObject.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MsnObject {
    /// The element as sent (data form).
    pub raw: String,
    pub creator: Option<String>,
    pub size: Option<u64>,
    /// `Type`: 2 custom emoticon, 3 display picture, 5 background, 7 dynamic display
    /// picture, 8 wink, 11 voice clip, 12 saved state.
    pub object_type: Option<u64>,
    pub location: Option<String>,
    /// `Friendly`, decoded from base64 UTF-16LE (an unpaired surrogate becomes U+FFFD).
    pub friendly: Option<String>,
    pub sha1d: Option<String>,
}

impl MsnObject {
    /// Reads an element. `raw` is in the data form.
    pub fn parse(raw: &str) -> MsnObject {
        let attrs = attributes(raw);
        let get = |name: &str| {
            attrs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        MsnObject {
            raw: raw.to_string(),
            creator: get("Creator"),
            size: get("Size").and_then(|s| s.parse().ok()),
            object_type: get("Type").and_then(|s| s.parse().ok()),
            location: get("Location"),
            friendly: get("Friendly").and_then(|f| friendly(&f)),
            sha1d: get("SHA1D"),
        }
    }
}

/// `Name="value"` pairs of the first element in `xml` (single quotes too).
fn attributes(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = xml;
    while out.len() < MAX_ATTRIBUTES {
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq]
            .trim_end()
            .rsplit(|c: char| c.is_whitespace() || c == '<')
            .next()
            .unwrap_or("")
            .trim();
        let after = rest[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            rest = &rest[eq + 1..];
            continue;
        };
        let body = &after[1..];
        let Some(close) = body.find(quote) else { break };
        if !name.is_empty() {
            out.push((name.to_string(), unescape_xml(&body[..close])));
        }
        rest = &body[close + 1..];
    }
    out
}

/// The five predefined XML entities resolved (`&amp;` last, so `&amp;lt;` stays `&lt;`).
pub(crate) fn unescape_xml(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A friendly name: base64 of UTF-16LE, maybe ending in NUL characters.
fn friendly(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let units = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]));
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let text = text.trim_end_matches('\0');
    // Decoded text is new data: a backslash in it is doubled like any other.
    Some(crate::escape::escape_field(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_gives_its_attributes() {
        // Friendly "Wink!" in UTF-16LE with a NUL, base64.
        let o = MsnObject::parse(
            "<msnobj Creator=\"bob@x.com\" Size=\"23000\" Type=\"8\" Location=\"TFR2C.tmp\" Friendly=\"VwBpAG4AawAhAAAA\" SHA1D=\"abc=\" SHA1C=\"def=\"/>",
        );
        assert_eq!(o.creator.as_deref(), Some("bob@x.com"));
        assert_eq!(o.size, Some(23000));
        assert_eq!(o.object_type, Some(8));
        assert_eq!(o.location.as_deref(), Some("TFR2C.tmp"));
        assert_eq!(o.friendly.as_deref(), Some("Wink!"));
        assert_eq!(o.sha1d.as_deref(), Some("abc="));
    }

    #[test]
    fn entities_quotes_and_garbage() {
        let o = MsnObject::parse("<msnobj creator='a&amp;b&quot;' Type = \"x\" Size=12/>");
        assert_eq!(o.creator.as_deref(), Some("a&b\""));
        assert_eq!(o.object_type, None);
        assert_eq!(o.size, None);
        for junk in [
            "",
            "=",
            "<msnobj Creator=\"unterminated",
            "===\"\"",
            "\"=\"",
        ] {
            let o = MsnObject::parse(junk);
            assert_eq!(o.raw, junk);
        }
        let many = "a=\"1\" ".repeat(500);
        assert_eq!(attributes(&many).len(), MAX_ATTRIBUTES);
        assert_eq!(friendly("not base64!"), None);
        // An unpaired surrogate, then "A".
        assert_eq!(friendly("ANhBAA==").as_deref(), Some("\u{fffd}A"));
    }
}
