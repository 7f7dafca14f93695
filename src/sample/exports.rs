//! Small exports in the layouts of real tills and shops, each with its quirks and its
//! per-customer truth (visits, net revenue), to prove that churn reads them with no
//! flags. `churn sample --layout NAME` writes one; `testdata/exports/` holds them all.
//!
//! Where each layout comes from:
//! - Shopify orders: the columns of Shopify admin's "Export orders" CSV (Shopify Help
//!   Center, "Exporting orders"; the same header is in many public importers' test
//!   fixtures): one row per line item, the order's own fields (Email, Financial Status,
//!   Created at, Cancelled at, Refunded Amount, ...) on its first row only, `Name`
//!   (`#1001`) on every row; `Created at` with the shop's UTC offset.
//! - Square item sales: Square Dashboard's "Item Sales" export (Date, Time, Time Zone,
//!   ..., Gross Sales, Discounts, Net Sales, ..., Event Type, Location, Customer ID):
//!   money as `$1,149.00` and negatives as `($33.62)`, refunds as `Refund` events.
//! - Toast item selections: ItemSelectionDetails.csv of Toast's data exports ("Data
//!   export field reference", Toast platform guide): `Order Date` as `10/8/25 5:18 PM`,
//!   `Void?`, `Server`, `Sales Category`, `Net Price` a line total, `Tab Name`.
//! - Lightspeed Restaurant (K-Series) transactions: the back office's Transactions
//!   report (transaction ID, date, account, employee, device, SKU, quantity, amount)
//!   with its types (Lightspeed K-Series support, "Transactions"; the Financial API's
//!   "Transaction Types": VOID is "a sale that voids another sale", FLOAT a cash lift).
//! - UCI Online Retail: the UCI Machine Learning Repository's "Online Retail" data set
//!   (Chen, Sahar and Guo 2012), as commonly re-exported to CSV: CustomerID as
//!   `17850.0`, `InvoiceDate` as `12/1/10 8:26`, cancellations as `C`-invoices with a
//!   negative quantity, walk-in sales without a CustomerID.
//! - Loyalty-card dump: dunnhumby's "The Complete Journey" transactions joined with
//!   product departments, as in the `completejourney` R package.
//! - Swedish till: the layout, as Swedish back offices write it: Windows-1252,
//!   `;`, CRLF, decimal commas with spaces between thousands, `Kundnummer`, `Datum` +
//!   `Tid`, `Antal` × `À-pris` less `Rabatt` = `Summa`.
//! - Excel: a back office's sales-lines workbook (as Zettle and many back offices
//!   export to .xlsx): date and time cells, member numbers as number cells, a summary
//!   sheet after the data.
//!
//! Each generator is driven by its own `ChaCha8Rng` seed, so the bytes never change.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The export layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Shopify,
    Square,
    Toast,
    Lightspeed,
    OnlineRetail,
    LoyaltyCard,
    SwedishTill,
    Excel,
}

impl Layout {
    pub const ALL: [Layout; 8] = [
        Layout::Shopify,
        Layout::Square,
        Layout::Toast,
        Layout::Lightspeed,
        Layout::OnlineRetail,
        Layout::LoyaltyCard,
        Layout::SwedishTill,
        Layout::Excel,
    ];

    /// The name `--layout` takes.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Shopify => "shopify",
            Layout::Square => "square",
            Layout::Toast => "toast",
            Layout::Lightspeed => "lightspeed",
            Layout::OnlineRetail => "online-retail",
            Layout::LoyaltyCard => "loyalty-card",
            Layout::SwedishTill => "swedish-till",
            Layout::Excel => "excel",
        }
    }

    pub fn from_name(name: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.name() == name)
    }

    /// The export's file name, as the system would name it.
    pub fn file_name(self) -> &'static str {
        match self {
            Layout::Shopify => "shopify-orders.csv",
            Layout::Square => "square-items.csv",
            Layout::Toast => "ItemSelectionDetails.csv",
            Layout::Lightspeed => "lightspeed-transactions.csv",
            Layout::OnlineRetail => "online-retail.csv",
            Layout::LoyaltyCard => "loyalty-transactions.csv",
            Layout::SwedishTill => "kassa-export.csv",
            Layout::Excel => "backoffice-sales.xlsx",
        }
    }

    /// The truth file's name.
    pub fn truth_name(self) -> String {
        format!("{}.truth.csv", self.name())
    }
}

/// What churn should find for one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerTruth {
    /// As churn shows it (trimmed, `17850` for `17850.0`, e-mails in lower case).
    pub customer_id: String,
    /// Days with at least one kept line that is not a refund.
    pub visits: u32,
    /// Net revenue in cents: kept lines, less refunds.
    pub revenue_cents: i64,
}

/// An export and its truth.
pub struct Export {
    pub layout: Layout,
    pub bytes: Vec<u8>,
    pub truth: Vec<CustomerTruth>,
}

/// Generates the export of `layout`.
pub fn export(layout: Layout) -> anyhow::Result<Export> {
    let mut ledger = Ledger::default();
    let bytes = match layout {
        Layout::Shopify => shopify(&mut ledger),
        Layout::Square => square(&mut ledger),
        Layout::Toast => toast(&mut ledger),
        Layout::Lightspeed => lightspeed(&mut ledger),
        Layout::OnlineRetail => online_retail(&mut ledger),
        Layout::LoyaltyCard => loyalty_card(&mut ledger),
        Layout::SwedishTill => swedish_till(&mut ledger),
        Layout::Excel => {
            excel(&mut ledger).map_err(|e| anyhow::anyhow!("cannot write the Excel sample: {e}"))?
        }
    };
    Ok(Export {
        layout,
        bytes,
        truth: ledger.truth(),
    })
}

