//! Named fields as typed values: what a command's parameters mean, built once per command by
//! the verb table ([`super::verbs`]) and read back by notes and the session layer without
//! string keys.
//!
//! Why it exists: a command's parameters were once collected into a JSON map that the notes
//! then read back by string key, so a misspelt key silently dropped a note. Here every name is
//! a variant of [`Name`] (a misspelling does not compile), every value a [`Value`], and JSON is
//! made from them only when JSON is written (see [`Fields::entries`]).
//!
//! Guarantees: [`Name::as_str`] is the stable JSON key of each name (renaming a variant does
//! not change it; renaming the string is a breaking change of the JSON interface). A
//! [`Value::Decoded`] is written as two keys, `name` (the decoded text) and `name_raw` (the
//! text as sent). [`Fields::entries`] gives the keys in byte order of their JSON names, so the
//! output does not depend on the order in which a layout filled the fields. Setting a name
//! twice keeps the last value. The JSON writer (`output::json`) writes these entries; nothing
//! here depends on serde.

use std::fmt;

macro_rules! names {
    ($($variant:ident = $key:literal,)*) => {
        /// The name of one field. The string is the stable JSON key.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Name {
            $($variant,)*
        }

        impl Name {
            /// Every name, in declaration order.
            pub const ALL: &'static [Name] = &[$(Name::$variant,)*];

            /// The JSON key.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Name::$variant => $key,)*
                }
            }

            /// The JSON key of the text as sent, beside a decoded one: `<key>_raw`.
            pub const fn raw_str(self) -> &'static str {
                match self {
                    $(Name::$variant => concat!($key, "_raw"),)*
                }
            }
        }
    };
}

names! {
    AckMode = "ack_mode",
    AddPrompt = "add_prompt",
    Address = "address",
    Auth = "auth",
    AuthMethod = "auth_method",
    AuthMethods = "auth_methods",
    Challenge = "challenge",
    ChallengeVerdict = "challenge_verdict",
    CircleTicket = "circle_ticket",
    City = "city",
    ClientCaps = "client_caps",
    ClientCodebase = "client_codebase",
    ClientExtCaps = "client_ext_caps",
    ClientId = "client_id",
    ClientIdExt = "client_id_ext",
    ClientName = "client_name",
    ClientVersion = "client_version",
    Code = "code",
    ContactCount = "contact_count",
    ContactGuid = "contact_guid",
    ContactId = "contact_id",
    ContactsTimestamp = "contacts_timestamp",
    Cookie = "cookie",
    Country = "country",
    CpuArch = "cpu_arch",
    CurrentAddress = "current_address",
    Dialect = "dialect",
    Dialects = "dialects",
    DirectConnect = "direct_connect",
    DownloadUrl = "download_url",
    Email = "email",
    File = "file",
    FileSize = "file_size",
    FirstName = "first_name",
    Flag = "flag",
    FriendlyName = "friendly_name",
    GroupCount = "group_count",
    GroupId = "group_id",
    GroupIds = "group_ids",
    GroupName = "group_name",
    Handle = "handle",
    Hostname = "hostname",
    IconUrl = "icon_url",
    IdleTimeout = "idle_timeout",
    Index = "index",
    InfoUrl = "info_url",
    LastName = "last_name",
    Length = "length",
    List = "list",
    ListBits = "list_bits",
    ListVersion = "list_version",
    Lists = "lists",
    LocaleId = "locale_id",
    MachineGuid = "machine_guid",
    Meaning = "meaning",
    MessageType = "message_type",
    MessageTypeName = "message_type_name",
    MinimumVersion = "minimum_version",
    Mode = "mode",
    Msnc = "msnc_level",
    Msnobject = "msnobject_xml",
    Network = "network",
    NetworkId = "network_id",
    NextPingSeconds = "next_ping_seconds",
    NoCommonDialect = "no_common_dialect",
    Nonce = "nonce",
    NotificationType = "notification_type",
    NotificationTypeName = "notification_type_name",
    Operation = "operation",
    OsType = "os_type",
    OsVersion = "os_version",
    PassportChallenge = "passport_challenge",
    Policy = "policy",
    PostUrl = "post_url",
    Privacy = "privacy",
    ProductId = "product_id",
    Property = "property",
    PropertyName = "property_name",
    Reason = "reason",
    ReasonMeaning = "reason_meaning",
    Recipient = "recipient",
    RecipientMachineGuid = "recipient_machine_guid",
    RecipientNetwork = "recipient_network",
    RecipientNetworkId = "recipient_network_id",
    RecommendedVersion = "recommended_version",
    RecommendedVersionAgain = "recommended_version_again",
    RedirectUrl = "redirect_url",
    Response = "response",
    Restricted = "restricted",
    Result = "result",
    Salt = "salt",
    SenderFriendlyName = "sender_friendly_name",
    ServerType = "server_type",
    Service = "service",
    ServiceParam = "service_param",
    SessionId = "session_id",
    SettingsTimestamp = "settings_timestamp",
    SiteId = "site_id",
    Stage = "stage",
    State = "state",
    Status = "status",
    StatusName = "status_name",
    Ticket = "ticket",
    Total = "total",
    Value = "value",
    Verified = "verified",
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Text as sent (capture bytes that are not UTF-8 already escaped by the grammar).
    Text(String),
    /// URL-encoded text whose decoding differs from what was sent: JSON `name` holds `text`,
    /// `name_raw` holds `raw`.
    Decoded {
        text: String,
        raw: String,
    },
    /// An unsigned number.
    Num(u64),
    Bool(bool),
    List(Vec<Value>),
}

