//! Which column is which: the roles churn understands, the user's explicit mapping
//! (flags and `[columns]`), and the resulting map. Purchases are mapped by names and
//! content in [`super::pick`]; feedback files by names alone ([`map_columns`]).

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::names;

/// A column churn understands, with the flag that maps it explicitly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Customer,
    Date,
    Amount,
    Store,
    Employee,
    Category,
    /// Items on the line; the amount is quantity × unit price when there is no total.
    Quantity,
    /// Unit price.
    Price,
    /// Discount on the line, subtracted from quantity × price or from a gross total.
    Discount,
    /// Order, receipt or invoice number: lines of one order share it.
    Order,
    /// Kind of line: sale, refund, void, ... (Square's `Event Type`, Lightspeed's `Type`).
    LineType,
    /// True when the line was voided (Toast's `Void?`).
    Void,
    /// Order status (Shopify's `Financial Status`): a voided order never happened.
    Status,
    /// When the order was cancelled; filled means cancelled (Shopify's `Cancelled at`).
    Cancelled,
    /// Amount refunded on the order, written once per order (Shopify's `Refunded Amount`).
    Refunded,
    /// Time of day, when it has a column of its own (the date column gives the day).
    Time,
    /// Feedback: why the customer left or complained (a code or a short text).
    Reason,
    /// Feedback: free text.
    Comment,
    /// Feedback: the quality the customer expected (a rating such as 1–5).
    Expected,
    /// Feedback: the quality they perceived (same scale).
    Perceived,
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Role {
    /// The main columns of a purchases file, in the order they are shown.
    pub const PURCHASE: [Role; 6] = [
        Role::Customer,
        Role::Date,
        Role::Amount,
        Role::Store,
        Role::Employee,
        Role::Category,
    ];

    /// The other columns of a purchases file: how a line's amount is made and what the
    /// line is. Opening a table with [`Role::PURCHASE`] maps these too.
    pub const LINE: [Role; 10] = [
        Role::Quantity,
        Role::Price,
        Role::Discount,
        Role::Order,
        Role::LineType,
        Role::Void,
        Role::Status,
        Role::Cancelled,
        Role::Refunded,
        Role::Time,
    ];

    /// The columns of a feedback file.
    pub const FEEDBACK: [Role; 6] = [
        Role::Customer,
        Role::Date,
        Role::Reason,
        Role::Comment,
        Role::Expected,
        Role::Perceived,
    ];

    /// The name used in messages and in the `[columns]` table of the config file.
    pub fn name(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Date => "date",
            Role::Amount => "amount",
            Role::Store => "store",
            Role::Employee => "employee",
            Role::Category => "category",
            Role::Quantity => "quantity",
            Role::Price => "price",
            Role::Discount => "discount",
            Role::Order => "order",
            Role::LineType => "type",
            Role::Void => "void",
            Role::Status => "status",
            Role::Cancelled => "cancelled",
            Role::Refunded => "refunded",
            Role::Time => "time",
            Role::Reason => "reason",
            Role::Comment => "comment",
            Role::Expected => "expected",
            Role::Perceived => "perceived",
        }
    }

    /// The flag that names this column explicitly, in a purchases or a feedback file.
    pub fn flag(self, feedback: bool) -> &'static str {
        match (self, feedback) {
            (Role::Customer, true) => "--feedback-customer-col",
            (Role::Date, true) => "--feedback-date-col",
            (Role::Customer, false) => "--customer-col",
            (Role::Date, false) => "--date-col",
            (Role::Amount, _) => "--amount-col",
            (Role::Store, _) => "--store-col",
            (Role::Employee, _) => "--employee-col",
            (Role::Category, _) => "--category-col",
            (Role::Quantity, _) => "--quantity-col",
            (Role::Price, _) => "--price-col",
            (Role::Discount, _) => "--discount-col",
            (Role::Order, _) => "--order-col",
            (Role::LineType, _) => "--type-col",
            (Role::Void, _) => "--void-col",
            (Role::Status, _) => "--status-col",
            (Role::Cancelled, _) => "--cancelled-col",
            (Role::Refunded, _) => "--refunded-col",
            (Role::Time, _) => "--time-col",
            (Role::Reason, _) => "--reason-col",
            (Role::Comment, _) => "--comment-col",
            (Role::Expected, _) => "--expected-col",
            (Role::Perceived, _) => "--perceived-col",
        }
    }

    /// The roles churn's analysis is built on. A purchases file needs only the customer
    /// and the date: without an amount it is a visit log, which loads and says it has no
    /// amounts (see [`super::pick`]).
    pub fn required(self) -> bool {
        matches!(self, Role::Customer | Role::Date | Role::Amount)
    }
}