/// Writes the truth as CSV: `customer_id,visits,revenue` (revenue with two decimals).
pub fn write_truth<W: Write>(truth: &[CustomerTruth], w: W) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["customer_id", "visits", "revenue"])?;
    for t in truth {
        out.write_record([
            t.customer_id.clone(),
            t.visits.to_string(),
            money(t.revenue_cents, '.', ""),
        ])?;
    }
    out.flush()
}

/// Per customer: the days with a line that is not a refund, and the net of all lines.
/// This is the definition churn's history uses (README, "visits"), applied to the
/// lines as the till meant them, independently of how churn reads the file.
#[derive(Default)]
struct Ledger(BTreeMap<String, (BTreeSet<NaiveDate>, i64)>);

impl Ledger {
    /// A kept line: a sale (or a zero line) makes its day a visit; every line counts.
    fn line(&mut self, customer: &str, day: NaiveDate, cents: i64) {
        let entry = self.0.entry(customer.to_string()).or_default();
        if cents >= 0 {
            entry.0.insert(day);
        }
        entry.1 += cents;
    }

    /// Customers with at least one visit (churn lists no one else).
    fn truth(&self) -> Vec<CustomerTruth> {
        self.0
            .iter()
            .filter(|(_, (days, _))| !days.is_empty())
            .map(|(id, (days, cents))| CustomerTruth {
                customer_id: id.clone(),
                visits: days.len() as u32,
                revenue_cents: *cents,
            })
            .collect()
    }
}

/// Cents as `-1234.50` (with `mark` for the decimal point and `group` between
/// thousands).
fn money(cents: i64, mark: char, group: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{mark}{:02}", abs % 100)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Visit times of `customers` card holders and `walk_ins` anonymous visits over
/// `days` days from `start`, in time order: (customer index or `None`, local time).
fn schedule(
    rng: &mut ChaCha8Rng,
    customers: usize,
    visits: std::ops::RangeInclusive<usize>,
    walk_ins: usize,
    start: NaiveDate,
    days: i64,
    hours: std::ops::Range<u32>,
) -> Vec<(Option<usize>, NaiveDateTime)> {
    let mut out = Vec::new();
    let at = |rng: &mut ChaCha8Rng| {
        let day = start + Duration::days(rng.random_range(0..days));
        day.and_hms_opt(
            rng.random_range(hours.clone()),
            rng.random_range(0..60),
            rng.random_range(0..60),
        )
        .unwrap_or_default()
    };
    for c in 0..customers {
        for _ in 0..rng.random_range(visits.clone()) {
            out.push((Some(c), at(rng)));
        }
    }
    for _ in 0..walk_ins {
        out.push((None, at(rng)));
    }
    out.sort_by_key(|(c, t)| (*t, *c));
    out
}

/// `10/8/25 5:18 PM`
fn us_time(t: NaiveDateTime) -> String {
    let (pm, hour) = t.hour12();
    format!(
        "{}/{}/{:02} {}:{:02} {}",
        t.month(),
        t.day(),
        t.year() % 100,
        hour,
        t.minute(),
        if pm { "PM" } else { "AM" }
    )
}

fn csv_bytes(rows: &[Vec<String>], delimiter: u8, crlf: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(row);
    }
    w.into_inner().unwrap_or_default()
}

fn strings(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| f.to_string()).collect()
}

// ---------------------------------------------------------------------------------
// Shopify

const SHOPIFY_HEADER: [&str; 64] = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Phone",
    "Receipt Number",
];

