//! What a line is, as tills write it: a sale, a refund, a void; an order that was
//! cancelled; a yes/no flag; a customer id as people mean it.
//!
//! Words are compared without case, spaces, `_` or `-`, in the languages of
//! [`crate::load::names`].

/// The kind of a line, from a line-type column (Square's `Event Type`, Lightspeed's
/// `Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A sale (also any type churn does not know: it keeps the line).
    Sale,
    /// A refund or return: it reduces revenue and is not a visit.
    Refund,
    /// A void or cancel record: excluded as if it never happened.
    Void,
    /// Cash-drawer and bookkeeping records (float, transfer, paid out, ...): not sales.
    NotSale,
}

/// A short word in lower case, without spaces, `_`, `-`, `?` or `.`, on the stack:
/// these are read on every line of an export with a type or status column.
struct Word {
    buf: [u8; 40],
    len: usize,
}

impl Word {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// "Partially_Refunded" → "partiallyrefunded"; a text too long to be a known word
/// gives a word that matches nothing.
fn squash(text: &str) -> Word {
    let mut word = Word {
        buf: [0; 40],
        len: 0,
    };
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if matches!(c, ' ' | '_' | '-' | '?' | '.') {
            continue;
        }
        let mut utf8 = [0u8; 4];
        let bytes = c.encode_utf8(&mut utf8).as_bytes();
        if word.len + bytes.len() > word.buf.len() {
            word.len = 0;
            return word;
        }
        word.buf[word.len..word.len + bytes.len()].copy_from_slice(bytes);
        word.len += bytes.len();
    }
    word
}

const SALE: &[&str] = &[
    "sale",
    "sales",
    "payment",
    "purchase",
    "order",
    "split",
    "recall",
    "normal",
    "debit",
    "charge",
    "kop",
    "köp",
    "forsaljning",
    "försäljning",
    "salg",
    "kjop",
    "kjøp",
    "verkauf",
    "kauf",
    "vente",
    "venta",
    "vendita",
    "verkoop",
    "penjualan",
];

const REFUND: &[&str] = &[
    "refund",
    "refunded",
    "return",
    "returned",
    "returns",
    "creditnote",
    "credit",
    "retur",
    "returnering",
    "återbetalning",
    "aterbetalning",
    "refusion",
    "erstatning",
    "rückgabe",
    "ruckgabe",
    "retoure",
    "gutschrift",
    "erstattung",
    "remboursement",
    "retour",
    "avoir",
    "devolución",
    "devolucion",
    "reembolso",
    "reso",
    "rimborso",
    "terugbetaling",
    "pengembalian",
];

const VOID: &[&str] = &[
    "void",
    "voided",
    "cancel",
    "cancelled",
    "canceled",
    "cancellation",
    "deleted",
    "makulerad",
    "makulering",
    "annullerad",
    "storno",
    "storniert",
    "annulé",
    "annule",
    "annulation",
    "anulado",
    "anulación",
    "anulacion",
    "annullato",
    "geannuleerd",
    "batal",
];

const NOT_SALE: &[&str] = &[
    "float",
    "transfer",
    "transitory",
    "update",
    "crossbl",
    "nosale",
    "paidin",
    "paidout",
    "payout",
    "drawer",
    "opendrawer",
    "tip",
    "gratuity",
    "deposit",
    "cashlift",
    "cashdrop",
];

/// The kind of a line from its type text. Unknown types are sales: churn keeps lines it
/// cannot classify rather than lose them.
pub fn line_kind(text: &str) -> LineKind {
    let word = squash(text);
    let word = word.as_str();
    if word.is_empty() {
        return LineKind::Sale;
    }
    if REFUND.contains(&word) {
        LineKind::Refund
    } else if VOID.contains(&word) {
        LineKind::Void
    } else if NOT_SALE.contains(&word) {
        LineKind::NotSale
    } else {
        LineKind::Sale
    }
}

/// Whether a value is a line type churn knows (to tell a line-type column from, say,
/// a product type).
pub fn is_line_type(text: &str) -> bool {
    let word = squash(text);
    [SALE, REFUND, VOID, NOT_SALE]
        .iter()
        .any(|list| list.contains(&word.as_str()))
        && !word.as_str().is_empty()
}

/// Order statuses (Shopify's financial statuses, and the like).
const STATUSES: &[&str] = &[
    "paid",
    "pending",
    "authorized",
    "authorised",
    "partiallypaid",
    "partiallyrefunded",
    "refunded",
    "voided",
    "void",
    "cancelled",
    "canceled",
    "expired",
    "completed",
    "complete",
    "open",
    "closed",
    "unpaid",
    "failed",
    "declined",
    "betald",
    "bezahlt",
    "payé",
    "paye",
    "pagado",
    "pagato",
    "betaald",
];