/// Headers are compared without case, accents, punctuation or extra spaces, so
/// "Köpdatum", "KOPDATUM" and "kop_datum " all mean the same; words run together in
/// camel case are split, so "CustomerID" and "InvoiceDate" read as "customer id" and
/// "invoice date".
pub fn normalize_header(header: &str) -> String {
    let chars: Vec<char> = header.trim().chars().collect();
    let mut out = String::with_capacity(header.len());
    let mut space = false;
    for (i, &c) in chars.iter().enumerate() {
        // A word boundary inside a run of letters: "eD" in "InvoiceDate", or "Dn" in
        // "IDNumber" (an upper-case letter that starts a capitalised word).
        if i > 0 && c.is_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || (prev.is_uppercase() && next_lower) {
                space = true;
            }
        }
        for c in c.to_lowercase() {
            let c = fold_accent(c);
            if c.is_alphanumeric() {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            } else {
                space = true;
            }
        }
    }
    out
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ß' => 's',
        _ => c,
    }
}

/// Explicit column names, from flags or the `[columns]` table of the config file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnNames {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub line_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub void: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perceived: Option<String>,
}

impl ColumnNames {
    fn slot(&self, role: Role) -> &Option<String> {
        match role {
            Role::Customer => &self.customer,
            Role::Date => &self.date,
            Role::Amount => &self.amount,
            Role::Store => &self.store,
            Role::Employee => &self.employee,
            Role::Category => &self.category,
            Role::Quantity => &self.quantity,
            Role::Price => &self.price,
            Role::Discount => &self.discount,
            Role::Order => &self.order,
            Role::LineType => &self.line_type,
            Role::Void => &self.void,
            Role::Status => &self.status,
            Role::Cancelled => &self.cancelled,
            Role::Refunded => &self.refunded,
            Role::Time => &self.time,
            Role::Reason => &self.reason,
            Role::Comment => &self.comment,
            Role::Expected => &self.expected,
            Role::Perceived => &self.perceived,
        }
    }

    fn slot_mut(&mut self, role: Role) -> &mut Option<String> {
        match role {
            Role::Customer => &mut self.customer,
            Role::Date => &mut self.date,
            Role::Amount => &mut self.amount,
            Role::Store => &mut self.store,
            Role::Employee => &mut self.employee,
            Role::Category => &mut self.category,
            Role::Quantity => &mut self.quantity,
            Role::Price => &mut self.price,
            Role::Discount => &mut self.discount,
            Role::Order => &mut self.order,
            Role::LineType => &mut self.line_type,
            Role::Void => &mut self.void,
            Role::Status => &mut self.status,
            Role::Cancelled => &mut self.cancelled,
            Role::Refunded => &mut self.refunded,
            Role::Time => &mut self.time,
            Role::Reason => &mut self.reason,
            Role::Comment => &mut self.comment,
            Role::Expected => &mut self.expected,
            Role::Perceived => &mut self.perceived,
        }
    }

    pub fn get(&self, role: Role) -> Option<&str> {
        self.slot(role).as_deref()
    }

    /// Names `role`'s column.
    pub fn set(&mut self, role: Role, name: impl Into<String>) {
        *self.slot_mut(role) = Some(name.into());
    }

    /// Values set here win over `base`.
    pub fn or(mut self, base: &ColumnNames) -> ColumnNames {
        for role in Role::PURCHASE
            .iter()
            .chain(&Role::LINE)
            .chain(&Role::FEEDBACK)
        {
            let slot = self.slot_mut(*role);
            if slot.is_none() {
                slot.clone_from(base.slot(*role));
            }
        }
        self
    }
}

/// How a column came to have its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Named with a flag or in `[columns]`.
    Explicit,
    /// Its header is a name churn knows for the role (and its values fit).
    Name,
}

/// One mapped column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pick {
    pub role: Role,
    /// 0-based field index.
    pub index: usize,
    /// The header as written in the file.
    pub header: String,
    pub why: Why,
}