/// A Swedish shop's online store: orders in SEK, `Created at` with the shop's offset
/// (+0200 in summer time, +0100 from 26 October), some just after midnight, so the
/// UTC day is not the shop's day.
fn shopify(ledger: &mut Ledger) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(101);
    let products: [(&str, &str, i64); 6] = [
        ("Linen Tea Towel", "TT-LIN", 14900),
        ("Stoneware Mug", "MUG-STN", 22900),
        ("Wool Throw", "THR-WOL", 89900),
        ("Beeswax Candle", "CND-BEE", 12900),
        ("Oak Cutting Board", "BRD-OAK", 54900),
        ("Gift Wrap", "GFT-WRP", 2900),
    ];
    let people = [
        ("Anna Berg", "Anna.Berg@Example.com"),
        ("Erik Lund", "erik.lund@example.se"),
        ("Maja Ek", "maja.ek@example.com"),
        ("Olof Sand", "OLOF.SAND@example.org"),
        ("Sara Nyström", "sara.nystrom@example.com"),
        ("Jonas Holm", "jonas@holm.example"),
        ("Lina Dahl", "lina.dahl@example.se"),
        ("Karl Wik", "karl.wik@example.com"),
    ];
    let visits = schedule(
        &mut rng,
        people.len(),
        2..=5,
        3,
        date(2025, 9, 1),
        90,
        0..24,
    );
    let mut rows = vec![strings(&SHOPIFY_HEADER)];
    for (k, (who, created)) in visits.into_iter().enumerate() {
        let number = 1001 + k;
        let offset = if created.date() < date(2025, 10, 26) {
            "+0200"
        } else {
            "+0100"
        };
        let stamp = format!("{} {offset}", created.format("%Y-%m-%d %H:%M:%S"));
        let n_lines = rng.random_range(1..=3);
        let mut lines = Vec::new();
        for _ in 0..n_lines {
            let (name, sku, price) = products[rng.random_range(0..products.len())];
            let qty: i64 = rng.random_range(1..=2);
            let discount = if rng.random_bool(0.2) {
                qty * price / 10
            } else {
                0
            };
            lines.push((name, sku, price, qty, discount));
        }
        let lines_total: i64 = lines.iter().map(|l| l.2 * l.3 - l.4).sum();
        let shipping = if lines_total >= 50000 { 0 } else { 4900 };
        // Swedish VAT is inside the price; Shopify reports it apart.
        let taxes = lines_total / 5;
        let total = lines_total + shipping;
        // What happened to the order afterwards.
        let fate = rng.random_range(0..20);
        let (status, cancelled, refunded) = match fate {
            0 => ("voided", true, 0),
            1 => ("refunded", true, total),
            2 | 3 => (
                "partially_refunded",
                false,
                rng.random_range(1..=lines_total / 100) * 100,
            ),
            4 => ("refunded", false, total),
            _ => ("paid", false, 0),
        };
        let cancelled_at = if cancelled {
            format!(
                "{} {offset}",
                (created + Duration::hours(3)).format("%Y-%m-%d %H:%M:%S")
            )
        } else {
            String::new()
        };
        let customer = who.map(|c| people[c]);
        // A returning customer sometimes types their address differently.
        let email = customer.map_or(String::new(), |(_, e)| {
            if rng.random_bool(0.3) {
                format!("{} ", e.to_lowercase())
            } else {
                e.to_string()
            }
        });
        if let Some((_, e)) = customer {
            if !cancelled {
                ledger.line(
                    &e.to_lowercase(),
                    created.date(),
                    lines_total - refunded.min(lines_total),
                );
            }
        }
        for (i, (name, sku, price, qty, discount)) in lines.into_iter().enumerate() {
            let first = i == 0;
            let order = |v: String| if first { v } else { String::new() };
            let billing = customer.map_or("", |c| c.0);
            let mut row: Vec<String> = vec![String::new(); SHOPIFY_HEADER.len()];
            let mut set = |col: &str, v: String| {
                if let Some(i) = SHOPIFY_HEADER.iter().position(|h| *h == col) {
                    row[i] = v;
                }
            };
            set("Name", format!("#{number}"));
            set("Email", order(email.clone()));
            set("Financial Status", order(status.into()));
            set(
                "Paid at",
                order(if status == "voided" {
                    String::new()
                } else {
                    stamp.clone()
                }),
            );
            set(
                "Fulfillment Status",
                order(
                    if cancelled {
                        "unfulfilled"
                    } else {
                        "fulfilled"
                    }
                    .into(),
                ),
            );
            set("Accepts Marketing", order("no".into()));
            set("Currency", order("SEK".into()));
            set("Subtotal", order(money(lines_total, '.', "")));
            set("Shipping", order(money(shipping, '.', "")));
            set("Taxes", order(money(taxes, '.', "")));
            set("Total", order(money(total, '.', "")));
            set("Discount Amount", order(money(0, '.', "")));
            set("Shipping Method", order("PostNord".into()));
            set("Created at", order(stamp.clone()));
            set("Lineitem quantity", qty.to_string());
            set("Lineitem name", name.into());
            set("Lineitem price", money(price, '.', ""));
            set("Lineitem sku", sku.into());
            set("Lineitem requires shipping", "true".into());
            set("Lineitem taxable", "true".into());
            set("Lineitem fulfillment status", "fulfilled".into());
            set("Billing Name", order(billing.into()));
            set(
                "Billing City",
                order(if billing.is_empty() { "" } else { "Västerås" }.into()),
            );
            set("Billing Country", order("SE".into()));
            set("Shipping Name", order(billing.into()));
            set("Shipping Country", order("SE".into()));
            set("Cancelled at", order(cancelled_at.clone()));
            set("Payment Method", order("Shopify Payments".into()));
            set("Refunded Amount", order(money(refunded, '.', "")));
            set("Vendor", "Hemma & Co".into());
            set("Outstanding Balance", order(money(0, '.', "")));
            set(
                "Id",
                order((5_912_000_000_000 + number as u64 * 37).to_string()),
            );
            set("Risk Level", order("Low".into()));
            set("Source", order("web".into()));
            set("Lineitem discount", money(discount, '.', ""));
            set("Tax 1 Name", order("SE VAT 25%".into()));
            set("Tax 1 Value", order(money(taxes, '.', "")));
            rows.push(row);
        }
    }
    csv_bytes(&rows, b',', false)
}

// ---------------------------------------------------------------------------------
// Square

const SQUARE_HEADER: [&str; 32] = [
    "Date",
    "Time",
    "Time Zone",
    "Category",
    "Item",
    "Qty",
    "Price Point Name",
    "SKU",
    "Modifiers Applied",
    "Gross Sales",
    "Discounts",
    "Net Sales",
    "Tax",
    "Transaction ID",
    "Payment ID",
    "Device Name",
    "Notes",
    "Details",
    "Event Type",
    "Location",
    "Dining Option",
    "Customer ID",
    "Customer Name",
    "Customer Reference ID",
    "Unit",
    "Count",
    "Itemization Type",
    "Fulfillment Note",
    "Channel",
    "Token",
    "Card Brand",
    "PAN Suffix",
];

/// Square money: `$1,149.00`, negatives in parentheses.
fn dollars(cents: i64) -> String {
    let text = format!("${}", money(cents.abs(), '.', ","));
    if cents < 0 { format!("({text})") } else { text }
}