impl Value {
    /// The text of a `Text` or `Decoded` value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) | Value::Decoded { text: t, .. } => Some(t),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<u64> {
        match self {
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// A list of plain strings.
    pub fn texts<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Value::List(items.into_iter().map(|s| Value::Text(s.into())).collect())
    }
}

impl fmt::Display for Value {
    /// As a note shows it: text and numbers as they are, a list comma-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(t) | Value::Decoded { text: t, .. } => f.write_str(t),
            Value::Num(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
        }
    }
}

/// The named fields of one command, in the order they were set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields(Vec<(Name, Value)>);

impl Fields {
    pub fn new() -> Fields {
        Fields(Vec::new())
    }

    /// Room for `n` fields before the first reallocation (a line has a handful).
    pub fn with_capacity(n: usize) -> Fields {
        Fields(Vec::with_capacity(n))
    }

    /// Sets a field, replacing an earlier value of the same name.
    pub fn set(&mut self, name: Name, value: Value) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    pub fn get(&self, name: Name) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn has(&self, name: Name) -> bool {
        self.get(name).is_some()
    }

    /// The text of a text field (decoded, for URL-encoded ones).
    pub fn text(&self, name: Name) -> Option<&str> {
        self.get(name).and_then(Value::as_text)
    }

    pub fn num(&self, name: Name) -> Option<u64> {
        self.get(name).and_then(Value::as_num)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every field, its value to change in place (names and order are kept).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Name, &mut Value)> {
        self.0.iter_mut().map(|(n, v)| (&*n, v))
    }

    pub fn iter(&self) -> impl Iterator<Item = (Name, &Value)> {
        self.0.iter().map(|(n, v)| (*n, v))
    }