/// Whether a value is an order status churn knows.
pub fn is_status(text: &str) -> bool {
    STATUSES.contains(&squash(text).as_str())
}

/// An order status that means the order never happened: voided or cancelled.
pub fn status_cancels(text: &str) -> bool {
    matches!(
        squash(text).as_str(),
        "voided" | "void" | "cancelled" | "canceled" | "declined" | "failed"
    )
}

/// A yes/no value: `true`, `Yes`, `1`, `x`, `ja`, ... ; `None` when it is neither.
pub fn flag(text: &str) -> Option<bool> {
    if text.len() > 40 {
        return None;
    }
    match squash(text).as_str() {
        "true" | "yes" | "y" | "1" | "x" | "ja" | "j" | "sant" | "wahr" | "vrai" | "oui" | "si"
        | "sí" | "sì" | "waar" | "ya" | "t" => Some(true),
        "false" | "no" | "n" | "0" | "" | "nej" | "nein" | "falsk" | "falskt" | "falsch"
        | "faux" | "non" | "onwaar" | "nee" | "tidak" | "f" => Some(false),
        _ => None,
    }
}

/// A cancelled-at value: filled with a date (or a yes) means cancelled.
pub fn cancelled(text: &str) -> bool {
    flag(text) != Some(false)
}

/// A customer id as people mean it: spaces trimmed; `17850.0` (a spreadsheet turned
/// the id into a number) is `17850`; an e-mail address compared without case. Leading
/// zeros stay: `0042` and `42` are different cards. Borrows when nothing changes.
#[inline]
pub fn customer_id<'a>(raw: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    let id = raw.trim_ascii();
    // Most ids have neither a '.' nor an '@': nothing to change.
    if !id.iter().any(|&b| b == b'.' || b == b'@') {
        return id;
    }
    unusual_id(id, buf)
}

fn unusual_id<'a>(id: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    if let Some(dot) = id.iter().position(|&b| b == b'.') {
        let (int, frac) = (&id[..dot], &id[dot + 1..]);
        if !int.is_empty()
            && !frac.is_empty()
            && int.iter().all(u8::is_ascii_digit)
            && frac.iter().all(|&b| b == b'0')
        {
            return int;
        }
    }
    if id.contains(&b'@') && id.iter().any(|b| !b.is_ascii_lowercase()) {
        buf.clear();
        match std::str::from_utf8(id) {
            Ok(text) => buf.extend_from_slice(text.to_lowercase().as_bytes()),
            Err(_) => buf.extend(id.iter().map(u8::to_ascii_lowercase)),
        }
        return buf;
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_kinds() {
        assert_eq!(line_kind("Refund"), LineKind::Refund);
        assert_eq!(line_kind("RETURN"), LineKind::Refund);
        assert_eq!(line_kind("Retur"), LineKind::Refund);
        assert_eq!(line_kind("Void"), LineKind::Void);
        assert_eq!(line_kind("Payment"), LineKind::Sale);
        assert_eq!(line_kind("Float"), LineKind::NotSale);
        assert_eq!(line_kind("Paid Out"), LineKind::NotSale);
        assert_eq!(line_kind("Something else"), LineKind::Sale);
        assert!(is_line_type("sale") && !is_line_type("T-shirt"));
    }

    #[test]
    fn statuses_and_flags() {
        assert!(status_cancels("voided") && !status_cancels("partially_refunded"));
        assert!(is_status("Partially_Refunded") && !is_status("shipped later"));
        assert_eq!(flag("TRUE"), Some(true));
        assert_eq!(flag(""), Some(false));
        assert_eq!(flag("maybe"), None);
        assert!(cancelled("2025-10-08 10:00:00 +0200"));
        assert!(!cancelled("") && !cancelled("false"));
    }

    #[test]
    fn customer_ids_as_people_mean_them() {
        let mut buf = Vec::new();
        let mut id = |raw: &str| String::from_utf8(customer_id(raw.as_bytes(), &mut buf).to_vec());
        assert_eq!(id("17850.0").unwrap(), "17850");
        assert_eq!(id(" 0042 ").unwrap(), "0042");
        assert_eq!(id("17850.5").unwrap(), "17850.5");
        assert_eq!(id("Anna@Example.COM").unwrap(), "anna@example.com");
        assert_eq!(id("C000017").unwrap(), "C000017");
        assert_eq!(id("1.0.0").unwrap(), "1.0.0");
    }
}