fn square_id(rng: &mut ChaCha8Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A coffee roaster with two locations, in Portland: refunds days later, a walk-in
/// now and then, an espresso machine for $1,149.00.
fn square(ledger: &mut Ledger) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(202);
    let items: [(&str, &str, i64); 6] = [
        ("Coffee", "Latte", 525),
        ("Coffee", "Drip Coffee", 350),
        ("Beans", "House Blend 12oz", 1800),
        ("Pastry", "Almond Croissant", 475),
        ("Beans", "Ethiopia Yirgacheffe 12oz", 2150),
        ("Equipment", "Espresso Machine", 114900),
    ];
    let locations = ["Hawthorne", "Pearl District"];
    let customers: Vec<(String, String, String)> = (0..9)
        .map(|i| {
            let names = [
                "Ava Chen",
                "Ben Ortiz",
                "Cara Diaz",
                "Dan Kim",
                "Eve Park",
                "Finn Ross",
                "Gia Lee",
                "Hal Moss",
                "Ivy Shah",
            ];
            (
                square_id(&mut rng, 26),
                names[i].to_string(),
                format!("LOYAL-{:04}", 17 + i * 7),
            )
        })
        .collect();
    let visits = schedule(
        &mut rng,
        customers.len(),
        2..=6,
        6,
        date(2025, 7, 1),
        60,
        7..19,
    );
    let mut rows = vec![strings(&SQUARE_HEADER)];
    let mut refunds = Vec::new();
    for (who, at) in visits {
        let transaction = square_id(&mut rng, 22);
        let location = locations[rng.random_range(0..locations.len())];
        let n = rng.random_range(1..=3);
        for _ in 0..n {
            let pick = if rng.random_bool(0.03) {
                5
            } else {
                rng.random_range(0..5)
            };
            let (category, item, price) = items[pick];
            let qty: i64 = rng.random_range(1..=2);
            let gross = qty * price;
            let discount = if rng.random_bool(0.15) { 50 * qty } else { 0 };
            let net = gross - discount;
            let customer = who.map(|c| &customers[c]);
            let mut row = vec![String::new(); SQUARE_HEADER.len()];
            let mut set = |col: &str, v: String| {
                if let Some(i) = SQUARE_HEADER.iter().position(|h| *h == col) {
                    row[i] = v;
                }
            };
            set("Date", at.format("%Y-%m-%d").to_string());
            set("Time", at.format("%H:%M:%S").to_string());
            set("Time Zone", "Pacific Time (US & Canada)".into());
            set("Category", category.into());
            set("Item", item.into());
            set("Qty", qty.to_string());
            set("Price Point Name", "Regular".into());
            set("Gross Sales", dollars(gross));
            set("Discounts", dollars(-discount));
            set("Net Sales", dollars(net));
            set("Tax", dollars(net / 10));
            set("Transaction ID", transaction.clone());
            set("Payment ID", square_id(&mut rng, 22));
            set("Device Name", format!("{location} Register"));
            set("Details", "Details".into());
            set("Event Type", "Payment".into());
            set("Location", location.into());
            set("Dining Option", "For Here".into());
            set(
                "Customer ID",
                customer.map_or(String::new(), |c| c.0.clone()),
            );
            set(
                "Customer Name",
                customer.map_or(String::new(), |c| c.1.clone()),
            );
            set(
                "Customer Reference ID",
                customer.map_or(String::new(), |c| c.2.clone()),
            );
            set("Unit", "ea".into());
            set("Count", qty.to_string());
            set("Itemization Type", "Physical Item".into());
            set("Channel", location.into());
            set("Card Brand", "Visa".into());
            set("PAN Suffix", format!("{:04}", rng.random_range(0..10000)));
            if let Some(c) = customer {
                ledger.line(&c.0, at.date(), net);
                // One line in eight comes back a few days later.
                if rng.random_bool(0.125) {
                    let back = at + Duration::days(rng.random_range(1..=5)) + Duration::minutes(17);
                    refunds.push((back, row.clone(), net, qty));
                    ledger.line(&c.0, back.date(), -net);
                }
            }
            rows.push(row);
        }
    }
    for (back, mut row, net, qty) in refunds {
        let col = |name: &str| SQUARE_HEADER.iter().position(|h| *h == name).unwrap_or(0);
        row[col("Date")] = back.format("%Y-%m-%d").to_string();
        row[col("Time")] = back.format("%H:%M:%S").to_string();
        row[col("Qty")] = (-qty).to_string();
        row[col("Gross Sales")] = dollars(-net);
        row[col("Discounts")] = dollars(0);
        row[col("Net Sales")] = dollars(-net);
        row[col("Tax")] = dollars(-net / 10);
        row[col("Event Type")] = "Refund".into();
        rows.push(row);
    }
    // Square lists the newest first.
    let header = rows.remove(0);
    rows.sort_by(|a, b| (&b[0], &b[1]).cmp(&(&a[0], &a[1])));
    rows.insert(0, header);
    csv_bytes(&rows, b',', false)
}

// ---------------------------------------------------------------------------------
// Toast

const TOAST_HEADER: [&str; 32] = [
    "Location",
    "Order Id",
    "Order #",
    "Sent Date",
    "Order Date",
    "Check Id",
    "Server",
    "Table",
    "Dining Area",
    "Service",
    "Dining Option",
    "Item Selection Id",
    "Item Id",
    "Master Id",
    "SKU",
    "PLU",
    "Menu Item",
    "Menu Subgroup(s)",
    "Menu Group",
    "Menu",
    "Sales Category",
    "Gross Price",
    "Discount",
    "Net Price",
    "Qty",
    "Tax",
    "Void?",
    "Deferred",
    "Tax Exempt",
    "Tax Inclusion Option",
    "Dining Option Tax",
    "Tab Name",
];

