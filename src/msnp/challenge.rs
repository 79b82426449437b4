//! Checking the answer to a notification server challenge (`CHL` / `QRY`).
//!
//! From MSNP6 the server sends `CHL 0 challenge` and the client answers
//! `QRY trid product-id 32` followed by 32 hex characters. The answer is keyed by a product key
//! that never goes on the wire, but the keys of the common clients are public (reference §9.2),
//! so an analyzer can tell a right answer from a wrong one whenever it knows the key:
//!
//! * MSNP6 to MSNP10: lower-case hex MD5 of `challenge ‖ key` ([`answer_md5`]).
//! * MSNP11 and later: the MD5-plus-arithmetic scheme of reference §9.3 ([`answer_msnp11`]).
//!
//! Everything here is pure and total: any input strings give an answer, never a panic.

use md5::{Digest, Md5};

use super::Dialect;

/// One public product ID, with its key when the key is known.
struct Product {
    id: &'static str,
    key: Option<&'static str>,
}

/// Product ID / key pairs extracted from client binaries (reference §9.2).
const PRODUCTS: &[Product] = &[
    Product {
        id: "msmsgs@msnmsgr.com",
        key: Some("Q1P7W2E4J9R8U3S5"),
    },
    Product {
        id: "PROD0038W!61ZTF9",
        key: Some("VT6PX?UQTM4WM%YR"),
    },
    Product {
        id: "PROD0058#7IL2{QD",
        key: Some("QHDCY@7R1TB6W?5B"),
    },
    Product {
        id: "PROD0061VRRZH@4F",
        key: Some("JXQ6J@TUOGYV@N0M"),
    },
    Product {
        id: "PROD00504RLUG%WL",
        key: Some("I2EBK%PYNLZL5_J4"),
    },
    Product {
        id: "PROD0076ENE8*@AW",
        key: Some("CEQJ8}OE0!WTSWII"),
    },
    Product {
        id: "PROD00517IFH4@RV",
        key: None,
    },
    Product {
        id: "PROD008955JTJ_S7",
        key: None,
    },
    Product {
        id: "PROD0090YUAUV{2B",
        key: Some("YMM8C_H7KCQ2S_KL"),
    },
    Product {
        id: "PROD00974#MT*RC2",
        key: Some("LMCVO*18PQJ3H!K3"),
    },
    Product {
        id: "PROD0101{0RM?UBW",
        key: Some("CFHUR$52U_{VIX5T"),
    },
    Product {
        id: "PROD0104U6VVM{UJ",
        key: Some("VK67B}379XYM5}$T"),
    },
    Product {
        id: "PROD01065C%ZFN6F",
        key: Some("O4BG@C7BWLYQX?5G"),
    },
    Product {
        id: "PROD0112J1LW7%NB",
        key: Some("RH96F{PHI8PPX_TJ"),
    },
    Product {
        id: "PROD0113H11T8$X_",
        key: Some("RG@XY*28Q5QHS%Q5"),
    },
    Product {
        id: "PROD0114ES4Z%Q5W",
        key: Some("PK}_A_0N_K%O?A9S"),
    },
    Product {
        id: "PROD0118R6%2WYOS",
        key: Some("YIXPX@5I2P0UT*LK"),
    },
    Product {
        id: "PROD0119GSJUC$18",
        key: Some("ILTXC!4IXB5FB*PX"),
    },
    Product {
        id: "PROD0120PW!CCV9@",
        key: Some("C1BX{V4W}Q3*10SM"),
    },
];

/// The outcome of checking a `QRY` answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeCheck {
    /// The answer is right for this product (the ID whose key produced it).
    Valid { product_id: &'static str },
    /// We know the key for the product ID the client named, and the answer is wrong.
    Invalid,
    /// The product ID is not in our table, or its key is unknown, and no known key fits.
    UnknownKey,
}

/// The MSNP6–10 answer: lower-case hex MD5 of the challenge followed by the product key.
pub fn answer_md5(challenge: &str, key: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(challenge.as_bytes());
    md5.update(key.as_bytes());
    hex(&md5.finalize())
}

/// The MSNP11+ answer (reference §9.3), padding as libpurple does: `challenge ‖ product_id` is
/// filled with `'0'` up to a multiple of 8 bytes, and left alone when it already is one.
pub fn answer_msnp11(challenge: &str, product_id: &str, product_key: &str) -> String {
    msnp11(challenge, product_id, product_key, Padding::Libpurple)
}