    /// The JSON object (for tests and tools; the JSON writer uses [`Fields::entries`]).
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        fn json(v: &Value) -> serde_json::Value {
            match v {
                Value::Text(t) | Value::Decoded { text: t, .. } => t.as_str().into(),
                Value::Num(n) => (*n).into(),
                Value::Bool(b) => (*b).into(),
                Value::List(items) => items.iter().map(json).collect(),
            }
        }
        self.entries()
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Entry::Value(v) => json(v),
                    Entry::Raw(r) => r.into(),
                };
                (k.to_string(), v)
            })
            .collect()
    }

    /// (key, value) pairs as JSON writes them, sorted by key: a decoded text gives its
    /// `name` entry and a `name_raw` [`Entry::Raw`] entry.
    pub fn entries(&self) -> Vec<(&'static str, Entry<'_>)> {
        let mut out: Vec<(u16, &'static str, Entry<'_>)> = Vec::with_capacity(self.0.len() + 2);
        for (name, value) in &self.0 {
            out.push((key_rank(*name, false), name.as_str(), Entry::Value(value)));
            if let Value::Decoded { raw, .. } = value {
                out.push((key_rank(*name, true), name.raw_str(), Entry::Raw(raw)));
            }
        }
        // By each key's place in the byte order of all keys: the same order as comparing
        // the strings, for a number compare each (every command's fields are sorted).
        out.sort_unstable_by_key(|e| e.0);
        out.into_iter().map(|(_, k, e)| (k, e)).collect()
    }

    /// [`Fields::entries`] without building the list: `f` gets each (key, entry) in the same
    /// order. The order is worked out on the stack (a command has a few fields, each name at
    /// most once, so every key's rank is its own), with the list as the fallback for more.
    pub fn try_for_each_entry<'a, E>(
        &'a self,
        mut f: impl FnMut(&'static str, Entry<'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        const ON_STACK: usize = 32;
        if self.0.len() * 2 > ON_STACK {
            return self.entries().into_iter().try_for_each(|(k, e)| f(k, e));
        }
        // (rank, index of the field, its `_raw` twin)
        let mut order = [(0u16, 0u8, false); ON_STACK];
        let mut n = 0;
        for (i, (name, value)) in self.0.iter().enumerate() {
            order[n] = (key_rank(*name, false), i as u8, false);
            n += 1;
            if let Value::Decoded { .. } = value {
                order[n] = (key_rank(*name, true), i as u8, true);
                n += 1;
            }
        }
        order[..n].sort_unstable_by_key(|e| e.0);
        for &(_, i, twin) in &order[..n] {
            let (name, value) = &self.0[usize::from(i)];
            match value {
                Value::Decoded { raw, .. } if twin => f(name.raw_str(), Entry::Raw(raw))?,
                _ => f(name.as_str(), Entry::Value(value))?,
            }
        }
        Ok(())
    }
}