/// A bar and kitchen in Chicago: regulars run a tab under their name, items are voided
/// now and then (a whole order sometimes), servers and sales categories.
fn toast(ledger: &mut Ledger) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(303);
    let menu: [(&str, &str, &str, i64); 7] = [
        ("IPA Draft", "Beer", "Draft Beer", 800),
        ("House Red", "Wine", "Wine by the Glass", 1200),
        ("Old Fashioned", "Liquor", "Cocktails", 1400),
        ("Smash Burger", "Food", "Mains", 1650),
        ("Fries", "Food", "Sides", 600),
        ("Caesar Salad", "Food", "Mains", 1300),
        ("Soda", "Non-Alcoholic Bev", "Soft Drinks", 350),
    ];
    let servers = ["Jess Moreno", "Tom Becker", "Priya Nair"];
    let tabs = [
        "Maria S.",
        "Big Mike",
        "Dana",
        "Coach Reed",
        "Lou & Pat",
        "Tiff",
        "Sam O.",
        "Hector",
    ];
    let visits = schedule(
        &mut rng,
        tabs.len(),
        2..=5,
        6,
        date(2025, 9, 20),
        45,
        11..23,
    );
    let mut rows = vec![strings(&TOAST_HEADER)];
    for (k, (who, at)) in visits.into_iter().enumerate() {
        let order_id = 900_000_100_000 + k as u64 * 13;
        let server = servers[rng.random_range(0..servers.len())];
        let void_all = rng.random_bool(0.05);
        let n = rng.random_range(1..=4);
        for i in 0..n {
            let (item, category, group, price) = menu[rng.random_range(0..menu.len())];
            let qty: i64 = rng.random_range(1..=2);
            let gross = qty * price;
            let discount = if rng.random_bool(0.1) { gross / 5 } else { 0 };
            let net = gross - discount;
            let void = void_all || rng.random_bool(0.08);
            let sent = at + Duration::minutes(2 + i as i64);
            let mut row = vec![String::new(); TOAST_HEADER.len()];
            let mut set = |col: &str, v: String| {
                if let Some(i) = TOAST_HEADER.iter().position(|h| *h == col) {
                    row[i] = v;
                }
            };
            set("Location", "Wicker Park Tap".into());
            set("Order Id", order_id.to_string());
            set("Order #", (k + 1).to_string());
            set("Sent Date", us_time(sent));
            set("Order Date", us_time(at));
            set("Check Id", (order_id + 1).to_string());
            set("Server", server.into());
            set(
                "Table",
                if who.is_some() {
                    "Bar".into()
                } else {
                    format!("{}", 1 + k % 12)
                },
            );
            set("Dining Area", "Main".into());
            set(
                "Service",
                if at.hour() < 16 { "Lunch" } else { "Dinner" }.into(),
            );
            set("Dining Option", "Dine In".into());
            set("Item Selection Id", (order_id * 10 + i as u64).to_string());
            set("Item Id", (4000 + item.len()).to_string());
            set("Master Id", (7000 + item.len()).to_string());
            set("Menu Item", item.into());
            set("Menu Subgroup(s)", String::new());
            set("Menu Group", group.into());
            set(
                "Menu",
                if category == "Food" { "Kitchen" } else { "Bar" }.into(),
            );
            set("Sales Category", category.into());
            set("Gross Price", money(gross, '.', ""));
            set("Discount", money(discount, '.', ""));
            set("Net Price", money(net, '.', ""));
            set("Qty", qty.to_string());
            set("Tax", money(net / 10, '.', ""));
            set("Void?", if void { "true" } else { "false" }.into());
            set("Deferred", "false".into());
            set("Tax Exempt", "false".into());
            set("Tax Inclusion Option", "Tax not included".into());
            set("Dining Option Tax", "0.00".into());
            set("Tab Name", who.map_or("", |c| tabs[c]).into());
            if let (Some(c), false) = (who, void) {
                ledger.line(tabs[c], at.date(), net);
            }
            rows.push(row);
        }
    }
    csv_bytes(&rows, b',', false)
}

// ---------------------------------------------------------------------------------
// Lightspeed K-Series

