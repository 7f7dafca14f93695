//! Money amounts as tills write them: `12.50`, `49,26`, `1.234,56`, `1,234.56`,
//! `1 234,56`, `€ 12,50`, `$12.50`, `12,50 kr`, `SEK 12.50`, `-12.50`, `12.50-`.

/// Which character separates the decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecimalMark {
    Point,
    Comma,
}

/// Currency signs and codes that may stand before or after a number.
const CURRENCIES: [&str; 24] = [
    "€", "$", "£", "¥", "₹", "kr.", "kr", "sek", "nok", "dkk", "eur", "usd", "gbp", "chf", "rp",
    "idr", "fr.", "fr", "zł", "pln", "czk", "kč", ":-", "us$",
];

/// Parses one amount; `None` when it is not a number in this notation.
pub fn parse_amount(text: &str, mark: DecimalMark) -> Option<f64> {
    let t = text.trim();
    // Fast path: a plain number ("12.50", or "12,50" with a decimal comma).
    let decimal_byte = match mark {
        DecimalMark::Point => b'.',
        DecimalMark::Comma => b',',
    };
    if !t.is_empty()
        && t.len() <= 32
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == decimal_byte || b == b'-')
    {
        let mut buf = [0u8; 32];
        buf[..t.len()].copy_from_slice(t.as_bytes());
        if let Some(b) = buf[..t.len()].iter_mut().find(|b| **b == b',') {
            *b = b'.';
        }
        let plain = std::str::from_utf8(&buf[..t.len()]).unwrap_or("");
        if let Ok(v) = plain.parse::<f64>() {
            return Some(v).filter(|v| v.is_finite());
        }
    }
    let mut s = strip_currency(t);
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
        negative = true;
        s = strip_currency(rest);
    } else if let Some(rest) = s.strip_suffix('-') {
        // trailing minus, as some tills write refunds
        negative = true;
        s = strip_currency(rest);
    } else if let Some(rest) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        s = strip_currency(rest);
    } else if let Some(rest) = s.strip_prefix('+') {
        s = strip_currency(rest);
    }
    let (decimal, group) = match mark {
        DecimalMark::Point => ('.', ','),
        DecimalMark::Comma => (',', '.'),
    };
    let (int_part, frac_part) = match s.rfind(decimal) {
        Some(i) => (&s[..i], Some(&s[i + decimal.len_utf8()..])),
        None => (s, None),
    };
    if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
        return None;
    }
    let mut buf = String::with_capacity(s.len() + 1);
    if negative {
        buf.push('-');
    }
    // Thousands groups: separators only between groups of exactly three digits.
    let groups: Vec<&str> = int_part
        .split([group, ' ', '\u{a0}', '\u{202f}', '\''])
        .collect();
    for (i, g) in groups.iter().enumerate() {
        if g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()) {
            // An empty integer part is fine: ".5"
            if !(groups.len() == 1 && g.is_empty()) {
                return None;
            }
        }
        if i > 0 && g.len() != 3 {
            return None;
        }
        buf.push_str(g);
    }
    if let Some(f) = frac_part {
        if !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        buf.push('.');
        buf.push_str(f);
    }
    if buf.is_empty() || buf == "-" || buf == "." || buf == "-." {
        return None;
    }
    buf.parse().ok().filter(|v: &f64| v.is_finite())
}

fn strip_currency(s: &str) -> &str {
    let mut s = s.trim_matches(|c: char| c.is_whitespace());
    loop {
        let before = s;
        for cur in CURRENCIES {
            if s.len() >= cur.len() {
                if s.is_char_boundary(cur.len()) && s[..cur.len()].eq_ignore_ascii_case(cur) {
                    s = s[cur.len()..].trim_start();
                }
                let cut = s.len().saturating_sub(cur.len());
                if s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(cur) {
                    s = s[..cut].trim_end();
                }
            }
        }
        if s == before {
            return s;
        }
    }
}