/// A column whose name fits a role but that was not taken for it, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PassedOver {
    pub role: Role,
    pub header: String,
    pub reason: String,
}

/// Where each role's column is in the file and what it is called, with the columns
/// that were considered and passed over.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnMap {
    pub(crate) picks: Vec<Pick>,
    pub passed_over: Vec<PassedOver>,
    /// Whether the discount column is subtracted from the amount: yes when the amount is
    /// quantity × unit price or a gross total, no when the total is already net.
    pub subtract_discount: bool,
}

impl ColumnMap {
    pub fn index(&self, role: Role) -> Option<usize> {
        self.pick(role).map(|p| p.index)
    }

    /// The header of a mapped column, as written in the file.
    pub fn header(&self, role: Role) -> Option<&str> {
        self.pick(role).map(|p| p.header.as_str())
    }

    pub fn pick(&self, role: Role) -> Option<&Pick> {
        self.picks.iter().find(|p| p.role == role)
    }

    /// Every mapped column, in role order.
    pub fn picks(&self) -> impl Iterator<Item = &Pick> {
        let mut sorted: Vec<&Pick> = self.picks.iter().collect();
        sorted.sort_by_key(|p| p.role);
        sorted.into_iter()
    }
}

/// The index of the column an explicit name means (exactly as written, or the same
/// after [`normalize_header`]); an error naming the flag when there is none.
pub(crate) fn explicit_index(
    file: &str,
    headers: &[String],
    role: Role,
    name: &str,
    feedback: bool,
) -> Result<usize> {
    // `date#2`: the second column called `date`, for a header that repeats a name.
    if let Some((base, n)) = name.rsplit_once('#') {
        if let Ok(n) = n.trim().parse::<usize>() {
            let found = headers
                .iter()
                .enumerate()
                .filter(|(_, h)| h.trim().eq_ignore_ascii_case(base.trim()))
                .nth(n.saturating_sub(1));
            if let (Some((i, _)), true) = (found, n > 0) {
                return Ok(i);
            }
        }
    }
    let want = normalize_header(name);
    match headers
        .iter()
        .position(|h| h == name)
        .or_else(|| headers.iter().position(|h| normalize_header(h) == want))
    {
        Some(i) => Ok(i),
        None => bail!(
            "{file}: {} names column \"{name}\", but the header has no such column; columns found: {}",
            role.flag(feedback),
            list_headers(headers)
        ),
    }
}

/// A column picked by a name that the header repeats is an error naming them: churn
/// cannot know which is meant. An explicit `NAME#N` (the N-th column called NAME) picks
/// one.
pub(crate) fn check_repeated(
    file: &str,
    headers: &[String],
    map: &ColumnMap,
    explicit: &ColumnNames,
    feedback: bool,
) -> Result<()> {
    for pick in &map.picks {
        let name = headers[pick.index].trim();
        let same: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.trim().eq_ignore_ascii_case(name))
            .map(|(i, _)| i + 1)
            .collect();
        let by_position = explicit.get(pick.role).is_some_and(|e| {
            e.rsplit_once('#')
                .is_some_and(|(_, n)| n.trim().parse::<usize>().is_ok())
        });
        if same.len() > 1 && !by_position {
            let positions: Vec<String> = same.iter().map(usize::to_string).collect();
            bail!(
                "{file}: the header has {} columns called \"{name}\" (columns {}), and churn \
                 cannot tell which is the {}; rename one, or pick one with {} \"{name}#2\" (the \
                 second)",
                same.len(),
                positions.join(", "),
                pick.role.name(),
                pick.role.flag(feedback)
            );
        }
    }
    Ok(())
}

/// Maps `roles` to the columns of `headers` by name alone (feedback files). An explicit
/// name must exist; otherwise the best-ranked name wins. A missing required column is
/// an error that lists the columns found and the flags that map them.
pub fn map_columns(
    file: &str,
    headers: &[String],
    roles: &[Role],
    explicit: &ColumnNames,
) -> Result<ColumnMap> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    // Which flags to name in messages.
    let feedback = roles == Role::FEEDBACK.as_slice();
    let mut map = ColumnMap::default();
    let mut missing = Vec::new();
    for &role in roles {
        let taken = |i: usize| map.picks.iter().any(|p| p.index == i);
        let found = match explicit.get(role) {
            Some(name) => Some((
                explicit_index(file, headers, role, name, feedback)?,
                Why::Explicit,
            )),
            None => normalized
                .iter()
                .enumerate()
                .filter(|(i, _)| !taken(*i))
                .filter_map(|(i, h)| names::rank(role, h).map(|r| (r, i)))
                .min()
                .map(|(_, i)| (i, Why::Name)),
        };
        match found {
            Some((index, why)) => map.picks.push(Pick {
                role,
                index,
                header: headers[index].clone(),
                why,
            }),
            None if role.required() => missing.push(role),
            None => {}
        }
    }
    if !missing.is_empty() {
        bail!("{}", missing_message(file, headers, &missing, feedback));
    }
    Ok(map)
}