/// A restaurant in Copenhagen on Lightspeed K-Series: customer accounts, a voided sale
/// written again with negated lines, refunds, cash floats, dates day first.
fn lightspeed(ledger: &mut Ledger) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(404);
    let items: [(&str, &str, i64); 6] = [
        ("101", "Smørrebrød", 9500),
        ("102", "Fiskefrikadeller", 12500),
        ("201", "Carlsberg 40cl", 6500),
        ("202", "Glas hvidvin", 8500),
        ("301", "Kaffe", 3500),
        ("302", "Æblekage", 5500),
    ];
    let staff = ["Mette", "Jonas", "Freja"];
    let accounts: Vec<String> = (0..8).map(|i| format!("C-{}", 10040 + i * 3)).collect();
    let visits = schedule(
        &mut rng,
        accounts.len(),
        2..=5,
        5,
        date(2025, 10, 1),
        40,
        11..22,
    );
    let header = strings(&[
        "Type",
        "Date",
        "Transaction ID",
        "Account",
        "Employee",
        "Device",
        "SKU",
        "Item",
        "Quantity",
        "Amount",
    ]);
    let mut lines_at: Vec<(NaiveDateTime, Vec<String>)> = Vec::new();
    let stamp = |t: NaiveDateTime| t.format("%d/%m/%Y %H:%M").to_string();
    let mut id: u32 = 65_300;
    for (who, at) in visits {
        id += 1;
        let account = who.map_or(String::new(), |c| accounts[c].clone());
        let employee = staff[rng.random_range(0..staff.len())];
        let n = rng.random_range(1..=3);
        let voided = rng.random_bool(0.08);
        let mut lines = Vec::new();
        for _ in 0..n {
            let (sku, name, price) = items[rng.random_range(0..items.len())];
            let qty: i64 = rng.random_range(1..=3);
            lines.push((sku, name, qty, qty * price));
        }
        let row = |kind: &str, t: NaiveDateTime, id: u32, line: (&str, &str, i64, i64)| {
            (
                t,
                vec![
                    kind.to_string(),
                    stamp(t),
                    format!("T{id}"),
                    account.clone(),
                    employee.to_string(),
                    "iPad Bar".to_string(),
                    line.0.to_string(),
                    line.1.to_string(),
                    line.2.to_string(),
                    money(line.3, '.', ""),
                ],
            )
        };
        for &line in &lines {
            lines_at.push(row("Sale", at, id, line));
            if let (Some(_), false) = (who, voided) {
                ledger.line(&account, at.date(), line.3);
            }
        }
        if voided {
            // The sale is voided by another sale with the lines negated, minutes later.
            let t = at + Duration::minutes(6);
            for &(sku, name, qty, cents) in &lines {
                lines_at.push(row("Void", t, id + 5000, (sku, name, -qty, -cents)));
            }
        } else if who.is_some() && rng.random_bool(0.15) {
            let (sku, name, qty, cents) = lines[0];
            let t = at + Duration::days(rng.random_range(1..=4));
            lines_at.push(row("Refund", t, id + 7000, (sku, name, -qty, -cents)));
            ledger.line(&account, t.date(), -cents);
        }
    }
    // Cash lifts at closing: not sales.
    for day in (4..40).step_by(9) {
        let t = (date(2025, 10, 1) + Duration::days(day))
            .and_hms_opt(23, 30, 0)
            .unwrap_or_default();
        lines_at.push((
            t,
            vec![
                "Float".into(),
                stamp(t),
                format!("F{day}"),
                String::new(),
                "Mette".into(),
                "iPad Bar".into(),
                String::new(),
                "Cash lift".into(),
                String::new(),
                money(-200_000, '.', ""),
            ],
        ));
    }
    lines_at.sort_by_key(|(t, _)| *t);
    let mut rows = vec![header];
    rows.extend(lines_at.into_iter().map(|(_, r)| r));
    csv_bytes(&rows, b',', false)
}

// ---------------------------------------------------------------------------------
// UCI Online Retail

/// A UK gift wholesaler's invoices, December 2010 to January 2011, in the UCI data
/// set's columns: quantity × unit price, cancellations as `C` invoices, walk-ins.
fn online_retail(ledger: &mut Ledger) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(505);
    let stock: [(&str, &str, i64); 7] = [
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 255),
        ("71053", "WHITE METAL LANTERN", 339),
        ("84406B", "CREAM CUPID HEARTS COAT HANGER", 275),
        ("22752", "SET 7 BABUSHKA NESTING BOXES", 765),
        ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 425),
        ("22633", "HAND WARMER UNION JACK", 185),
        ("84029E", "RED WOOLLY HOTTIE WHITE HEART.", 339),
    ];
    let customers = [
        17850, 13047, 12583, 13748, 15100, 15291, 14688, 17809, 15311,
    ];
    let countries = [
        "United Kingdom",
        "United Kingdom",
        "France",
        "United Kingdom",
        "United Kingdom",
        "United Kingdom",
        "United Kingdom",
        "United Kingdom",
        "United Kingdom",
    ];
    let visits = schedule(
        &mut rng,
        customers.len(),
        1..=4,
        4,
        date(2010, 12, 1),
        50,
        8..18,
    );
    let mut rows = vec![strings(&[
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ])];
    let stamp = |t: NaiveDateTime| {
        format!(
            "{}/{}/{:02} {}:{:02}",
            t.month(),
            t.day(),
            t.year() % 100,
            t.hour(),
            t.minute()
        )
    };
    let mut invoice = 536_365;
    let mut cancellations = Vec::new();
    for (who, at) in visits {
        invoice += 1;
        let customer = who.map_or(String::new(), |c| format!("{}.0", customers[c]));
        let country = who.map_or("United Kingdom", |c| countries[c]);
        let n = rng.random_range(1..=4);
        for _ in 0..n {
            let (code, description, price) = stock[rng.random_range(0..stock.len())];
            let qty: i64 = [1, 2, 6, 12, 24][rng.random_range(0..5)];
            let row = vec![
                invoice.to_string(),
                code.to_string(),
                description.to_string(),
                qty.to_string(),
                stamp(at),
                money(price, '.', ""),
                customer.clone(),
                country.to_string(),
            ];
            if let Some(c) = who {
                ledger.line(&customers[c].to_string(), at.date(), qty * price);
                if rng.random_bool(0.1) {
                    let t = at + Duration::days(rng.random_range(0..=6)) + Duration::hours(1);
                    let back = (qty / 2).max(1);
                    cancellations.push((
                        t,
                        code,
                        description,
                        back,
                        price,
                        customer.clone(),
                        country,
                    ));
                    ledger.line(&customers[c].to_string(), t.date(), -back * price);
                }
            }
            rows.push(row);
        }
        // Postage on some foreign orders.
        if country != "United Kingdom" {
            rows.push(vec![
                invoice.to_string(),
                "POST".into(),
                "POSTAGE".into(),
                "1".into(),
                stamp(at),
                "18.00".into(),
                customer.clone(),
                country.to_string(),
            ]);
            if let Some(c) = who {
                ledger.line(&customers[c].to_string(), at.date(), 1800);
            }
        }
    }
    cancellations.sort_by_key(|c| c.0);
    for (k, (t, code, description, qty, price, customer, country)) in
        cancellations.into_iter().enumerate()
    {
        rows.push(vec![
            format!("C{}", 536_379 + k * 11),
            code.to_string(),
            description.to_string(),
            (-qty).to_string(),
            stamp(t),
            money(price, '.', ""),
            customer,
            country.to_string(),
        ]);
    }
    csv_bytes(&rows, b',', false)
}