/// How `challenge ‖ product_id` is padded. The two only differ when its length is already a
/// multiple of 8 (never with a 20-digit challenge and a 16-character product ID).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Padding {
    /// No padding on an exact multiple of 8.
    Libpurple,
    /// Eight more `'0'`s on an exact multiple of 8 (MSNPSharp, Escargot).
    AlwaysSome,
}

const MOD: u64 = 0x7FFF_FFFF;

fn msnp11(challenge: &str, product_id: &str, product_key: &str, padding: Padding) -> String {
    let mut md5 = Md5::new();
    md5.update(challenge.as_bytes());
    md5.update(product_key.as_bytes());
    let digest = md5.finalize();
    let h: Vec<u32> = digest
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let m: Vec<u64> = h.iter().map(|&w| u64::from(w & 0x7FFF_FFFF)).collect();

    let mut s = Vec::with_capacity(challenge.len() + product_id.len() + 8);
    s.extend_from_slice(challenge.as_bytes());
    s.extend_from_slice(product_id.as_bytes());
    let rem = s.len() % 8;
    if rem != 0 || padding == Padding::AlwaysSome {
        s.resize(s.len() + (8 - rem), b'0');
    }
    let words: Vec<u64> = s
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect();

    // Every product below stays under 2^63: words are < 2^32, masked parts < 2^31 and
    // `t + lo` < 2^32. Only `hi` keeps growing with the input length, hence the wrapping add.
    let (mut lo, mut hi) = (0u64, 0u64);
    for pair in words.chunks_exact(2) {
        let mut t = (0x0E79_A9C1 * pair[0]) % MOD;
        t = (m[0] * (t + lo) + m[1]) % MOD;
        hi = hi.wrapping_add(t);
        t = (pair[1] + t) % MOD;
        lo = (m[2] * t + m[3]) % MOD;
        hi = hi.wrapping_add(lo);
    }
    lo = (lo + m[1]) % MOD;
    hi = (hi % MOD + m[3]) % MOD;

    // Both values are below 2^31, so the casts keep every bit.
    let (lo, hi) = (lo as u32, hi as u32);
    let mut out = Vec::with_capacity(16);
    for (i, w) in h.iter().enumerate() {
        let x = if i % 2 == 0 { w ^ lo } else { w ^ hi };
        out.extend_from_slice(&x.to_le_bytes());
    }
    hex(&out)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xF)] as char);
    }
    s
}

/// Which algorithms a dialect may use: (plain MD5, MSNP11 scheme).
fn algorithms(dialect: Option<Dialect>) -> (bool, bool) {
    match dialect {
        Some(Dialect(d)) if d <= 10 => (true, false),
        Some(_) => (false, true),
        None => (true, true),
    }
}

/// Does `answer` fit `challenge` under this product's key, with the dialect's algorithm(s)?
fn fits(
    product_id: &str,
    key: &str,
    dialect: Option<Dialect>,
    challenge: &str,
    answer: &str,
) -> bool {
    let (plain, v11) = algorithms(dialect);
    if plain && answer_md5(challenge, key) == answer {
        return true;
    }
    v11 && [Padding::Libpurple, Padding::AlwaysSome]
        .iter()
        .any(|&p| msnp11(challenge, product_id, key, p) == answer)
}

/// Checks a `QRY` answer against the keys we know.
///
/// The product ID the client named is tried first. When that ID is unknown, every known key is
/// tried, in case the client sent an ID we have under another name. The algorithm follows the
/// dialect (MD5 up to MSNP10, the MSNP11 scheme after); with no dialect both are tried.
/// Hex case and surrounding whitespace in `answer` do not matter.
pub fn check_challenge(
    dialect: Option<Dialect>,
    challenge: &str,
    product_id_param: &str,
    answer: &str,
) -> ChallengeCheck {
    let answer = answer.trim().to_ascii_lowercase();
    if let Some(named) = PRODUCTS.iter().find(|p| p.id == product_id_param) {
        return match named.key {
            Some(key) if fits(named.id, key, dialect, challenge, &answer) => {
                ChallengeCheck::Valid {
                    product_id: named.id,
                }
            }
            Some(_) => ChallengeCheck::Invalid,
            None => ChallengeCheck::UnknownKey,
        };
    }
    for product in PRODUCTS {
        if let Some(key) = product.key {
            // Under MSNP11+ the product ID is an input too; use the one the client sent.
            if fits(product_id_param, key, dialect, challenge, &answer) {
                return ChallengeCheck::Valid {
                    product_id: product.id,
                };
            }
        }
    }
    ChallengeCheck::UnknownKey
}