/// "cannot find the customer, date columns; columns found: ...; map them with ...".
pub(crate) fn missing_message(
    file: &str,
    headers: &[String],
    missing: &[Role],
    feedback: bool,
) -> String {
    let what: Vec<String> = missing
        .iter()
        .map(|r| format!("{} NAME", r.flag(feedback)))
        .collect();
    format!(
        "{file}: cannot find the {} column{}; columns found: {}. Map {} with {}",
        missing
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", "),
        if missing.len() > 1 { "s" } else { "" },
        list_headers(headers),
        if missing.len() > 1 { "them" } else { "it" },
        what.join(", ")
    )
}

pub(crate) fn list_headers(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalizes_headers() {
        assert_eq!(normalize_header(" Köp_Datum "), "kop datum");
        assert_eq!(normalize_header("Customer-ID"), "customer id");
        assert_eq!(normalize_header("Bel\u{f8}b"), "bel\u{f8}b");
        assert_eq!(normalize_header("CustomerID"), "customer id");
        assert_eq!(normalize_header("InvoiceDate"), "invoice date");
        assert_eq!(normalize_header("UnitPrice"), "unit price");
        assert_eq!(normalize_header("IDNumber"), "id number");
        assert_eq!(normalize_header("Void?"), "void");
        assert_eq!(normalize_header("À-pris"), "a pris");
        assert_eq!(normalize_header("SKU"), "sku");
    }

    #[test]
    fn maps_feedback_headers() {
        let m = map_columns(
            "f",
            &strings(&["Kundnummer", "Datum", "Orsak", "Kommentar"]),
            &Role::FEEDBACK,
            &ColumnNames::default(),
        )
        .unwrap();
        assert_eq!(m.index(Role::Customer), Some(0));
        assert_eq!(m.index(Role::Date), Some(1));
        assert_eq!(m.index(Role::Reason), Some(2));
        assert_eq!(m.index(Role::Comment), Some(3));
    }

    #[test]
    fn explicit_names_win_and_must_exist() {
        let explicit = ColumnNames {
            comment: Some("text2".into()),
            ..Default::default()
        };
        let m = map_columns(
            "f",
            &strings(&["customer", "date", "comment", "text2"]),
            &Role::FEEDBACK,
            &explicit,
        )
        .unwrap();
        assert_eq!(m.index(Role::Comment), Some(3));

        let explicit = ColumnNames {
            reason: Some("why".into()),
            ..Default::default()
        };
        let err = map_columns(
            "f.csv",
            &strings(&["customer", "date"]),
            &Role::FEEDBACK,
            &explicit,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--reason-col names column \"why\""), "{err}");
    }

    #[test]
    fn missing_columns_list_what_was_found_and_the_flags() {
        let err = map_columns(
            "p.csv",
            &strings(&["who", "when", "comment"]),
            &Role::FEEDBACK,
            &ColumnNames::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "p.csv: cannot find the customer, date columns; columns found: \"who\", \"when\", \"comment\". Map them with --feedback-customer-col NAME, --feedback-date-col NAME"
        );
    }

    #[test]
    fn config_names_every_role() {
        let c: ColumnNames =
            toml::from_str("customer = \"Email\"\ntype = \"Event Type\"\nquantity = \"Qty\"\n")
                .unwrap();
        assert_eq!(c.get(Role::LineType), Some("Event Type"));
        let merged = ColumnNames {
            quantity: Some("Antal".into()),
            ..Default::default()
        }
        .or(&c);
        assert_eq!(merged.get(Role::Quantity), Some("Antal"));
        assert_eq!(merged.get(Role::Customer), Some("Email"));
    }
}