// ---------------------------------------------------------------------------------
// Loyalty-card dump

/// A grocery chain's loyalty-card transactions: one row per product per basket, every
/// row with a household, free items at 0.00, returns with negative values.
fn loyalty_card(ledger: &mut Ledger) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(606);
    let products: [(u32, &str, i64); 7] = [
        (1_004_906, "PRODUCE", 149),
        (1_033_142, "GROCERY", 329),
        (1_082_185, "PRODUCE", 99),
        (951_590, "MEAT", 899),
        (9_878_513, "DRUG GM", 499),
        (6_534_178, "KIOSK-GAS", 3125),
        (1_029_743, "GROCERY", 259),
    ];
    let households = [
        "0042", "0118", "0575", "1107", "1364", "2070", "0009", "2311", "0803", "1999",
    ];
    let stores = ["364", "367", "381"];
    let visits = schedule(
        &mut rng,
        households.len(),
        2..=6,
        0,
        date(2017, 1, 1),
        75,
        7..22,
    );
    let mut rows = vec![strings(&[
        "household_id",
        "store_id",
        "basket_id",
        "product_id",
        "department",
        "quantity",
        "sales_value",
        "transaction_timestamp",
    ])];
    let mut basket: u64 = 31_198_459_000;
    for (who, at) in visits {
        basket += rng.random_range(7..400);
        let Some(h) = who else { continue };
        let store = stores[(h + rng.random_range(0..2)) % stores.len()];
        for _ in 0..rng.random_range(1..=5) {
            let (product, department, price) = products[rng.random_range(0..products.len())];
            let mut qty: i64 = rng.random_range(1..=3);
            let mut value = qty * price;
            if rng.random_bool(0.06) {
                value = 0; // free with a coupon
            } else if rng.random_bool(0.05) {
                qty = -qty; // returned
                value = -value;
            }
            rows.push(vec![
                households[h].to_string(),
                store.to_string(),
                basket.to_string(),
                product.to_string(),
                department.to_string(),
                qty.to_string(),
                money(value, '.', ""),
                at.format("%Y-%m-%d %H:%M:%S").to_string(),
            ]);
            ledger.line(households[h], at.date(), value);
        }
    }
    csv_bytes(&rows, b',', false)
}

// ---------------------------------------------------------------------------------
// Swedish till

/// A Swedish garden shop's till: Windows-1252, `;`, CRLF, decimal commas, a space
/// (no-break) between thousands, card numbers with leading zeros and stray spaces,
/// returns as negative quantities.
fn swedish_till(ledger: &mut Ledger) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(707);
    let articles: [(&str, &str, &str, i64); 7] = [
        ("10021", "Jord 40 l", "Jord & gödsel", 8900),
        ("10057", "Pelargon", "Växter", 4900),
        ("10102", "Krukväxtnäring", "Jord & gödsel", 5950),
        ("20410", "Sekatör", "Redskap", 34900),
        ("20977", "Trädgårdsslang 20 m", "Redskap", 49900),
        ("30001", "Gräsklippare", "Maskiner", 123450),
        ("10230", "Tulpanlökar 20 st", "Växter", 7900),
    ];
    let cashiers = ["Åsa", "Björn", "Märta"];
    let cards: Vec<String> = (0..9).map(|i| format!("{:07}", 4711 + i * 1234)).collect();
    let visits = schedule(&mut rng, cards.len(), 2..=5, 5, date(2025, 3, 3), 70, 9..19);
    let mut rows = vec![strings(&[
        "Kvittonr",
        "Datum",
        "Tid",
        "Butik",
        "Kassör",
        "Kundnummer",
        "Artikelnr",
        "Benämning",
        "Varugrupp",
        "Antal",
        "À-pris",
        "Rabatt",
        "Summa",
    ])];
    let kr = |cents: i64| money(cents, ',', "\u{a0}");
    for (k, (who, at)) in visits.into_iter().enumerate() {
        let receipt = 80_001 + k;
        let card = who.map_or(String::new(), |c| {
            if rng.random_bool(0.25) {
                format!(" {}", cards[c])
            } else {
                cards[c].clone()
            }
        });
        let cashier = cashiers[rng.random_range(0..cashiers.len())];
        let store = if rng.random_bool(0.7) {
            "Västerås"
        } else {
            "Köping"
        };
        for _ in 0..rng.random_range(1..=3) {
            let (number, name, group, price) = articles[rng.random_range(0..articles.len())];
            let mut qty: i64 = rng.random_range(1..=3);
            if rng.random_bool(0.07) {
                qty = -1; // a return at the till
            }
            let discount = if qty > 0 && rng.random_bool(0.2) {
                qty * price / 10
            } else {
                0
            };
            let sum = qty * price - discount;
            rows.push(vec![
                receipt.to_string(),
                at.format("%Y-%m-%d").to_string(),
                at.format("%H:%M:%S").to_string(),
                store.to_string(),
                cashier.to_string(),
                card.clone(),
                number.to_string(),
                name.to_string(),
                group.to_string(),
                qty.to_string(),
                kr(price),
                kr(discount),
                kr(sum),
            ]);
            if let Some(c) = who {
                ledger.line(&cards[c], at.date(), sum);
            }
        }
    }
    let utf8 = csv_bytes(&rows, b';', true);
    let text = String::from_utf8_lossy(&utf8);
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    bytes.into_owned()
}