#[cfg(test)]
mod tests {
    //! Expected answers beyond the reference's own vectors were computed by an independent
    //! Python implementation of §9.1 / §9.3 (kept here so it can be re-run):
    //!
    //! ```python
    //! import hashlib, struct
    //! def msnp11(chl, pid, key, sharp=False):
    //!     h = hashlib.md5((chl + key).encode()).digest()
    //!     hw = struct.unpack('<4I', h)
    //!     m = [x & 0x7FFFFFFF for x in hw]
    //!     s = (chl + pid).encode()
    //!     pad = 8 - len(s) % 8
    //!     if pad != 8 or sharp:
    //!         s += b'0' * pad
    //!     w = struct.unpack('<%dI' % (len(s)//4), s)
    //!     lo = hi = 0; M = 0x7FFFFFFF
    //!     for i in range(0, len(w) - 1, 2):
    //!         t = (0x0E79A9C1 * w[i]) % M
    //!         t = (m[0] * (t + lo) + m[1]) % M
    //!         hi += t
    //!         t = (w[i+1] + t) % M
    //!         lo = (m[2] * t + m[3]) % M
    //!         hi += lo
    //!     lo = (lo + m[1]) % M; hi = (hi + m[3]) % M
    //!     return struct.pack('<4I', hw[0]^lo, hw[1]^hi, hw[2]^lo, hw[3]^hi).hex()
    //! print(msnp11('34171223491318530719', 'PROD0119GSJUC$18', 'ILTXC!4IXB5FB*PX'))
    //! print(msnp11('15570131571988941333', 'PROD01065C%ZFN6F', 'O4BG@C7BWLYQX?5G'))
    //! print(msnp11('123456789012345678901234', 'PROD0120PW!CCV9@', 'C1BX{V4W}Q3*10SM'))
    //! print(msnp11('123456789012345678901234', 'PROD0120PW!CCV9@', 'C1BX{V4W}Q3*10SM', True))
    //! print(hashlib.md5(b'29409134351025259292PK}_A_0N_K%O?A9S').hexdigest())
    //! ```
    use super::*;

    const MSMSGS_KEY: &str = "Q1P7W2E4J9R8U3S5";

    #[test]
    fn md5_reference_vector() {
        assert_eq!(
            answer_md5("15570131571988941333", MSMSGS_KEY),
            "8f2f5a91b72102cd28355e9fc9000d6e"
        );
    }

    #[test]
    fn md5_python_vector() {
        assert_eq!(
            answer_md5("29409134351025259292", "PK}_A_0N_K%O?A9S"),
            "94570b2136a2463e6e988e37cfa848df"
        );
    }

    #[test]
    fn msnp11_reference_vectors() {
        assert_eq!(
            answer_msnp11(
                "22210219642164014968",
                "PROD0090YUAUV{2B",
                "YMM8C_H7KCQ2S_KL"
            ),
            "85ecb0db8f32113df79ce0892b9a102c"
        );
        assert_eq!(
            answer_msnp11(
                "13038318816579321232",
                "PROD0090YUAUV{2B",
                "YMM8C_H7KCQ2S_KL"
            ),
            "b01c13020e374d4fa20abfad6981b7a9"
        );
        assert_eq!(
            answer_msnp11(
                "22210219642164014968",
                "PROD0120PW!CCV9@",
                "C1BX{V4W}Q3*10SM"
            ),
            "6e92a312bf6b70ee58e75a1e3315695c"
        );
    }

    #[test]
    fn msnp11_python_vectors() {
        assert_eq!(
            answer_msnp11(
                "34171223491318530719",
                "PROD0119GSJUC$18",
                "ILTXC!4IXB5FB*PX"
            ),
            "8f74c9f603fa6d2367eb412e12d685f5"
        );
        assert_eq!(
            answer_msnp11(
                "15570131571988941333",
                "PROD01065C%ZFN6F",
                "O4BG@C7BWLYQX?5G"
            ),
            "47d2b1e24f85947bdd29b3bfe29f027b"
        );
    }

