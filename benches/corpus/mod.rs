//! Deterministic source-like text with planted tokens, shared by the benchmarks.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// Xorshift64: deterministic and good enough to vary the text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const IDENTS: &[&str] = &[
    "user",
    "request",
    "handler",
    "config",
    "keyJar",
    "heyJude",
    "response",
    "session",
    "claims",
    "value",
    "buffer",
    "index",
    "payload",
    "count",
    "expires_at",
    "retryAfter",
];

/// About `len` bytes of code-like lines. With `tokens`, it also holds one token every
/// `token_every` bytes and `eyJ` false starts; without, it holds no `eyJ` at all.
/// Returns the text and how many tokens it holds.
pub fn corpus(len: usize, token_every: usize, tokens: bool) -> (Vec<u8>, usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut text = Vec::with_capacity(len + 4096);
    let mut planted = 0;
    let mut next_token = token_every;
    while text.len() < len {
        if tokens && text.len() >= next_token {
            text.extend_from_slice(token_line(&mut rng, planted).as_bytes());
            planted += 1;
            next_token += token_every;
            continue;
        }
        let line = code_line(&mut rng);
        let line = if tokens {
            line
        } else {
            line.replace("eyJ", "eyj")
        };
        text.extend_from_slice(line.as_bytes());
    }
    if !tokens {
        assert!(!text.windows(3).any(|w| w == b"eyJ"));
    }
    (text, planted)
}

fn code_line(rng: &mut Rng) -> String {
    let (a, b, c) = (rng.pick(IDENTS), rng.pick(IDENTS), rng.pick(IDENTS));
    let n = rng.below(10_000);
    match rng.below(16) {
        0..=1 => format!("    let {a} = {b}.{c}({n});\n"),
        2..=3 => format!("    const {a} = \"{b} {c} expired after {n} ms\";\n"),
        4 => format!("def {a}_{b}(self, {c}):\n"),
        5..=6 => format!("        return self.{a}[{n}] + {b}\n"),
        7..=8 => format!("    // Keep {a} in sync with {b} until {c} lands ({n}).\n"),
        9 => format!("fn {a}_{b}(&self, {c}: &str) -> Result<u32, Error> {{\n"),
        10..=11 => format!("    if ({a}.{b} === undefined) {{ throw new Error('{c}'); }}\n"),
        12..=13 => {
            let bytes: Vec<u8> = (0..48 + rng.below(100)).map(|_| rng.next() as u8).collect();
            format!("    blob = \"{}\"\n", STANDARD.encode(bytes))
        }
        14 => "    }\n".to_owned(),
        // False starts: `eyJ` alone, a header with no dots, two segments, a non-JOSE header.
        _ => match rng.below(4) {
            0 => format!("    assert!({a}.starts_with(\"eyJ\"));\n"),
            1 => "    header = \"eyJhbGciOiJIUzI1NiJ9\"  # no payload yet\n".to_owned(),
            2 => format!(
                "    half = \"eyJhbGciOiJIUzI1NiJ9.{}\"\n",
                b64(format!("{{\"n\":{n}}}"))
            ),
            _ => format!("    x = 'eyJ0eXAiOiJKV1QifQ.{}.sig';\n", b64(a)),
        },
    }
}

fn token_line(rng: &mut Rng, i: usize) -> String {
    let claims = format!(
        r#"{{"sub":"user-{i}","iat":{},"exp":{},"scope":"read write"}}"#,
        1_700_000_000 + rng.below(1_000_000),
        1_800_000_000 + rng.below(1_000_000),
    );
    let token = match i % 3 {
        0 => format!(
            "{}.{}.{}",
            b64(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64(&claims),
            b64("32 bytes of HMAC-SHA256 output!!")
        ),
        1 => format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":"2024-05"}"#),
            b64(&claims),
            b64([0x5a; 256])
        ),
        _ => format!(
            "{}..{}.{}.{}",
            b64(r#"{"alg":"dir","enc":"A256GCM"}"#),
            b64("12-byte IV.."),
            b64(&claims),
            b64("16-byte GCM tag.")
        ),
    };
    format!("    const token = \"{token}\";\n")
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