// ---------------------------------------------------------------------------------
// Excel

/// A back office's sales lines as an .xlsx workbook: a `Sales` sheet with date cells,
/// time cells, member numbers and amounts as number cells, then a `Summary` sheet.
fn excel(ledger: &mut Ledger) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

    let mut rng = ChaCha8Rng::seed_from_u64(808);
    let products: [(&str, &str, i64); 6] = [
        ("Sourdough Loaf", "Bread", 650),
        ("Cinnamon Bun", "Pastry", 395),
        ("Flat White", "Coffee", 420),
        ("Seeded Rye", "Bread", 720),
        ("Carrot Cake", "Pastry", 480),
        ("Coffee Beans 250g", "Retail", 1295),
    ];
    let staff = ["Nora", "Liam", "Ada"];
    let members: Vec<u32> = (0..8).map(|i| 10_040 + i * 11).collect();
    let visits = schedule(
        &mut rng,
        members.len(),
        2..=5,
        6,
        date(2025, 11, 3),
        50,
        7..17,
    );
    let mut book = Workbook::new();
    // A fixed creation time: the same workbook, byte for byte, every time.
    let created = ExcelDateTime::from_ymd(2026, 1, 2)?.and_hms(9, 0, 0)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    {
        let sheet = book.add_worksheet().set_name("Sales")?;
        let date_format = Format::new().set_num_format("yyyy-mm-dd");
        let time_format = Format::new().set_num_format("hh:mm");
        let money_format = Format::new().set_num_format("#,##0.00");
        let header = [
            "Date",
            "Time",
            "Receipt No",
            "Member No",
            "Staff",
            "Category",
            "Product",
            "Qty",
            "Unit Price",
            "Discount",
            "Total",
        ];
        sheet.write_row(0, 0, header)?;
        let mut row = 1;
        let mut total_all = 0;
        for (k, (who, at)) in visits.into_iter().enumerate() {
            let receipt = 7000 + k as u32;
            let person = staff[rng.random_range(0..staff.len())];
            for _ in 0..rng.random_range(1..=3) {
                let (name, category, price) = products[rng.random_range(0..products.len())];
                let mut qty: i64 = rng.random_range(1..=3);
                if rng.random_bool(0.06) {
                    qty = -1;
                }
                let discount = if qty > 0 && rng.random_bool(0.15) {
                    50
                } else {
                    0
                };
                let total = qty * price - discount;
                total_all += total;
                let day =
                    ExcelDateTime::from_ymd(at.year() as u16, at.month() as u8, at.day() as u8)?;
                let time = ExcelDateTime::from_hms(at.hour() as u16, at.minute() as u8, 0)?;
                sheet.write_datetime_with_format(row, 0, &day, &date_format)?;
                sheet.write_datetime_with_format(row, 1, &time, &time_format)?;
                sheet.write_number(row, 2, receipt)?;
                if let Some(m) = who {
                    sheet.write_number(row, 3, members[m])?;
                    ledger.line(&members[m].to_string(), at.date(), total);
                }
                sheet.write_string(row, 4, person)?;
                sheet.write_string(row, 5, category)?;
                sheet.write_string(row, 6, name)?;
                sheet.write_number(row, 7, qty as f64)?;
                sheet.write_number_with_format(row, 8, price as f64 / 100.0, &money_format)?;
                sheet.write_number_with_format(row, 9, discount as f64 / 100.0, &money_format)?;
                sheet.write_number_with_format(row, 10, total as f64 / 100.0, &money_format)?;
                row += 1;
            }
        }
        let summary = book.add_worksheet().set_name("Summary")?;
        summary.write_row(0, 0, ["Lines", "Total"])?;
        summary.write_number(1, 0, row - 1)?;
        summary.write_number(1, 1, total_all as f64 / 100.0)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_layout_gives_the_same_bytes() {
        for layout in Layout::ALL {
            let (a, b) = (export(layout).unwrap(), export(layout).unwrap());
            assert!(a.bytes == b.bytes, "{}", layout.name());
            assert_eq!(a.truth, b.truth);
            assert!(
                a.truth.len() >= 5,
                "{}: {} customers",
                layout.name(),
                a.truth.len()
            );
        }
    }

    #[test]
    fn money_is_written_as_tills_write_it() {
        assert_eq!(money(114_900, '.', ","), "1,149.00");
        assert_eq!(money(-3362, '.', ""), "-33.62");
        assert_eq!(money(123_450, ',', "\u{a0}"), "1\u{a0}234,50");
        assert_eq!(dollars(-3362), "($33.62)");
        assert_eq!(
            us_time(date(2025, 10, 8).and_hms_opt(17, 18, 0).unwrap()),
            "10/8/25 5:18 PM"
        );
    }
}