    #[test]
    fn msnp11_padding_on_exact_multiple_of_eight() {
        // 24 + 16 = 40 bytes: libpurple adds nothing, MSNPSharp adds eight '0's.
        let (chl, id, key) = (
            "123456789012345678901234",
            "PROD0120PW!CCV9@",
            "C1BX{V4W}Q3*10SM",
        );
        assert_eq!(
            answer_msnp11(chl, id, key),
            "27a63cfd509207abf820017fb50ee2b3"
        );
        assert_eq!(
            msnp11(chl, id, key, Padding::AlwaysSome),
            "b5b551a8f1f440a56a336c2a1468a5bd"
        );
        // Either form is accepted.
        for answer in [
            "27a63cfd509207abf820017fb50ee2b3",
            "b5b551a8f1f440a56a336c2a1468a5bd",
        ] {
            assert_eq!(
                check_challenge(Some(Dialect(18)), chl, id, answer),
                ChallengeCheck::Valid {
                    product_id: "PROD0120PW!CCV9@"
                }
            );
        }
    }

    #[test]
    fn check_md5_era() {
        let chl = "15570131571988941333";
        let right = "8f2f5a91b72102cd28355e9fc9000d6e";
        let valid = ChallengeCheck::Valid {
            product_id: "msmsgs@msnmsgr.com",
        };
        assert_eq!(
            check_challenge(Some(Dialect(8)), chl, "msmsgs@msnmsgr.com", right),
            valid
        );
        // Upper-case hex and stray whitespace are fine.
        let shouted = right.to_uppercase() + "\r\n";
        assert_eq!(
            check_challenge(Some(Dialect(8)), chl, "msmsgs@msnmsgr.com", &shouted),
            valid
        );
        assert_eq!(
            check_challenge(
                Some(Dialect(8)),
                chl,
                "msmsgs@msnmsgr.com",
                "00000000000000000000000000000000"
            ),
            ChallengeCheck::Invalid
        );
        // The MD5 answer is not accepted under MSNP11.
        assert_eq!(
            check_challenge(Some(Dialect(11)), chl, "msmsgs@msnmsgr.com", right),
            ChallengeCheck::Invalid
        );
        // With no dialect both algorithms are tried.
        assert_eq!(
            check_challenge(None, chl, "msmsgs@msnmsgr.com", right),
            valid
        );
    }

    #[test]
    fn check_msnp11_era() {
        let chl = "22210219642164014968";
        let right = "85ecb0db8f32113df79ce0892b9a102c";
        let valid = ChallengeCheck::Valid {
            product_id: "PROD0090YUAUV{2B",
        };
        assert_eq!(
            check_challenge(Some(Dialect(11)), chl, "PROD0090YUAUV{2B", right),
            valid
        );
        assert_eq!(check_challenge(None, chl, "PROD0090YUAUV{2B", right), valid);
        assert_eq!(
            check_challenge(
                Some(Dialect(11)),
                chl,
                "PROD0090YUAUV{2B",
                "85ecb0db8f32113df79ce0892b9a102d"
            ),
            ChallengeCheck::Invalid
        );
        // Right answer for another challenge.
        assert_eq!(
            check_challenge(
                Some(Dialect(11)),
                "13038318816579321232",
                "PROD0090YUAUV{2B",
                right
            ),
            ChallengeCheck::Invalid
        );
    }

    #[test]
    fn unknown_products() {
        // Listed, but nobody published the key.
        assert_eq!(
            check_challenge(Some(Dialect(11)), "1", "PROD008955JTJ_S7", "abc"),
            ChallengeCheck::UnknownKey
        );
        // Not listed at all, and no known key fits.
        assert_eq!(
            check_challenge(None, "1", "PROD9999XXXXXXXX", "abc"),
            ChallengeCheck::UnknownKey
        );
    }

    #[test]
    fn unlisted_id_matched_by_a_known_key() {
        // An MD5-era answer made with the msmsgs key but sent under an ID we don't list.
        let right = answer_md5("42", MSMSGS_KEY);
        assert_eq!(
            check_challenge(Some(Dialect(9)), "42", "someone@example.com", &right),
            ChallengeCheck::Valid {
                product_id: "msmsgs@msnmsgr.com"
            }
        );
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for chl in ["", "x", "\u{e9}\u{e9}\u{e9}", &"9".repeat(4000)] {
            assert_eq!(answer_msnp11(chl, "", "").len(), 32);
            assert_eq!(answer_md5(chl, "").len(), 32);
        }
    }
}