/// The currency sampled amounts are written in, as they write it (`€`, `$`, `kr`, `SEK`):
/// the sign or code most of the signed values carry. `None` when the values carry none,
/// so a currency is never guessed.
pub fn detect_currency(values: &[&str]) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut signed = 0;
    for v in values {
        let t = v.trim().trim_start_matches(['-', '(', '+', '\u{2212}']);
        let t = t.trim_end_matches([')', '-']).trim();
        let found = CURRENCIES.iter().find_map(|cur| {
            let at_start = t.len() >= cur.len()
                && t.is_char_boundary(cur.len())
                && t[..cur.len()].eq_ignore_ascii_case(cur);
            let cut = t.len().saturating_sub(cur.len());
            let at_end = t.len() >= cur.len()
                && t.is_char_boundary(cut)
                && t[cut..].eq_ignore_ascii_case(cur);
            if at_start {
                Some(t[..cur.len()].to_string())
            } else if at_end {
                Some(t[cut..].to_string())
            } else {
                None
            }
        });
        if let Some(cur) = found {
            signed += 1;
            let shown = match cur.to_ascii_lowercase().as_str() {
                ":-" => "kr".to_string(),
                c if c.len() == 3 && c.is_ascii() => c.to_ascii_uppercase(),
                _ => cur,
            };
            match counts.iter_mut().find(|(c, _)| *c == shown) {
                Some(slot) => slot.1 += 1,
                None => counts.push((shown, 1)),
            }
        }
    }
    // Most values must carry it: a stray "$" in a comment-like cell is not a currency.
    let (cur, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    (n * 2 > signed && signed * 2 >= values.len().max(1)).then_some(cur)
}

/// Decides the decimal mark from sampled values: a separator followed by one or two
/// digits at the end, or the last of two different separators, is a decimal mark.
/// `None` when the sample does not tell (e.g. only whole numbers or `1,234`).
pub fn detect_decimal_mark(values: &[&str]) -> Option<DecimalMark> {
    let (mut comma, mut point) = (0usize, 0usize);
    for v in values {
        let v = strip_currency(v.trim()).trim_end_matches('-');
        let last_sep = v.rfind([',', '.']);
        let Some(i) = last_sep else { continue };
        let digits_after = v[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
        let other_before = v[..i].contains(if v.as_bytes()[i] == b',' { '.' } else { ',' });
        let is_decimal = digits_after != 3 || other_before;
        if is_decimal {
            if v.as_bytes()[i] == b',' {
                comma += 1;
            } else {
                point += 1;
            }
        }
    }
    match (comma, point) {
        (0, 0) => None,
        (c, p) if c > p => Some(DecimalMark::Comma),
        _ => Some(DecimalMark::Point),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecimalMark::*;

    #[test]
    fn parses_point_notation() {
        for (text, want) in [
            ("12.50", 12.5),
            ("-3.2", -3.2),
            ("1,234.56", 1234.56),
            ("$12.50", 12.5),
            ("SEK 12.50", 12.5),
            ("12.50-", -12.5),
            ("(4.00)", -4.0),
            ("0", 0.0),
            (".5", 0.5),
            (" 7 ", 7.0),
        ] {
            assert_eq!(parse_amount(text, Point), Some(want), "{text}");
        }
    }

    #[test]
    fn parses_comma_notation() {
        for (text, want) in [
            ("49,26", 49.26),
            ("1.234,56", 1234.56),
            ("1 234,56", 1234.56),
            ("1\u{a0}234,56", 1234.56),
            ("€ 12,50", 12.5),
            ("12,50 kr", 12.5),
            ("-12,50", -12.5),
            ("12,50-", -12.5),
            ("25:-", 25.0),
        ] {
            assert_eq!(parse_amount(text, Comma), Some(want), "{text}");
        }
    }

    #[test]
    fn rejects_non_numbers() {
        for text in [
            "12,5x", "", "-", "abc", "1,23", "12..5", "1e", "NaN", "inf", "12 34",
        ] {
            assert_eq!(parse_amount(text, Point), None, "{text}");
        }
        assert_eq!(parse_amount("12,5x", Comma), None);
        assert_eq!(parse_amount("1.23", Comma), None);
    }

    #[test]
    fn detects_the_decimal_mark() {
        assert_eq!(detect_decimal_mark(&["49,26", "12,5", "100"]), Some(Comma));
        assert_eq!(detect_decimal_mark(&["49.26", "1,234.50"]), Some(Point));
        assert_eq!(detect_decimal_mark(&["1.234,56"]), Some(Comma));
        assert_eq!(detect_decimal_mark(&["100", "1,234"]), None);
    }

    #[test]
    fn detects_the_currency_only_when_written() {
        assert_eq!(
            detect_currency(&["$1,149.00", "($33.62)", "$5.00"]),
            Some("$".into())
        );
        assert_eq!(
            detect_currency(&["12,50 kr", "1 234,50 kr"]),
            Some("kr".into())
        );
        assert_eq!(
            detect_currency(&["SEK 12.50", "sek 3.00"]),
            Some("SEK".into())
        );
        assert_eq!(detect_currency(&["12.50", "3.00"]), None);
        assert_eq!(detect_currency(&["12.50", "3.00", "$4.00"]), None);
    }
}