/// The fields by value, in the order they were set.
impl IntoIterator for Fields {
    type Item = (Name, Value);
    type IntoIter = std::vec::IntoIter<(Name, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The place of a name's JSON key (`raw`: of its `_raw` twin) in the byte order of every key.
fn key_rank(name: Name, raw: bool) -> u16 {
    static RANKS: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    let ranks = RANKS.get_or_init(|| {
        let mut keys: Vec<(&str, usize)> = Name::ALL
            .iter()
            .flat_map(|n| {
                let at = *n as usize * 2;
                [(n.as_str(), at), (n.raw_str(), at + 1)]
            })
            .collect();
        keys.sort_unstable();
        let mut ranks = vec![0; keys.len()];
        for (rank, (_, at)) in keys.into_iter().enumerate() {
            ranks[at] = rank as u16;
        }
        ranks
    });
    ranks[name as usize * 2 + usize::from(raw)]
}

/// One JSON entry of [`Fields::entries`].
#[derive(Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A field's value (a `Decoded` one stands for its decoded text).
    Value(&'a Value),
    /// The text as sent, under `name_raw`.
    Raw(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ranks_follow_the_byte_order_of_the_keys() {
        let keys: Vec<(u16, &str)> = Name::ALL
            .iter()
            .flat_map(|n| {
                [
                    (key_rank(*n, false), n.as_str()),
                    (key_rank(*n, true), n.raw_str()),
                ]
            })
            .collect();
        for a in &keys {
            for b in &keys {
                assert_eq!(a.0.cmp(&b.0), a.1.cmp(b.1), "{} {}", a.1, b.1);
            }
        }
        assert_eq!(Name::FriendlyName.raw_str(), "friendly_name_raw");
    }

    #[test]
    fn json_names_are_unique_snake_case_and_in_order() {
        for pair in Name::ALL.windows(2) {
            assert!(
                pair[0].as_str() < pair[1].as_str(),
                "{} / {}",
                pair[0],
                pair[1]
            );
        }
        for n in Name::ALL {
            let s = n.as_str();
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert!(!s.ends_with("_raw"), "{s} would collide with a raw key");
        }
    }

    #[test]
    fn decoded_text_writes_a_raw_key_and_keys_are_sorted() {
        let mut f = Fields::new();
        f.set(Name::Length, Value::Num(12));
        f.set(
            Name::FriendlyName,
            Value::Decoded {
                text: "Bob B".into(),
                raw: "Bob%20B".into(),
            },
        );
        f.set(Name::Handle, Value::Text("bob@x".into()));
        assert_eq!(
            serde_json::Value::Object(f.to_json()).to_string(),
            r#"{"friendly_name":"Bob B","friendly_name_raw":"Bob%20B","handle":"bob@x","length":12}"#
        );
        let keys: Vec<_> = f.entries().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["friendly_name", "friendly_name_raw", "handle", "length"]
        );
        assert_eq!(f.text(Name::FriendlyName), Some("Bob B"));
        assert_eq!(f.num(Name::Length), Some(12));
        assert_eq!(f.text(Name::Length), None);
    }

    /// Fields of any names (in any order, some decoded), up to past the walk's stack room: the
    /// walk gives exactly the entries of the list, in its order.
    #[test]
    fn the_walk_over_entries_gives_the_list() {
        use proptest::prelude::*;
        let strategy = proptest::collection::vec((0..Name::ALL.len(), any::<bool>()), 0..40);
        proptest::test_runner::TestRunner::default()
            .run(&strategy, |names| {
                let mut f = Fields::new();
                for (i, decoded) in names {
                    let value = if decoded {
                        Value::Decoded {
                            text: format!("t{i}"),
                            raw: format!("r{i}"),
                        }
                    } else {
                        Value::Num(i as u64)
                    };
                    f.set(Name::ALL[i], value);
                }
                let mut walked = Vec::new();
                f.try_for_each_entry(|k, e| {
                    walked.push((k, e));
                    Ok::<(), ()>(())
                })
                .expect("no error");
                prop_assert_eq!(walked, f.entries());
                Ok(())
            })
            .expect("the walk equals the list");
        // An error from `f` stops the walk there.
        let mut f = Fields::new();
        f.set(Name::Handle, Value::Text("a".into()));
        f.set(Name::Length, Value::Num(1));
        let mut seen = 0;
        assert_eq!(
            f.try_for_each_entry(|_, _| {
                seen += 1;
                Err("stop")
            }),
            Err("stop")
        );
        assert_eq!(seen, 1);
    }

    #[test]
    fn setting_twice_keeps_the_last_value() {
        let mut f = Fields::new();
        f.set(Name::Status, Value::Text("NLN".into()));
        f.set(Name::Status, Value::Text("BSY".into()));
        assert_eq!(f.iter().count(), 1);
        assert_eq!(f.text(Name::Status), Some("BSY"));
    }

    #[test]
    fn lists_and_display() {
        let v = Value::List(vec![Value::Num(1), Value::Text("g".into())]);
        assert_eq!(v.to_string(), "1, g");
        let mut f = Fields::new();
        f.set(Name::GroupIds, v);
        assert_eq!(
            serde_json::Value::Object(f.to_json()).to_string(),
            r#"{"group_ids":[1,"g"]}"#
        );
    }
}
